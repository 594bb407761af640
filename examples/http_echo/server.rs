//! An HTTP/1.1 echo server: `GET` (and `HEAD`) answer with the request's path, `POST` and
//! `PUT` with its body. Keep-alive and pipelining, `Content-Length` framing only, requests
//! parsed with `httparse`.
//!
//! Limits, so that one bad client cannot hurt the server (each has a test in
//! `tests/http_limits.rs`, and `tests/http_soak.rs` runs them all at once):
//! - a request head larger than [`Limits::max_head`] (8 KiB), or with more than
//!   [`MAX_HEADERS`] headers: `431` and close;
//! - a body larger than [`Limits::max_body`] (1 MiB): `413` and close;
//! - a request `httparse` rejects, or a bad `Content-Length`: `400` and close;
//!   `Transfer-Encoding` (chunked bodies): `501` and close;
//! - no bytes from the client for [`Limits::idle`] (30 s): the connection is closed;
//! - a request head not whole [`Limits::header`] (10 s) after its first byte arrived (Go's
//!   `ReadHeaderTimeout`; slowloris): closed without a response. Before a request's first
//!   byte only the idle timeout applies;
//! - a response not written within [`Limits::write`] (30 s) of the moment the write first had
//!   to wait (a client that sends and never reads): closed.
//!
//! Memory: each connection starts with a 16 KiB read buffer and a 16 KiB output buffer. A
//! large message grows them to its size; once it is consumed (read buffer) or written (output
//! buffer) a buffer above 64 KiB goes back to 16 KiB, so an idle keep-alive connection never
//! keeps the memory of its largest message. A partial read (a slow client) never grows the
//! read buffer: a read is offered at least [`MIN_READ`] free bytes, and a head fits.
//!
//! After a refusal the server shuts its write half and drains the client for up to
//! [`LINGER`] before closing, so the client reads the error instead of a reset.
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
//! (which it compares with the clock), or when a nearer deadline is needed (the head and
//! write deadlines), so a request on a healthy connection costs no timer operation.
//!
//! Generic over the runtime through [`Rt`](crate::rt::Rt); shared by `examples/http_echo`,
//! `benches/http.rs` and `tests/http_limits.rs`.
#![allow(dead_code)] // each includer uses a different part

use crate::rt::{IdleTimer, Rt};
use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use std::future::poll_fn;
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

/// Most headers a request may have (httparse needs a fixed array); more is a `431`.
pub const MAX_HEADERS: usize = 64;
/// The smallest free space a read is offered, and the buffer's starting size: 16 KiB holds
/// hundreds of pipelined small requests, and a 1 MiB body arrives in 64 reads at most.
pub const READ_CHUNK: usize = 16 * 1024;
/// After a large message, a buffer bigger than this goes back to its base size.
const SHRINK_ABOVE: usize = 64 * 1024;
/// The least free space a read is offered (the read buffer grows only when a message needs
/// more room than it has, never for a partial read).
pub const MIN_READ: usize = 4 * 1024;
/// After refusing a request, the server shuts its write half and reads (and drops) what the
/// client still sends for this long, so that its close does not reset the connection before
/// the client has read the error (Go's `rstAvoidanceDelay`, also 500 ms).
const LINGER: Duration = Duration::from_millis(500);

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
    /// A response must be written within this long (a client that stops reading is closed).
    pub write: Duration,
}

impl Limits {
    /// Every limit must be positive: `InvalidInput` naming the setting otherwise.
    pub fn check(&self) -> io::Result<()> {
        for (value, name) in [
            (self.idle, "idle timeout (--idle-timeout-ms)"),
            (self.header, "header timeout (--header-timeout-ms)"),
            (self.write, "write timeout (--write-timeout-ms)"),
        ] {
            if value.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("http_echo: the {name} must be longer than 0"),
                ));
            }
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
            write: Duration::from_secs(30),
        }
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

/// Accepts connections forever, one task each.
pub async fn serve<R: Rt>(listener: R::Listener, limits: Limits) -> io::Result<()> {
    limits.check()?;
    let limits = Arc::new(limits);
    let mut backoff = AcceptBackoff::default();
    loop {
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
        // Detached: the task ends when its connection does.
        drop(R::spawn(async move {
            let _ = serve_conn::<R>(conn, &limits).await;
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

    /// Free space to read into: at least [`MIN_READ`], and enough for `need` filled bytes.
    /// Grows the buffer only when that cannot be had by moving the filled bytes to the front.
    fn spare(&mut self, need: usize) -> &mut [u8] {
        let filled = self.end - self.start;
        let want = need.max(filled + MIN_READ);
        if self.data.len() - self.start < want || self.data.len() - self.end < MIN_READ {
            self.data.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, filled);
            if self.data.len() < want {
                // Room for the whole message and one more read, in one allocation.
                let size = want.max(need + MIN_READ);
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

/// What the front of the buffer holds.
#[derive(Debug, PartialEq)]
enum Parsed {
    /// A whole request: its response is in the output, and `len` bytes can be consumed.
    Done { len: usize, close: bool },
    /// Not yet a whole request; `need` bytes in all are needed, when known.
    Partial { need: usize },
    /// A request to refuse with this status, then close.
    Reject(u16),
}

/// Serves one connection until the client closes it, a limit is hit, or an I/O error.
pub async fn serve_conn<R: Rt>(mut io: R::Conn, limits: &Limits) -> io::Result<()> {
    let mut buf = InBuf::default();
    let mut out = Vec::with_capacity(READ_CHUNK);
    let mut last_active = Instant::now();
    let mut timer = Deadline::new(R::timer(last_active + limits.idle), last_active + limits.idle);
    // When the first byte of an unfinished request head arrived (at the latest).
    let mut head_started: Option<Instant> = None;
    loop {
        let mut need = 0;
        let mut close = false;
        let mut refused = false;
        let mut in_head = false;
        while !buf.filled().is_empty() && !close {
            match handle(buf.filled(), limits, &mut out) {
                Parsed::Done { len, close: c } => {
                    buf.consume(len);
                    close = c;
                }
                Parsed::Partial { need: n } => {
                    need = n;
                    // `need` is known once the head is whole (only the body is missing).
                    in_head = n == 0;
                    break;
                }
                Parsed::Reject(status) => {
                    error_response(&mut out, status);
                    (close, refused) = (true, true);
                }
            }
        }
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
        if refused {
            return linger(&mut io, &mut buf, &mut timer).await;
        }
        if close {
            return io.close().await;
        }
        let mut deadline = last_active + limits.idle;
        if in_head {
            // Its bytes arrived at the last read or before.
            let started = *head_started.get_or_insert(last_active);
            deadline = deadline.min(started + limits.header);
        } else {
            head_started = None;
        }
        match buf.read_by(&mut io, need, &mut timer, deadline).await? {
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

/// Parses the request at the front of `input` and, when it is whole, appends its response.
fn handle(input: &[u8], limits: &Limits, out: &mut Vec<u8>) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(input) {
        Ok(httparse::Status::Complete(n)) if n <= limits.max_head => n,
        Ok(httparse::Status::Complete(_)) | Err(httparse::Error::TooManyHeaders) => {
            return Parsed::Reject(431);
        }
        Ok(httparse::Status::Partial) if input.len() > limits.max_head => {
            return Parsed::Reject(431);
        }
        Ok(httparse::Status::Partial) => return Parsed::Partial { need: 0 },
        Err(_) => return Parsed::Reject(400),
    };
    let head = match Head::from_request(&req) {
        Ok(head) => head,
        Err(status) => return Parsed::Reject(status),
    };
    if head.body_len > limits.max_body {
        return Parsed::Reject(413);
    }
    let len = head_len + head.body_len;
    if input.len() < len {
        return Parsed::Partial { need: len };
    }
    let body = &input[head_len..len];
    let path = req.path.unwrap_or("/").as_bytes();
    let connection = match (head.close, head.keep_alive_10) {
        (true, _) => "connection: close\r\n",
        (false, true) => "connection: keep-alive\r\n",
        (false, false) => "",
    };
    match req.method.unwrap_or("") {
        "GET" => response(out, 200, path, connection, true),
        "HEAD" => response(out, 200, path, connection, false),
        "POST" | "PUT" => response(out, 200, body, connection, true),
        _ => response(out, 405, b"", connection, true),
    }
    Parsed::Done {
        len,
        close: head.close,
    }
}

/// What the headers say about framing and keep-alive.
struct Head {
    body_len: usize,
    close: bool,
    /// An HTTP/1.0 client that asked for keep-alive (it is told so in the response).
    keep_alive_10: bool,
}

impl Head {
    /// Reads `Content-Length`, `Transfer-Encoding` and `Connection`; `Err(status)` to refuse.
    fn from_request(req: &httparse::Request<'_, '_>) -> Result<Head, u16> {
        // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 closes it unless told.
        let mut close = req.version != Some(1);
        let (mut said_close, mut said_keep_alive) = (false, false);
        let mut body_len: Option<usize> = None;
        for h in req.headers.iter() {
            if h.name.eq_ignore_ascii_case("content-length") {
                let n = std::str::from_utf8(h.value)
                    .ok()
                    .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|s| s.parse::<usize>().ok())
                    .ok_or(400u16)?;
                // Two different lengths: the framing is ambiguous (request smuggling).
                if body_len.is_some_and(|m| m != n) {
                    return Err(400);
                }
                body_len = Some(n);
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                return Err(501);
            } else if h.name.eq_ignore_ascii_case("connection") {
                // A token list (RFC 9110 §7.6.1), over any number of headers.
                for token in h.value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                    if token.eq_ignore_ascii_case(b"close") {
                        said_close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        said_keep_alive = true;
                    }
                }
            }
        }
        // `close` wins over `keep-alive` (RFC 9112 §9.6).
        if said_close {
            close = true;
        } else if said_keep_alive {
            close = false;
        }
        Ok(Head {
            body_len: body_len.unwrap_or(0),
            close,
            keep_alive_10: !close && req.version == Some(0),
        })
    }
}

/// The reason phrase of the statuses this server sends.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        _ => "Unknown",
    }
}

/// Appends a response with `body` (sent only if `with_body`; `HEAD` leaves it out), and
/// `connection`, a whole `connection` header line or nothing.
fn response(out: &mut Vec<u8>, status: u16, body: &[u8], connection: &str, with_body: bool) {
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        "HTTP/1.1 {status} {}\r\ncontent-length: {}\r\n{connection}\r\n",
        reason(status),
        body.len()
    );
    if with_body {
        out.extend_from_slice(body);
    }
}

/// Appends the response to a refused request (its body is the reason phrase).
fn error_response(out: &mut Vec<u8>, status: u16) {
    let body = reason(status).as_bytes();
    response(out, status, body, "connection: close\r\n", true);
}
