//! An HTTP/1.1 echo server: `GET` (and `HEAD`) answer with the request's path, `POST` and
//! `PUT` with its body. Keep-alive and pipelining, `Content-Length` framing only, requests
//! parsed with `httparse`.
//!
//! Limits, so that one bad client cannot hurt the server (each has a test in
//! `tests/http_limits.rs`):
//! - a request head larger than [`Limits::max_head`] (8 KiB), or with more than
//!   [`MAX_HEADERS`] headers: `431` and close;
//! - a body larger than [`Limits::max_body`] (1 MiB): `413` and close;
//! - a request `httparse` rejects, or a bad `Content-Length`: `400` and close;
//!   `Transfer-Encoding` (chunked bodies): `501` and close;
//! - no bytes from the client for [`Limits::idle`] (30 s): the connection is closed.
//!
//! After a refusal the server shuts its write half and drains the client for up to
//! [`LINGER`] before closing, so the client reads the error instead of a reset.
//!
//! Responses to all the complete requests found in one read are written with one
//! `write_all` (a pipelining client gets one segment back, not one per request). The idle
//! timer is armed once per connection and moved only when it fires early (it compares with
//! the time of the last read), so a request costs no timer operation.
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
/// After a large request, a buffer bigger than this is given back once it is empty.
const SHRINK_ABOVE: usize = 64 * 1024;
/// After refusing a request, the server shuts its write half and reads (and drops) what the
/// client still sends for this long, so that its close does not reset the connection before
/// the client has read the error (Go's `rstAvoidanceDelay`, also 500 ms).
const LINGER: Duration = Duration::from_millis(500);
/// Wait after an `accept` error (EMFILE, ...) before trying again, as Go's `net/http` does
/// (it starts at 5 ms and doubles; one fixed step is enough here).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// The server's limits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request head (request line and headers), in bytes.
    pub max_head: usize,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// A connection that sends nothing for this long is closed.
    pub idle: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_head: 8 * 1024,
            max_body: 1024 * 1024,
            idle: Duration::from_secs(30),
        }
    }
}

/// Accepts connections forever, one task each.
pub async fn serve<R: Rt>(listener: R::Listener, limits: Limits) -> io::Result<()> {
    let limits = Arc::new(limits);
    loop {
        let conn = match R::accept(&listener).await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("http_echo: accept: {e}");
                R::timer(Instant::now() + ACCEPT_BACKOFF).await;
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
    /// The bytes read and not consumed yet.
    pub fn filled(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    /// Drops the first `n` filled bytes.
    pub fn consume(&mut self, n: usize) {
        self.start += n;
        debug_assert!(self.start <= self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.data.len() > SHRINK_ABOVE {
                self.data.truncate(READ_CHUNK);
                self.data.shrink_to_fit();
            }
        }
    }

    /// Free space to read into: at least [`READ_CHUNK`], and enough for `need` filled bytes.
    fn spare(&mut self, need: usize) -> &mut [u8] {
        let want = need.max(self.end - self.start + READ_CHUNK);
        if self.data.len() - self.start < want || self.data.len() - self.end < READ_CHUNK {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.data.len() < want {
                self.data.resize(want, 0);
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

    /// Reads once from `io` unless nothing arrives by `deadline`: `Ok(None)` then. `timer`
    /// is moved only when it fires before the deadline.
    async fn read_idle<T: AsyncRead + Unpin>(
        &mut self,
        io: &mut T,
        need: usize,
        timer: &mut impl IdleTimer,
        deadline: Instant,
    ) -> io::Result<Option<usize>> {
        let spare = self.spare(need);
        let n = poll_fn(|cx| {
            // The timer first, so that a task waiting here is parked on the read last (its
            // wait reason in a gosched task dump is "IO wait", not "sleep").
            while Pin::new(&mut *timer).poll(cx).is_ready() {
                if Instant::now() >= deadline {
                    return Poll::Ready(Ok(None));
                }
                timer.reset(deadline);
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
    let mut timer = R::timer(last_active + limits.idle);
    loop {
        let mut need = 0;
        let mut close = false;
        let mut refused = false;
        while !buf.filled().is_empty() && !close {
            match handle(buf.filled(), limits, &mut out) {
                Parsed::Done { len, close: c } => {
                    buf.consume(len);
                    close = c;
                }
                Parsed::Partial { need: n } => {
                    need = n;
                    break;
                }
                Parsed::Reject(status) => {
                    error_response(&mut out, status);
                    (close, refused) = (true, true);
                }
            }
        }
        if !out.is_empty() {
            io.write_all(&out).await?;
            out.clear();
        }
        if refused {
            return linger(&mut io, &mut buf, &mut timer).await;
        }
        if close {
            return io.close().await;
        }
        let deadline = last_active + limits.idle;
        match buf.read_idle(&mut io, need, &mut timer, deadline).await? {
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
    timer: &mut impl IdleTimer,
) -> io::Result<()> {
    io.close().await?;
    let deadline = Instant::now() + LINGER;
    timer.reset(deadline);
    while let Some(n) = buf.read_idle(io, 0, timer, deadline).await? {
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
                if h.value.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if h.value.eq_ignore_ascii_case(b"keep-alive") {
                    close = false;
                }
            }
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
