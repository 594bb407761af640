//! The load generator of `http_echo`: `connections` keep-alive connections, each sending
//! `requests` requests one after the other (even ones `POST /echo` with a body, odd ones
//! `GET /echo/<conn>/<n>`) and checking that the echo is byte for byte what was sent.
//!
//! Generic over the runtime through [`Rt`](crate::rt::Rt).

use crate::rt::Rt;
use crate::server::InBuf;
use futures::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Most headers a response may have.
const MAX_RESPONSE_HEADERS: usize = 16;
/// Largest response body the client accepts (the server's echo of a body it accepted is at
/// most 1 MiB): a longer `Content-Length` is an error, not an allocation.
const MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;

/// What to send.
#[derive(Clone, Debug)]
pub struct Load {
    pub addr: SocketAddr,
    pub connections: usize,
    /// Requests per connection.
    pub requests: u64,
    /// Bytes in each `POST` body.
    pub body_size: usize,
}

/// Counters the progress line reads while the load runs.
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub errors: AtomicU64,
}

/// The outcome of a run.
#[derive(Debug)]
pub struct Report {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Latency of each successful request, in ns, sorted.
    pub latencies: Vec<u64>,
}

impl Report {
    /// Requests (successful or not) per second.
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`-quantile (0..=1) of the latencies.
    pub fn quantile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        Duration::from_nanos(self.latencies[i])
    }
}

/// Runs `load` to the end, one task per connection.
pub async fn run<R: Rt>(load: &Load, progress: Arc<Progress>) -> Report {
    let start = Instant::now();
    let tasks: Vec<_> = (0..load.connections)
        .map(|id| R::spawn(connection::<R>(load.clone(), id, progress.clone())))
        .collect();
    let mut latencies = Vec::with_capacity(load.connections * load.requests as usize);
    let mut errors = 0;
    for t in tasks {
        let (lat, err) = t.await;
        latencies.extend(lat);
        errors += err;
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    Report {
        requests: load.connections as u64 * load.requests,
        errors,
        elapsed,
        latencies,
    }
}

/// One connection's requests: their latencies and the number of errors. An I/O error or a
/// malformed response costs one request and the connection (the next request reconnects);
/// a refused connect costs all the requests left.
async fn connection<R: Rt>(load: Load, id: usize, progress: Arc<Progress>) -> (Vec<u64>, u64) {
    let mut latencies = Vec::with_capacity(load.requests as usize);
    let mut errors = 0;
    let mut conn = None;
    let mut buf = InBuf::default();
    let (mut req, mut expect) = (Vec::new(), Vec::new());
    for n in 0..load.requests {
        if conn.is_none() {
            match R::connect(load.addr).await {
                Ok(c) => (conn, buf) = (Some(c), InBuf::default()),
                Err(_) => {
                    errors += load.requests - n;
                    progress.errors.fetch_add(load.requests - n, Ordering::Relaxed);
                    break;
                }
            }
        }
        request(&mut req, &mut expect, id, n, load.body_size);
        let start = Instant::now();
        let io = conn.as_mut().expect("connected above");
        let ok = match exchange(io, &mut buf, &req, &expect).await {
            Ok(ok) => ok,
            Err(_) => {
                conn = None;
                false
            }
        };
        if ok {
            latencies.push(start.elapsed().as_nanos() as u64);
        } else {
            errors += 1;
            progress.errors.fetch_add(1, Ordering::Relaxed);
        }
        progress.done.fetch_add(1, Ordering::Relaxed);
    }
    (latencies, errors)
}

/// Writes request `n` of connection `id` into `req`, and the echo it should get into `expect`.
pub fn request(req: &mut Vec<u8>, expect: &mut Vec<u8>, id: usize, n: u64, body_size: usize) {
    req.clear();
    expect.clear();
    if n % 2 == 1 {
        let _ = write!(expect, "/echo/{id}/{n}");
        req.extend_from_slice(b"GET ");
        req.extend_from_slice(expect);
        req.extend_from_slice(b" HTTP/1.1\r\nhost: gosched\r\n\r\n");
    } else {
        // Printable bytes that differ between connections and requests.
        let seed = id as u64 * 7 + n * 13;
        expect.extend((0..body_size as u64).map(|k| b'a' + ((seed + k) % 26) as u8));
        let _ = write!(
            req,
            "POST /echo HTTP/1.1\r\nhost: gosched\r\ncontent-length: {body_size}\r\n\r\n"
        );
        req.extend_from_slice(expect);
    }
}

/// Sends `req` and reads one response: `Ok(true)` when it is a 200 whose body is `expect`.
pub async fn exchange<C>(conn: &mut C, buf: &mut InBuf, req: &[u8], expect: &[u8]) -> io::Result<bool>
where
    C: AsyncRead + AsyncWrite + Unpin,
{
    conn.write_all(req).await?;
    loop {
        let need = match parse_response(buf.filled())? {
            Response::Whole { len, ok_body } => {
                let ok = ok_body.is_some_and(|r| &buf.filled()[r] == expect);
                buf.consume(len);
                return Ok(ok);
            }
            Response::Partial { need } => need,
        };
        if buf.read_from(conn, need).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
}

/// A response at the front of a buffer.
enum Response {
    /// `len` bytes in all; the body's range when the status is 200.
    Whole {
        len: usize,
        ok_body: Option<std::ops::Range<usize>>,
    },
    /// `need` bytes in all (0: not known yet).
    Partial { need: usize },
}

fn parse_response(input: &[u8]) -> io::Result<Response> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_RESPONSE_HEADERS];
    let mut res = httparse::Response::new(&mut headers);
    let head_len = match res.parse(input) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(Response::Partial { need: 0 }),
        Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
    };
    let value = res
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .map(|h| String::from_utf8_lossy(h.value))
        .ok_or_else(|| invalid_data("the response has no content-length".into()))?;
    // Not trusted: digits only, and at most what the client accepts.
    let body_len = value
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| value.parse::<usize>().ok())
        .flatten()
        .filter(|&n| n <= MAX_RESPONSE_BODY)
        .ok_or_else(|| {
            invalid_data(format!(
                "the response's content-length {value:?} is not a number up to {MAX_RESPONSE_BODY}"
            ))
        })?;
    let len = head_len + body_len;
    if input.len() < len {
        return Ok(Response::Partial { need: len });
    }
    let ok_body = (res.code == Some(200)).then_some(head_len..len);
    Ok(Response::Whole { len, ok_body })
}

fn invalid_data(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("http_echo client: {msg}"))
}
