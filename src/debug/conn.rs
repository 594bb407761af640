//! One connection of the debug endpoint: read the request head (with its `Host` check),
//! answer, close with a linger; and the fast 503 of a connection over the cap.

use super::pages::{self, Page, Slots};
use crate::net::TcpStream;
use crate::runtime::Handle;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
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
/// Input a refused connection over the cap reads (and drops) before its answer, so that its
/// close is not a reset (a request head fits).
const BUSY_DRAIN: usize = 16 * 1024;

/// What every connection of one `serve` shares.
pub(super) struct Ctx {
    pub(super) handle: Handle,
    /// The address the endpoint is bound to, when it is a loopback one: then only requests
    /// naming a loopback host or this address are served (DNS rebinding).
    pub(super) loopback: Option<SocketAddr>,
    pub(super) slots: Slots,
}

/// An answer: status, content type, body (`None`: a `HEAD` answer, headers only), extra
/// headers.
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) content_type: &'static str,
    pub(super) body: Option<String>,
    pub(super) extra: &'static str,
}

impl Response {
    pub(super) fn ok(content_type: &'static str, body: String) -> Response {
        Response {
            status: 200,
            content_type,
            body: Some(body),
            extra: "",
        }
    }

    pub(super) fn error(status: u16, msg: impl Into<String>) -> Response {
        let mut body = msg.into();
        body.push('\n');
        Response {
            status,
            content_type: pages::TEXT,
            body: Some(body),
            extra: "",
        }
    }

    /// The bytes on the wire: the head (every answer says `nosniff`, so a browser never
    /// renders an echoed path as a page), then the body if any.
    fn to_bytes(&self) -> Vec<u8> {
        let length = match &self.body {
            Some(body) => format!("Content-Length: {}\r\n", body.len()),
            None => String::new(),
        };
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nX-Content-Type-Options: nosniff\r\n{length}\
             Cache-Control: no-store\r\nConnection: close\r\n{}\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.extra
        )
        .into_bytes();
        out.extend_from_slice(self.body.as_deref().unwrap_or_default().as_bytes());
        out
    }
}

/// Reads one request, answers it and closes the connection.
pub(super) async fn connection(stream: TcpStream, ctx: Arc<Ctx>) -> io::Result<()> {
    let resp = match crate::time::timeout(READ_TIMEOUT, read_head(&stream, &ctx)).await {
        Err(_) => Response::error(408, "request head not received in time"),
        Ok(Err(e)) => return Err(e),
        Ok(Ok(Err(resp))) => resp,
        Ok(Ok(Ok((head_only, page)))) => pages::answer(page, head_only, &ctx).await,
    };
    let _ = crate::time::timeout(WRITE_TIMEOUT, write_all(&stream, &resp.to_bytes())).await;
    drop(resp);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    // A lingering close: closing with unread input would send a reset, which can destroy the
    // answer before the client reads it (a 431 sent while the client is still writing).
    let _ = crate::time::timeout(LINGER, drain(&stream, 256 * 1024)).await;
    Ok(())
}

/// A connection over the cap: without waiting for anything, drop what it sent so far, answer
/// 503 if the answer fits in the socket buffer at once, and close.
pub(super) fn refuse_busy(stream: TcpStream, cap: usize) {
    use std::io::{Read, Write};
    // The socket through std (non-blocking, as the runtime set it): the runtime's `try_*`
    // wait for a readiness event that a just-accepted socket has not had yet.
    let Ok(fd) = std::os::fd::AsFd::as_fd(&stream).try_clone_to_owned() else {
        return;
    };
    let mut raw = std::net::TcpStream::from(fd);
    let mut buf = [0u8; 4096];
    let mut left = BUSY_DRAIN;
    while left > 0 {
        match raw.read(&mut buf) {
            Ok(n) if n > 0 => left = left.saturating_sub(n),
            _ => break,
        }
    }
    let mut resp = Response::error(
        503,
        format!("the debug endpoint serves {cap} connections at once; try again shortly"),
    );
    resp.extra = "Retry-After: 1\r\n";
    let _ = raw.write(&resp.to_bytes());
    let _ = raw.shutdown(std::net::Shutdown::Write);
}

/// Reads and drops input until the client closes (at most `limit` bytes).
async fn drain(stream: &TcpStream, limit: usize) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    let mut left = limit;
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
async fn read_head(stream: &TcpStream, ctx: &Ctx) -> io::Result<Result<(bool, Page), Response>> {
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
            Ok(httparse::Status::Complete(_)) => return Ok(request(&req, ctx)),
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

/// The page a whole request head asks for, after the `Host` check.
fn request(req: &httparse::Request<'_, '_>, ctx: &Ctx) -> Result<(bool, Page), Response> {
    if let Some(bound) = ctx.loopback {
        let host = req.headers.iter().find(|h| h.name.eq_ignore_ascii_case("host"));
        if let Some(host) = host.filter(|h| !host_allowed(h.value, bound)) {
            return Err(Response::error(
                403,
                format!(
                    "Host {:?} is not a loopback name: this endpoint is bound to {bound} and \
                     answers only requests for localhost, 127.0.0.1, [::1] or {bound}",
                    String::from_utf8_lossy(host.value)
                ),
            ));
        }
    }
    let method = req.method.unwrap_or_default();
    let target = req.path.unwrap_or_default();
    pages::route(method, target).map(|page| (method == "HEAD", page))
}

/// Whether a `Host` value names a loopback host or the bound address, with or without a
/// port: what a browser sends for `http://localhost:6060/`, and never for a page of another
/// site whose name was rebound to 127.0.0.1 (it sends that site's name).
fn host_allowed(value: &[u8], bound: SocketAddr) -> bool {
    let Ok(value) = std::str::from_utf8(value) else {
        return false;
    };
    let value = value.trim();
    let name = if let Some(rest) = value.strip_prefix('[') {
        // An IPv6 literal: `[::1]` or `[::1]:6060`.
        match rest.split_once(']') {
            Some((name, "")) => name,
            Some((name, port)) if port.strip_prefix(':').is_some_and(is_port) => name,
            _ => return false,
        }
    } else {
        match value.rsplit_once(':') {
            Some((name, port)) if is_port(port) => name,
            Some(_) => return false,
            None => value,
        }
    };
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match name.parse::<IpAddr>() {
        Ok(ip) => {
            ip == IpAddr::from([127, 0, 0, 1]) || ip == std::net::Ipv6Addr::LOCALHOST || ip == bound.ip()
        }
        Err(_) => false,
    }
}

/// A port number: 1 to 5 digits.
fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
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
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::host_allowed;

    #[test]
    fn loopback_names_and_the_bound_address_pass_the_host_check() {
        let bound = "127.0.0.1:6060".parse().unwrap();
        for ok in [
            "localhost",
            "LocalHost:6060",
            "127.0.0.1",
            "127.0.0.1:1",
            "[::1]",
            "[::1]:6060",
            " localhost ",
        ] {
            assert!(host_allowed(ok.as_bytes(), bound), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:6060",
            "localhost.evil.example",
            "127.0.0.2",
            "[::1]x",
            "[::2]",
            "localhost:",
            "localhost:http",
            "::1",
            "",
            "\u{ff}",
        ] {
            assert!(!host_allowed(bad.as_bytes(), bound), "{bad}");
        }
        let other = "127.0.0.9:6060".parse().unwrap();
        assert!(host_allowed(b"127.0.0.9:6060", other));
        assert!(host_allowed(b"127.0.0.9", other));
    }
}
