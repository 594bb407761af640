//! A live debug endpoint (feature `debug-http`), Go's `net/http/pprof` for gosched: while the
//! program runs, [`serve`] answers on its address with
//!
//! | path | content type | what |
//! |---|---|---|
//! | `/debug/gosched/` | `text/html` | an index: the metrics, the P and M tables, the tasks grouped by spawn site, links to the rest |
//! | `/debug/gosched/tasks?debug=1` | `text/plain` | [`format_dump`](crate::runtime::format_dump): tasks grouped by spawn site, as Go's `/debug/pprof/goroutine?debug=1` |
//! | `/debug/gosched/tasks?debug=2` | `text/plain` | one block per task, as `?debug=2` in Go |
//! | `/debug/gosched/metrics` | `text/plain; version=0.0.4` | Prometheus text exposition of every [`Metrics`](crate::runtime::Metrics) field |
//! | `/debug/gosched/schedtrace` | `text/plain` | the `SCHED` line and the `scheddetail` lines, now |
//! | `/debug/gosched/trace?seconds=N` | `application/json` | a flight-recorder snapshot (Chrome trace JSON, for Perfetto) taken after `N` seconds (default 1, at most 60) |
//!
//! Only `GET` and `HEAD` are served (others get 405; `HEAD` gets the page's headers without
//! the page being rendered); an unknown path gets 404, a request `httparse` rejects or a bad
//! query value 400, a request head over 16 KiB or with more than 64 headers 431. `trace` on a
//! runtime that records nothing (neither
//! [`Builder::flight_recorder`](crate::runtime::Builder::flight_recorder) nor `GOSCHED_TRACE`)
//! gets 409 with the reason; one trace is taken at a time, and a `trace` request while one is
//! being taken gets 503 at once (as Go's pprof refuses a second trace). Every answer carries
//! `X-Content-Type-Options: nosniff`, so a path echoed in an error page is never rendered as
//! HTML.
//!
//! # Cost and limits
//! None while nobody asks: the endpoint is one task parked in `accept`. At most 16 connections
//! are served at once; a connection over that is answered 503 (with `Retry-After`) and closed
//! at once by the accept loop, without a task of its own. A request is read by a task of its
//! own with a 10 s deadline for the request head and a 30 s one for writing the answer, so a
//! slow or stuck client holds only its own connection (and one of the 16 places). Pages are
//! rendered on the blocking pool, so a large dump does not hold a P; `trace` learns whether
//! the runtime records from its settings, without rendering, and renders once, after its
//! wait. Every page is formatted from copies: [`Handle::dump`](crate::runtime::Handle::dump)
//! copies each task's fields under its registry shard's lock and formats nothing there. A
//! text page longer than 2 MiB is cut at a line end and ends with a line saying
//! `... truncated at 2 MiB: ` and what was left out (`tasks?debug=2` stops formatting there);
//! the trace's JSON is bounded by the trace rings instead. One request per connection
//! (`Connection: close`); after the answer the server waits up to 1 s for the client to close
//! (reading what it still sends), so an early answer such as 431 is not lost to a reset. An
//! error from `accept` (out of file descriptors, say) is logged on stderr, one line per
//! attempt, and retried after a pause that doubles from 5 ms to 1 s.
//!
//! # Security
//! The pages show task spawn sites (source paths, crate versions) and scheduler state. Go's
//! `net/http/pprof` advice holds: bind a loopback address (as every example does), or put
//! the endpoint behind something that checks who asks. Unlike pprof, an endpoint bound to a
//! loopback address also checks the `Host` header: a request whose `Host` is not
//! `localhost`, `127.0.0.1`, `[::1]` or the bound address (each with or without a port) gets
//! 403. A web page in the operator's browser whose site name was rebound to 127.0.0.1 (DNS
//! rebinding) sends its own site's name there, so it cannot read the pages. A request with
//! no `Host` (an HTTP/1.0 tool) is served. Bound to any other address, no `Host` is checked.
//!
//! # Examples
//! ```
//! use std::io::{Read, Write};
//!
//! #[gosched::main]
//! async fn main() {
//!     // Find a free loopback port, then serve on it in the background.
//!     let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
//!     let server = gosched::spawn(gosched::debug::serve(addr));
//!     gosched::time::sleep(std::time::Duration::from_millis(100)).await;
//!
//!     let body = gosched::spawn_blocking(move || {
//!         let mut s = std::net::TcpStream::connect(addr).unwrap();
//!         s.write_all(b"GET /debug/gosched/metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
//!         let mut out = String::new();
//!         s.read_to_string(&mut out).unwrap();
//!         out
//!     })
//!     .await
//!     .unwrap();
//!     assert!(body.starts_with("HTTP/1.1 200 OK"), "{body}");
//!     assert!(body.contains("# TYPE gosched_live_tasks gauge"), "{body}");
//!     server.abort();
//! }
//! ```

mod conn;
mod html;
mod pages;
mod prom;

use crate::net::{TcpListener, ToSocketAddrs};
use crate::runtime::Handle;
use crate::task::JoinSet;
use conn::Ctx;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Connections served at once; more are answered 503 by the accept loop (picked to leave
/// room for a few scrapers and a person with a browser, while bounding descriptors and page
/// memory).
const MAX_CONNECTIONS: usize = 16;
/// The first pause after an `accept` error; it doubles up to [`ACCEPT_RETRY_MAX`] and starts
/// over after a success (Go's `http.Server.Serve`).
const ACCEPT_RETRY_FIRST: Duration = Duration::from_millis(5);
/// The longest pause after `accept` errors.
const ACCEPT_RETRY_MAX: Duration = Duration::from_secs(1);

/// Serves the debug pages of the current runtime on `addr` until the returned future is
/// dropped (dropping it also ends every connection it is serving). Fails only if `addr`
/// cannot be bound; a failed accept (out of file descriptors, say) is logged and retried
/// after a pause.
///
/// See the [module documentation](self) for the pages, the limits and the `Host` check. Call
/// it inside a gosched runtime, usually as a task of its own:
/// `gosched::spawn(gosched::debug::serve("127.0.0.1:6060"))`.
///
/// # Panics
/// Outside a gosched runtime.
///
/// # Examples
/// ```
/// #[gosched::main]
/// async fn main() {
///     let server = gosched::spawn(gosched::debug::serve("127.0.0.1:0"));
///     // ... the program runs; curl http://127.0.0.1:PORT/debug/gosched/ meanwhile ...
///     server.abort();
///     assert!(server.await.unwrap_err().is_cancelled());
///
///     // An address that cannot be bound is an error.
///     let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
///     let err = gosched::debug::serve(taken.local_addr().unwrap()).await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
/// }
/// ```
pub async fn serve(addr: impl ToSocketAddrs) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let ctx = Arc::new(Ctx {
        handle: Handle::current(),
        loopback: local.ip().is_loopback().then_some(local),
        slots: pages::Slots::default(),
    });
    let mut conns = JoinSet::new();
    // The connections open now: counted by their tasks themselves (a place is given back
    // when its task's future is dropped, finished or aborted), not by the set.
    let open = Arc::new(AtomicUsize::new(0));
    let mut retry = None;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                retry = None;
                // Forget the finished ones (the set only keeps them abortable with `serve`).
                while conns.try_join_next().is_some() {}
                // Acquire: pairs with the Release in `Open::drop` (a connection that ended).
                if open.load(Ordering::Acquire) >= MAX_CONNECTIONS {
                    conn::refuse_busy(stream, MAX_CONNECTIONS);
                    continue;
                }
                let place = Open::take(&open);
                let ctx = ctx.clone();
                conns.spawn(async move {
                    let _ = conn::connection(stream, ctx).await;
                    drop(place);
                });
            }
            // EMFILE and friends: wait for descriptors to free up, as Go's http.Server does.
            Err(e) => {
                let pause = retry.map_or(ACCEPT_RETRY_FIRST, |d: Duration| (d * 2).min(ACCEPT_RETRY_MAX));
                retry = Some(pause);
                eprintln!("gosched::debug: accept on {local}: {e}; retrying in {pause:?}");
                crate::time::sleep(pause).await;
            }
        }
    }
}

/// One open connection's place under [`MAX_CONNECTIONS`]; given back when dropped.
struct Open(Arc<AtomicUsize>);

impl Open {
    /// Takes a place (only the accept loop does, so the count it checked still holds).
    fn take(open: &Arc<AtomicUsize>) -> Open {
        open.fetch_add(1, Ordering::Relaxed);
        Open(open.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        // Release: pairs with the accept loop's Acquire load.
        self.0.fetch_sub(1, Ordering::Release);
    }
}
