//! An HTTP/1.1 echo server: `GET` (and `HEAD`) answer with the request's path, `POST` and
//! `PUT` with its body. Keep-alive and pipelining, `Content-Length` framing only, requests
//! parsed with `httparse`.
//!
//! Limits, so that one bad client cannot hurt the server (each has a test in the workspace's
//! `tests/http_limits.rs`, `http_deadlines.rs`, `http_memory.rs` or `http_hostile.rs`, and
//! `tests/http_soak.rs` runs them all at once):
//! - a request head larger than [`Limits::max_head`] (8 KiB), or with more than
//!   [`MAX_HEADERS`](crate::parse::MAX_HEADERS) headers: `431` and close;
//! - a body larger than [`Limits::max_body`] (1 MiB): `413` and close;
//! - a request `httparse` rejects, or a bad `Content-Length`: `400` and close;
//!   `Transfer-Encoding` (chunked bodies): `501` and close;
//! - no bytes from the client for [`Limits::idle`] (30 s): the connection is closed;
//! - a request head not whole [`Limits::header`] (10 s) after its first byte arrived (Go's
//!   `ReadHeaderTimeout`; slowloris): closed without a response. Before a request's first
//!   byte only the idle timeout applies;
//! - a request, head and body, not whole [`Limits::body`] (60 s) after its first byte (Go's
//!   `ReadTimeout`; a body trickling in): closed without a response;
//! - a response not written within [`Limits::write`] (30 s) of the moment the write first had
//!   to wait (a client that sends and never reads): closed;
//! - [`Limits::max_connections`] open connections (default: the descriptor limit less
//!   [`RESERVED_FDS`]): `serve` stops accepting, so new clients wait in the listen backlog,
//!   and accepts again once one closes.
//!
//! Memory: each connection starts with a 16 KiB read buffer and a 16 KiB output buffer. The
//! read buffer grows with the bytes that arrive (doubling, at most to the message's size),
//! never from the `Content-Length` a head announces, so a client that announces 1 MB and
//! sends 1 KB costs its 16 KiB; the output buffer grows to the answer's size. Once a large
//! message is consumed (read buffer) or written (output buffer) a buffer above 64 KiB goes
//! back to 16 KiB, so an idle keep-alive connection never keeps the memory of its largest
//! message. A read is offered at least [`MIN_READ`] free bytes (or the rest of the message).
//!
//! A request's head is parsed once ([`Parser`] keeps it while its body arrives). Every answer
//! has a `Content-Type` (`text/plain` for a path or an error, `application/octet-stream` for
//! an echoed body) and `X-Content-Type-Options: nosniff`, so a browser never renders an echo
//! as a page.
//!
//! Before closing a connection with input it may not have read (after a refusal, or after
//! the answer to a `Connection: close` request with more pipelined behind it) the server
//! shuts its write half and drains the client for up to [`LINGER`] (Go's lingering close),
//! so the client reads the last answer instead of a reset.
//!
//! An `accept` error (EMFILE, ...) is logged with the delay before the next attempt, which
//! doubles from 5 ms to 1 s and starts over after a success ([`AcceptBackoff`], Go's
//! `Server.Serve`): under a lasting EMFILE that is one line per second, not a flood.
//!
//! `Connection` is read as a token list (`keep-alive, close` closes).
//!
//! Responses to all the complete requests found in one read are written with one
//! write (a pipelining client gets one segment back, not one per request). The connection's
//! one timer is armed once and moved lazily: only when it fires before the deadline in force
//! (which it compares with the clock), or when a nearer deadline is needed (the head, body
//! and write deadlines), so a request on a healthy connection costs no timer operation.
//!
//! Generic over the runtime through [`Rt`](crate::rt::Rt).

use crate::parse::{Parsed, Parser, error_response};
use crate::rt::{IdleTimer, Rt};
use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use futures::task::AtomicWaker;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

/// The smallest free space a read is offered, and the buffer's starting size: 16 KiB holds
/// hundreds of pipelined small requests, and a 1 MiB body arrives in 64 reads at most.
pub const READ_CHUNK: usize = 16 * 1024;
/// After a large message, a buffer bigger than this goes back to its base size.
const SHRINK_ABOVE: usize = 64 * 1024;
/// The least free space a read is offered (the read buffer grows only when a message needs
/// more room than it has, never for a partial read).
pub const MIN_READ: usize = 4 * 1024;
/// Before closing, the server shuts its write half and reads (and drops) what the client
/// still sends for this long, so that its close does not reset the connection before the
/// client has read the last answer (Go's `rstAvoidanceDelay`, also 500 ms).
const LINGER: Duration = Duration::from_millis(500);

/// Descriptors the default connection cap leaves to the rest of the process (the listener,
/// the poller, stdio, the runtime's own): picked with room to spare, not measured.
const RESERVED_FDS: usize = 64;

/// The server's limits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request head (request line and headers), in bytes.
    pub max_head: usize,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// A connection that sends nothing for this long is closed.
    pub idle: Duration,
    /// A request head (request line and headers) must arrive whole within this long of its
    /// first byte (Go's `ReadHeaderTimeout`), or the connection is closed.
    pub header: Duration,
    /// A whole request, head and body, must arrive within this long of its first byte (Go's
    /// `ReadTimeout`), or the connection is closed without an answer.
    pub body: Duration,
    /// A response must be written within this long (a client that stops reading is closed).
    pub write: Duration,
    /// Connections served at once; at the cap `serve` stops accepting (new clients wait in
    /// the listen backlog) until one closes.
    pub max_connections: usize,
}

impl Limits {
    /// Every limit must be positive: `InvalidInput` naming the setting otherwise.
    pub fn check(&self) -> io::Result<()> {
        let invalid = |name: &str| {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("http_echo: the {name} must be more than 0"),
            ))
        };
        for (value, name) in [
            (self.idle, "idle timeout (--idle-timeout-ms)"),
            (self.header, "header timeout (--header-timeout-ms)"),
            (self.body, "body timeout (--body-timeout-ms)"),
            (self.write, "write timeout (--write-timeout-ms)"),
        ] {
            if value.is_zero() {
                return invalid(name);
            }
        }
        if self.max_connections == 0 {
            return invalid("connection cap (--max-connections)");
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_head: 8 * 1024,
            max_body: 1024 * 1024,
            idle: Duration::from_secs(30),
            header: Duration::from_secs(10),
            body: Duration::from_secs(60),
            write: Duration::from_secs(30),
            max_connections: default_max_connections(),
        }
    }
}

/// The default connection cap: the process's descriptor limit (`RLIMIT_NOFILE`, soft) less
/// [`RESERVED_FDS`], so that the cap is met before `accept` fails with EMFILE.
pub fn default_max_connections() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` writes one `rlimit` through the pointer, which is valid for writes.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
        usize::try_from(lim.rlim_cur).unwrap_or(usize::MAX)
    } else {
        1024 // POSIX's usual default, if the limit cannot be read.
    };
    soft.saturating_sub(RESERVED_FDS).max(1)
}

/// The open connections, against the cap. Only the accept loop adds one; each connection's
/// [`Ticket`] takes it away and wakes the accept loop.
#[derive(Debug, Default)]
struct Gate {
    open: AtomicUsize,
    accept_loop: AtomicWaker,
}

/// One open connection; dropping it frees its place.
struct Ticket(Arc<Gate>);

impl Drop for Ticket {
    fn drop(&mut self) {
        // Release: pairs with the Acquire load in `Gate::below` (the wake below orders it
        // against that load's `register`, as `AtomicWaker` documents).
        self.0.open.fetch_sub(1, Ordering::Release);
        self.0.accept_loop.wake();
    }
}

impl Gate {
    /// Waits until fewer than `max` connections are open, then counts one more.
    async fn enter(self: &Arc<Gate>, max: usize) -> Ticket {
        poll_fn(|cx| {
            if self.open.load(Ordering::Acquire) < max {
                return Poll::Ready(());
            }
            // Register, then look again: a ticket dropped in between is seen or wakes us.
            self.accept_loop.register(cx.waker());
            if self.open.load(Ordering::Acquire) < max {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        // Only this (the accept loop) adds, so the count is still below `max`.
        self.open.fetch_add(1, Ordering::Relaxed);
        Ticket(self.clone())
    }
}

/// How long `serve` waits after an `accept` error (EMFILE, ...) before trying again: 5 ms,
/// doubling up to 1 s, back to 5 ms after an accept succeeds (Go's `net/http` `Server.Serve`).
#[derive(Debug, Default)]
pub struct AcceptBackoff {
    /// The last delay; `None` after a success.
    last: Option<Duration>,
}

impl AcceptBackoff {
    /// The first delay.
    const FIRST: Duration = Duration::from_millis(5);
    /// The longest delay.
    const MAX: Duration = Duration::from_secs(1);

    /// The delay before the next attempt, after one more error.
    pub fn next_delay(&mut self) -> Duration {
        let next = self.last.map_or(Self::FIRST, |d| (d * 2).min(Self::MAX));
        self.last = Some(next);
        next
    }

    /// An accept succeeded.
    pub fn reset(&mut self) {
        self.last = None;
    }
}

/// Accepts connections forever, one task each, at most [`Limits::max_connections`] at once.
pub async fn serve<R: Rt>(listener: R::Listener, limits: Limits) -> io::Result<()> {
    limits.check()?;
    let limits = Arc::new(limits);
    let gate = Arc::new(Gate::default());
    let mut backoff = AcceptBackoff::default();
    loop {
        let ticket = gate.enter(limits.max_connections).await;
        let conn = match R::accept(&listener).await {
            Ok(conn) => {
                backoff.reset();
                conn
            }
            Err(e) => {
                let delay = backoff.next_delay();
                eprintln!("http_echo: accept: {e}; retrying in {delay:?}");
                R::timer(Instant::now() + delay).await;
                continue;
            }
        };
        let limits = limits.clone();
        // Detached: the task ends when its connection does, and frees its place then.
        drop(R::spawn(async move {
            let _ = serve_conn::<R>(conn, &limits).await;
            drop(ticket);
        }));
    }
}

/// A byte buffer read into at the back and consumed at the front.
#[derive(Debug)]
pub struct InBuf {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl Default for InBuf {
    fn default() -> InBuf {
        InBuf {
            data: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
        }
    }
}

impl InBuf {
    /// The bytes of memory the buffer holds.
    pub fn capacity(&self) -> usize {
        self.data.capacity()
    }

    /// The bytes read and not consumed yet.
    pub fn filled(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    /// Drops the first `n` filled bytes. A buffer grown past [`SHRINK_ABOVE`] goes back to
    /// [`READ_CHUNK`] once what is left fits in half of that (the start of the next pipelined
    /// request, usually).
    pub fn consume(&mut self, n: usize) {
        self.start += n;
        debug_assert!(self.start <= self.end);
        let left = self.end - self.start;
        if self.data.capacity() > SHRINK_ABOVE && left <= READ_CHUNK / 2 {
            let mut small = vec![0; READ_CHUNK];
            small[..left].copy_from_slice(&self.data[self.start..self.end]);
            self.data = small;
            (self.start, self.end) = (0, left);
        } else if left == 0 {
            (self.start, self.end) = (0, 0);
        }
    }

    /// Free space to read into: [`MIN_READ`] bytes, or what is left of a message of `need`
    /// bytes if that is less. When the back has less room, the filled bytes move to the
    /// front; when the buffer still has less, it doubles (at most to `need`), so it grows
    /// with the bytes that arrived, never ahead of them from what a head announced.
    fn spare(&mut self, need: usize) -> &mut [u8] {
        let filled = self.end - self.start;
        let want = if need > filled {
            (need - filled).min(MIN_READ)
        } else {
            MIN_READ
        };
        if self.data.len() - self.end < want {
            self.data.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, filled);
            if self.data.len() - filled < want {
                let mut size = (self.data.len() * 2).max(filled + want);
                if need > filled {
                    size = size.min(need);
                }
                self.data.reserve_exact(size - self.data.len());
                self.data.resize(size, 0);
            }
        }
        &mut self.data[self.end..]
    }

    /// Reads once from `io`: `Ok(0)` at end of stream.
    pub async fn read_from<T: AsyncRead + Unpin>(&mut self, io: &mut T, need: usize) -> io::Result<usize> {
        let n = io.read(self.spare(need)).await?;
        self.end += n;
        Ok(n)
    }

    /// Reads once from `io` unless nothing arrives by `deadline`: `Ok(None)` then.
    async fn read_by<T: AsyncRead + Unpin>(
        &mut self,
        io: &mut T,
        need: usize,
        timer: &mut Deadline<impl IdleTimer>,
        deadline: Instant,
    ) -> io::Result<Option<usize>> {
        let spare = self.spare(need);
        let n = poll_fn(|cx| {
            // The timer first, so that a task waiting here is parked on the read last (its
            // wait reason in a gosched task dump is "IO wait", not "sleep").
            if timer.poll_passed(cx, deadline).is_ready() {
                return Poll::Ready(Ok(None));
            }
            Pin::new(&mut *io).poll_read(cx, spare).map(|r| r.map(Some))
        })
        .await?;
        if let Some(n) = n {
            self.end += n;
        }
        Ok(n)
    }
}

/// A connection's one timer and the instant it is set for. It is moved lazily: to a nearer
/// deadline at once, to a later one only when it fires early.
struct Deadline<T> {
    timer: T,
    at: Instant,
}

impl<T: IdleTimer> Deadline<T> {
    fn new(timer: T, at: Instant) -> Deadline<T> {
        Deadline { timer, at }
    }

    /// Ready once `deadline` has passed; otherwise the task is woken by then at the latest.
    fn poll_passed(&mut self, cx: &mut std::task::Context<'_>, deadline: Instant) -> Poll<()> {
        if self.at > deadline {
            self.move_to(deadline);
        }
        while Pin::new(&mut self.timer).poll(cx).is_ready() {
            if Instant::now() >= deadline {
                return Poll::Ready(());
            }
            self.move_to(deadline);
        }
        Poll::Pending
    }

    fn move_to(&mut self, deadline: Instant) {
        self.timer.reset(deadline);
        self.at = deadline;
    }
}

/// Writes all of `data` unless the write has to wait for longer than `limit` in all (counted
/// from the first time it waits): `Ok(false)` then.
async fn write_by<T: AsyncWrite + Unpin>(
    io: &mut T,
    mut data: &[u8],
    timer: &mut Deadline<impl IdleTimer>,
    limit: Duration,
) -> io::Result<bool> {
    let mut deadline = None;
    poll_fn(|cx| {
        while !data.is_empty() {
            match Pin::new(&mut *io).poll_write(cx, data) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => data = &data[n..],
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    // The clock is read only when a write has to wait.
                    let deadline = *deadline.get_or_insert_with(|| Instant::now() + limit);
                    return timer.poll_passed(cx, deadline).map(|()| Ok(false));
                }
            }
        }
        Poll::Ready(Ok(true))
    })
    .await
}

/// What a round of answering the buffered requests ended with.
struct Round {
    /// Bytes the unfinished request needs in all (0: unknown, its head is not whole).
    need: usize,
    /// A request was answered (the unfinished one, if any, started after it).
    answered: bool,
    /// The connection closes after the answers (`Connection: close`, or a refusal).
    close: bool,
}

/// Answers every whole request at the front of `buf` into `out`, and consumes them.
fn answer_buffered(parser: &mut Parser, buf: &mut InBuf, out: &mut Vec<u8>) -> Round {
    let mut round = Round {
        need: 0,
        answered: false,
        close: false,
    };
    while !buf.filled().is_empty() {
        match parser.handle(buf.filled(), out) {
            Parsed::Done { len, close } => {
                buf.consume(len);
                round.answered = true;
                if close {
                    round.close = true;
                    break;
                }
            }
            Parsed::Partial { need } => {
                round.need = need;
                break;
            }
            Parsed::Reject(status) => {
                error_response(out, status);
                round.close = true;
                break;
            }
        }
    }
    round
}

/// Serves one connection until the client closes it, a limit is hit, or an I/O error.
pub async fn serve_conn<R: Rt>(mut io: R::Conn, limits: &Limits) -> io::Result<()> {
    let mut buf = InBuf::default();
    let mut out = Vec::with_capacity(READ_CHUNK);
    let mut parser = Parser::new(limits.max_head, limits.max_body);
    let mut last_active = Instant::now();
    let mut timer = Deadline::new(R::timer(last_active + limits.idle), last_active + limits.idle);
    // When the first byte of the unfinished request arrived (at the latest).
    let mut started: Option<Instant> = None;
    loop {
        let round = answer_buffered(&mut parser, &mut buf, &mut out);
        if !out.is_empty() {
            if !write_by(&mut io, &out, &mut timer, limits.write).await? {
                // The client does not read: give up on it (and on its buffers).
                return Ok(());
            }
            if out.capacity() > SHRINK_ABOVE {
                out = Vec::with_capacity(READ_CHUNK);
            } else {
                out.clear();
            }
        }
        if round.close {
            // Unread input (a pipelined request after `Connection: close`, the rest of a
            // refused body) would turn the close into a reset: linger instead.
            return linger(&mut io, &mut buf, &mut timer).await;
        }
        if round.answered || buf.filled().is_empty() {
            started = None;
        }
        let mut deadline = last_active + limits.idle;
        if !buf.filled().is_empty() {
            // Its bytes arrived at the last read or before.
            let started = *started.get_or_insert(last_active);
            deadline = deadline.min(started + limits.body);
            if !parser.in_body() {
                deadline = deadline.min(started + limits.header);
            }
        }
        match buf.read_by(&mut io, round.need, &mut timer, deadline).await? {
            None | Some(0) => return Ok(()),
            Some(_) => last_active = Instant::now(),
        }
    }
}

/// Shuts the write half, then drops what the client sends until it closes too or
/// [`LINGER`] passes.
async fn linger<T: AsyncRead + AsyncWrite + Unpin>(
    io: &mut T,
    buf: &mut InBuf,
    timer: &mut Deadline<impl IdleTimer>,
) -> io::Result<()> {
    io.close().await?;
    let deadline = Instant::now() + LINGER;
    while let Some(n) = buf.read_by(io, 0, timer, deadline).await? {
        if n == 0 {
            break;
        }
        let len = buf.filled().len();
        buf.consume(len);
    }
    Ok(())
}
