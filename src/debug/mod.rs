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
//! Only `GET` and `HEAD` are served (others get 405); an unknown path gets 404, a request
//! `httparse` rejects or a bad query value 400, a request head over 16 KiB or with more than 64 headers 431. `trace` on a
//! runtime that records nothing (neither
//! [`Builder::flight_recorder`](crate::runtime::Builder::flight_recorder) nor `GOSCHED_TRACE`)
//! gets 409 with the reason.
//!
//! # Cost
//! None while nobody asks: the endpoint is one task parked in `accept`. A request is read by a
//! task of its own with a 10 s deadline for the request head and a 30 s one for writing the
//! answer, so a slow or stuck client holds only its own connection. Pages are rendered on the
//! blocking pool, so a large dump does not hold a P. One request per connection
//! (`Connection: close`); after the answer the server waits up to 1 s for the client to close
//! (reading what it still sends), so an early answer such as 431 is not lost to a reset.
//!
//! # Security
//! The pages show task spawn sites and scheduler state. Bind a loopback address (as every
//! example does) or put the endpoint behind something that checks who asks.
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
//!         s.write_all(b"GET /debug/gosched/metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
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

mod html;
mod prom;

use crate::net::{TcpListener, TcpStream, ToSocketAddrs};
use crate::runtime::{Handle, TaskInfo};
use crate::task::JoinSet;
use std::fmt::Write as _;
use std::io;
use std::time::Duration;

/// How long a client may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to read the answer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for the client to close after the answer.
const LINGER: Duration = Duration::from_secs(1);
/// Largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// Headers parsed at most.
const MAX_HEADERS: usize = 64;
/// Longest `trace?seconds=N`.
const MAX_TRACE_SECONDS: u64 = 60;

/// Serves the debug pages of the current runtime on `addr` until the returned future is
/// dropped (dropping it also ends every connection it is serving). Fails only if `addr`
/// cannot be bound; a failed accept (out of file descriptors, say) is retried after a pause.
///
/// See the [module documentation](self) for the pages. Call it inside a gosched runtime,
/// usually as a task of its own: `gosched::spawn(gosched::debug::serve("127.0.0.1:6060"))`.
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
    let handle = Handle::current();
    let listener = TcpListener::bind(addr).await?;
    let mut conns = JoinSet::new();
    loop {
        while conns.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((stream, _)) => {
                let handle = handle.clone();
                conns.spawn(async move {
                    let _ = connection(stream, handle).await;
                });
            }
            // EMFILE and friends: wait for descriptors to free up, as Go's http.Server does.
            Err(_) => crate::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// An answer: status, content type, body, extra headers.
struct Response {
    status: u16,
    content_type: &'static str,
    body: String,
    extra: &'static str,
}

impl Response {
    fn ok(content_type: &'static str, body: String) -> Response {
        Response {
            status: 200,
            content_type,
            body,
            extra: "",
        }
    }

    fn error(status: u16, msg: impl Into<String>) -> Response {
        let mut body = msg.into();
        body.push('\n');
        Response {
            status,
            content_type: TEXT,
            body,
            extra: "",
        }
    }
}

const TEXT: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A page to render, parsed from the request.
enum Page {
    Index,
    Tasks { debug: u8 },
    Metrics,
    Schedtrace,
    Trace { seconds: u64 },
}

/// Reads one request, answers it and closes the connection.
async fn connection(stream: TcpStream, handle: Handle) -> io::Result<()> {
    let (head_only, resp) = match crate::time::timeout(READ_TIMEOUT, read_head(&stream)).await {
        Err(_) => (false, Response::error(408, "request head not received in time")),
        Ok(Err(e)) => return Err(e),
        Ok(Ok(Err(resp))) => (false, resp),
        Ok(Ok(Ok((head_only, page)))) => (head_only, answer(page, handle).await),
    };
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n{}\r\n",
        resp.status,
        reason(resp.status),
        resp.content_type,
        resp.body.len(),
        resp.extra
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(resp.body.as_bytes());
    }
    let _ = crate::time::timeout(WRITE_TIMEOUT, write_all(&stream, &out)).await;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    // A lingering close: closing with unread input would send a reset, which can destroy the
    // answer before the client reads it (a 431 sent while the client is still writing).
    let _ = crate::time::timeout(LINGER, drain(&stream)).await;
    Ok(())
}

/// Reads and drops input until the client closes (at most 256 KiB).
async fn drain(stream: &TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    let mut left = 256 * 1024usize;
    while left > 0 {
        match stream.try_read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => left = left.saturating_sub(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => stream.readable().await?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads and parses the request head: `Ok((is HEAD, page))`, or the error answer.
async fn read_head(stream: &TcpStream) -> io::Result<Result<(bool, Page), Response>> {
    let mut buf = vec![0u8; 1024];
    let mut len = 0;
    loop {
        if len == buf.len() {
            if buf.len() >= MAX_HEAD {
                return Ok(Err(Response::error(431, "request head over 16 KiB")));
            }
            buf.resize(buf.len() * 2, 0);
        }
        let n = match stream.try_read(&mut buf[len..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                stream.readable().await?;
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "client closed before the request head ended",
            ));
        }
        len += n;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf[..len]) {
            Ok(httparse::Status::Partial) => continue,
            Ok(httparse::Status::Complete(_)) => {
                let method = req.method.unwrap_or_default();
                let target = req.path.unwrap_or_default();
                return Ok(route(method, target).map(|page| (method == "HEAD", page)));
            }
            Err(httparse::Error::TooManyHeaders) => {
                return Ok(Err(Response::error(
                    431,
                    format!("more than {MAX_HEADERS} request headers"),
                )));
            }
            Err(e) => return Ok(Err(Response::error(400, format!("bad request: {e}")))),
        }
    }
}

/// The page `method target` asks for, or the error answer.
fn route(method: &str, target: &str) -> Result<Page, Response> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let page = match path {
        "/debug/gosched/" | "/debug/gosched" => Page::Index,
        "/debug/gosched/tasks" => match query_value(query, "debug").unwrap_or("1") {
            "1" => Page::Tasks { debug: 1 },
            "2" => Page::Tasks { debug: 2 },
            v => {
                return Err(Response::error(
                    400,
                    format!(
                        "tasks: debug={v} is not supported; use debug=1 (grouped) or debug=2 (one block per task)"
                    ),
                ));
            }
        },
        "/debug/gosched/metrics" => Page::Metrics,
        "/debug/gosched/schedtrace" => Page::Schedtrace,
        "/debug/gosched/trace" => {
            let v = query_value(query, "seconds").unwrap_or("1");
            match v.parse::<u64>() {
                Ok(seconds) if seconds <= MAX_TRACE_SECONDS => Page::Trace { seconds },
                _ => {
                    return Err(Response::error(
                        400,
                        format!("trace: seconds={v} is not a whole number from 0 to {MAX_TRACE_SECONDS}"),
                    ));
                }
            }
        }
        _ => {
            return Err(Response::error(
                404,
                format!("{path} not found; the index is /debug/gosched/"),
            ));
        }
    };
    if method != "GET" && method != "HEAD" {
        let mut r = Response::error(405, format!("{method} not allowed; use GET"));
        r.extra = "Allow: GET, HEAD\r\n";
        return Err(r);
    }
    Ok(page)
}

/// The value of `key` in a query string (`a=1&b=2`), the last one if repeated.
fn query_value<'q>(query: &'q str, key: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .next_back()
}

/// Renders `page` on the blocking pool (a dump of many tasks takes a while).
async fn answer(page: Page, handle: Handle) -> Response {
    if let Page::Trace { seconds } = page {
        // Fail before waiting when nothing is recorded.
        if let Err(e) = handle.trace_json() {
            return Response::error(409, e.to_string());
        }
        crate::time::sleep(Duration::from_secs(seconds)).await;
    }
    let render = crate::spawn_blocking(move || render(page, &handle));
    render
        .await
        .unwrap_or_else(|e| Response::error(500, format!("rendering failed: {e}")))
}

fn render(page: Page, handle: &Handle) -> Response {
    match page {
        Page::Index => Response::ok(HTML, html::index(handle)),
        Page::Tasks { debug: 1 } => Response::ok(TEXT, crate::runtime::format_dump(&handle.dump())),
        Page::Tasks { .. } => Response::ok(TEXT, per_task(&handle.dump())),
        Page::Metrics => Response::ok(PROMETHEUS, prom::exposition(&handle.metrics())),
        Page::Schedtrace => Response::ok(TEXT, handle.sched_report()),
        Page::Trace { .. } => match handle.trace_json() {
            Ok(json) => Response::ok(JSON, json),
            Err(e) => Response::error(409, e.to_string()),
        },
    }
}

/// `?debug=2`: a count line, then one block per task, oldest first (Go's `goroutine N [state]:`
/// blocks, with the spawn site where Go prints the stack).
fn per_task(tasks: &[TaskInfo]) -> String {
    let mut tasks: Vec<&TaskInfo> = tasks.iter().collect();
    tasks.sort_by(|a, b| b.age.cmp(&a.age).then(a.id.as_u64().cmp(&b.id.as_u64())));
    let mut out = format!(
        "{} task{}\n",
        tasks.len(),
        if tasks.len() == 1 { "" } else { "s" }
    );
    for t in tasks {
        let state = match t.wait_reason {
            Some(r) => format!("{}, {r}", t.state),
            None => t.state.to_string(),
        };
        let _ = write!(out, "\ntask {} [{state}, {:.1?}, {} polls", t.id, t.age, t.polls);
        if t.slow_polls > 0 {
            let _ = write!(
                out,
                ", {} slow polls, longest {:.1?}",
                t.slow_polls, t.longest_poll
            );
        }
        if t.locked {
            out.push_str(", locked to thread");
        }
        let _ = write!(out, "]:\n  spawned at {}\n", t.spawned_at);
    }
    out
}

/// Writes all of `buf`.
async fn write_all(stream: &TcpStream, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match stream.try_write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => stream.writable().await?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_queries() {
        assert!(matches!(route("GET", "/debug/gosched/"), Ok(Page::Index)));
        assert!(matches!(
            route("GET", "/debug/gosched/tasks?x=1&debug=2"),
            Ok(Page::Tasks { debug: 2 })
        ));
        assert!(matches!(
            route("HEAD", "/debug/gosched/tasks"),
            Ok(Page::Tasks { debug: 1 })
        ));
        assert!(matches!(
            route("GET", "/debug/gosched/trace?seconds=0"),
            Ok(Page::Trace { seconds: 0 })
        ));
        assert_eq!(
            route("GET", "/debug/gosched/tasks?debug=3").err().unwrap().status,
            400
        );
        assert_eq!(
            route("GET", "/debug/gosched/trace?seconds=61")
                .err()
                .unwrap()
                .status,
            400
        );
        assert_eq!(
            route("GET", "/debug/gosched/trace?seconds=-1")
                .err()
                .unwrap()
                .status,
            400
        );
        assert_eq!(route("GET", "/nope").err().unwrap().status, 404);
        assert_eq!(route("POST", "/debug/gosched/metrics").err().unwrap().status, 405);
        assert_eq!(query_value("a&b=2&a=3", "a"), Some("3"));
        assert_eq!(query_value("", "a"), None);
    }
}
