//! http_echo's request parser: bytes in, answers out, no I/O (so `tests/http_parse.rs` can
//! drive it from arbitrary bytes split anywhere).
//!
//! [`Parser::handle`] looks at the front of the unread input. A whole request appends its
//! answer to the output and says how many bytes to consume; a request whose head is whole
//! but whose body is still arriving is remembered ([`Parser::in_body`]), so its head is
//! parsed once however many reads the body takes. The caller must not consume input between
//! a [`Parsed::Partial`] and the next call (it only appends), and stops at the first
//! [`Parsed::Reject`] (the connection closes after the error answer).

use std::io::Write;
use std::ops::Range;

/// Most headers a request may have (httparse needs a fixed array); more is a `431`.
pub const MAX_HEADERS: usize = 64;

/// What the front of the input holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole request: its answer is in the output, and `len` bytes can be consumed.
    Done { len: usize, close: bool },
    /// Not yet a whole request; `need` bytes in all are needed (0: the head is not whole yet).
    Partial { need: usize },
    /// A request to refuse with this status (the caller appends [`error_response`]), then close.
    Reject(u16),
}

/// The request parser of one connection.
#[derive(Debug)]
pub struct Parser {
    max_head: usize,
    max_body: usize,
    /// The request whose head was parsed and whose body is still arriving.
    pending: Option<Pending>,
}

/// A parsed head: all that is needed to answer once the body is there.
#[derive(Debug)]
struct Pending {
    /// Head and body, in bytes.
    len: usize,
    status: u16,
    /// What the answer echoes, as a range of the input.
    echo: Range<usize>,
    content_type: &'static str,
    with_body: bool,
    /// A whole `connection` header line, or nothing.
    connection: &'static str,
    close: bool,
}

/// The content type of an echoed path and of the error answers.
const TEXT: &str = "text/plain; charset=utf-8";
/// The content type of an echoed body: bytes, whatever they look like (a `<script>` posted
/// from another site is not rendered as a page).
const BYTES: &str = "application/octet-stream";

impl Parser {
    /// A parser refusing heads over `max_head` bytes (431) and bodies over `max_body` (413).
    pub fn new(max_head: usize, max_body: usize) -> Parser {
        Parser {
            max_head,
            max_body,
            pending: None,
        }
    }

    /// Whether a request's head is parsed and its body is still arriving.
    pub fn in_body(&self) -> bool {
        self.pending.is_some()
    }

    /// Parses the request at the front of `input` and, when it is whole, appends its answer
    /// to `out`.
    pub fn handle(&mut self, input: &[u8], out: &mut Vec<u8>) -> Parsed {
        let pending = match self.pending.take() {
            Some(pending) => pending,
            None => match self.parse_head(input) {
                Ok(pending) => pending,
                Err(parsed) => return parsed,
            },
        };
        if input.len() < pending.len {
            let need = pending.len;
            self.pending = Some(pending);
            return Parsed::Partial { need };
        }
        let body = if pending.with_body {
            &input[pending.echo.clone()]
        } else {
            &[][..]
        };
        response(
            out,
            pending.status,
            pending.content_type,
            pending.echo.len(),
            body,
            pending.connection,
        );
        Parsed::Done {
            len: pending.len,
            close: pending.close,
        }
    }

    /// The head at the front of `input`, or what to do instead.
    fn parse_head(&self, input: &[u8]) -> Result<Pending, Parsed> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        // Only the first `max_head` bytes are looked at, so that the verdict on a head does
        // not depend on how much of what follows has arrived (a malformed byte past the limit
        // is a 431 whether it came in the same read or a later one).
        let window = &input[..input.len().min(self.max_head)];
        let head_len = match req.parse(window) {
            Ok(httparse::Status::Complete(n)) => n,
            Err(httparse::Error::TooManyHeaders) => return Err(Parsed::Reject(431)),
            Ok(httparse::Status::Partial) if input.len() > self.max_head => {
                return Err(Parsed::Reject(431));
            }
            Ok(httparse::Status::Partial) => return Err(Parsed::Partial { need: 0 }),
            Err(_) => return Err(Parsed::Reject(400)),
        };
        let head = Head::from_request(&req).map_err(Parsed::Reject)?;
        if head.body_len > self.max_body {
            return Err(Parsed::Reject(413));
        }
        let len = head_len + head.body_len;
        // The path is a subslice of `input` (httparse borrows it from there).
        let path = req.path.map_or(0..0, |p| {
            let start = p.as_ptr() as usize - input.as_ptr() as usize;
            start..start + p.len()
        });
        let connection = match (head.close, head.keep_alive_10) {
            (true, _) => "connection: close\r\n",
            (false, true) => "connection: keep-alive\r\n",
            (false, false) => "",
        };
        let (status, echo, content_type, with_body) = match req.method.unwrap_or("") {
            "GET" => (200, path, TEXT, true),
            "HEAD" => (200, path, TEXT, false),
            "POST" | "PUT" => (200, head_len..len, BYTES, true),
            _ => (405, 0..0, TEXT, true),
        };
        Ok(Pending {
            len,
            status,
            echo,
            content_type,
            with_body,
            connection,
            close: head.close,
        })
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

/// Appends an answer whose body is `length` bytes long, with `body` after the head (empty for
/// `HEAD`), and `connection`, a whole `connection` header line or nothing. Every answer says
/// what it is and that it must not be sniffed as anything else.
fn response(
    out: &mut Vec<u8>,
    status: u16,
    content_type: &str,
    length: usize,
    body: &[u8],
    connection: &str,
) {
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\nx-content-type-options: nosniff\r\n\
         content-length: {length}\r\n{connection}\r\n",
        reason(status),
    );
    out.extend_from_slice(body);
}

/// Appends the answer to a refused request (its body is the reason phrase).
pub fn error_response(out: &mut Vec<u8>, status: u16) {
    let body = reason(status).as_bytes();
    response(out, status, TEXT, body.len(), body, "connection: close\r\n");
}
