//! Property tests of `examples/http_echo`'s request parser (`echo/src/parse.rs`), driven from
//! bytes as the server drives it from reads: requests built from arbitrary heads and bodies
//! (and plain arbitrary bytes) fed in pieces split anywhere never panic, never answer the
//! same bytes twice, and give exactly the answers (and the same end) as the same bytes fed at
//! once.

use gosched_http_echo::parse::{self, Parsed, Parser};
use proptest::prelude::*;
use proptest::sample::Index;

/// Small limits, so that generated requests cross them often.
const MAX_HEAD: usize = 256;
const MAX_BODY: usize = 120;

/// What feeding a connection's bytes produced.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    /// Every answer, in order.
    out: Vec<u8>,
    /// The length of each answered request, and the refusal status, if any.
    answered: Vec<usize>,
    refused: Option<u16>,
    /// The connection closed (after `Connection: close` or a refusal; what came after it is
    /// never read, so how much of it had arrived is not compared).
    closed: bool,
}

/// Feeds `bytes` to a parser in the pieces `cuts` makes, as `serve_conn` does: append a read,
/// answer every whole request at the front, consume it, stop at a close.
fn feed(bytes: &[u8], cuts: &[usize]) -> Outcome {
    let mut parser = Parser::new(MAX_HEAD, MAX_BODY);
    let mut o = Outcome {
        out: Vec::new(),
        answered: Vec::new(),
        refused: None,
        closed: false,
    };
    let mut buf: Vec<u8> = Vec::new();
    let mut at = 0;
    for &cut in cuts.iter().chain([&bytes.len()]) {
        if o.closed || cut < at {
            continue;
        }
        buf.extend_from_slice(&bytes[at..cut]);
        at = cut;
        while !buf.is_empty() && !o.closed {
            match parser.handle(&buf, &mut o.out) {
                Parsed::Done { len, close } => {
                    assert!(
                        len > 0 && len <= buf.len(),
                        "Done {{ len: {len} }} of {}",
                        buf.len()
                    );
                    buf.drain(..len);
                    o.answered.push(len);
                    o.closed = close;
                }
                Parsed::Partial { need } => {
                    assert!(
                        need == 0 || need > buf.len(),
                        "Partial {{ need: {need} }} of {}",
                        buf.len()
                    );
                    assert_eq!(parser.in_body(), need > 0);
                    break;
                }
                Parsed::Reject(status) => {
                    assert!([400, 413, 431, 501].contains(&status), "{status}");
                    parse::error_response(&mut o.out, status);
                    o.refused = Some(status);
                    o.closed = true;
                }
            }
        }
    }
    o
}

/// Checks one input: split feeding agrees with one-shot feeding, and no byte is answered twice.
fn check(bytes: &[u8], cuts: &[Index]) -> Result<(), TestCaseError> {
    let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let once = feed(bytes, &[]);
    let split = feed(bytes, &cuts);
    prop_assert_eq!(&split, &once, "cuts {:?}", cuts);
    // Each answer consumed bytes of its own: together no more than were sent.
    prop_assert!(once.answered.iter().sum::<usize>() <= bytes.len());
    // Each answered request had a head of its own.
    let heads = bytes.windows(4).filter(|w| w == b"\r\n\r\n").count();
    prop_assert!(
        once.answered.len() <= heads,
        "{} answers, {heads} heads",
        once.answered.len()
    );
    let answers = once.out.windows(9).filter(|w| w == b"HTTP/1.1 ").count();
    prop_assert!(answers >= once.answered.len() + usize::from(once.refused.is_some()));
    Ok(())
}

/// One request: request line, headers (some about framing), blank line, body, in any mix of
/// right and wrong.
fn request() -> impl Strategy<Value = Vec<u8>> {
    let method = prop::sample::select(vec!["GET", "HEAD", "POST", "PUT", "DELETE", "G T", ""]);
    let version = prop::sample::select(vec!["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1 "]);
    let header = prop_oneof![
        Just("connection: close".to_owned()),
        Just("Connection: keep-alive".to_owned()),
        Just("transfer-encoding: chunked".to_owned()),
        "content-length: [0-9]{1,3}",
        "content-length: [0-9]{19,21}",
        Just("content-length: -1".to_owned()),
        "x-pad: [a-z ]{0,90}",
        "[ -~]{0,20}",
    ];
    let body = prop::collection::vec(any::<u8>(), 0..160);
    (
        method,
        "[/a-z0-9?=%&]{0,24}",
        version,
        prop::collection::vec(header, 0..5),
        prop::option::of(0..2usize),
        body,
    )
        .prop_map(|(method, path, version, headers, length, body)| {
            let mut req = format!("{method} {path} {version}\r\n").into_bytes();
            for h in headers {
                req.extend_from_slice(h.as_bytes());
                req.extend_from_slice(b"\r\n");
            }
            // Most requests say their body's length, some say one off by one.
            if let Some(off) = length {
                req.extend_from_slice(format!("content-length: {}\r\n", body.len() + off).as_bytes());
            }
            req.extend_from_slice(b"\r\n");
            req.extend_from_slice(&body);
            req
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn pipelined_requests_split_anywhere_parse_as_at_once(
        reqs in prop::collection::vec(request(), 1..6),
        cuts in prop::collection::vec(any::<Index>(), 0..12),
    ) {
        check(&reqs.concat(), &cuts)?;
    }

    #[test]
    fn arbitrary_bytes_split_anywhere_parse_as_at_once(
        bytes in prop::collection::vec(any::<u8>(), 0..700),
        cuts in prop::collection::vec(any::<Index>(), 0..12),
    ) {
        check(&bytes, &cuts)?;
    }
}

#[test]
fn a_body_arriving_byte_by_byte_is_answered_once_from_one_head_parse() {
    let req = b"POST /e HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello";
    let cuts: Vec<usize> = (1..req.len()).collect();
    let o = feed(req, &cuts);
    assert_eq!(o.answered, [req.len()]);
    assert!(
        o.out.ends_with(b"\r\n\r\nhello"),
        "{}",
        String::from_utf8_lossy(&o.out)
    );
    // Once the head is whole, the parser holds it: a call with the body still short is
    // answered from it, whatever the head bytes say by then.
    let mut parser = Parser::new(MAX_HEAD, MAX_BODY);
    let mut out = Vec::new();
    let head_len = req.len() - 5;
    assert_eq!(
        parser.handle(&req[..head_len + 2], &mut out),
        Parsed::Partial { need: req.len() }
    );
    assert!(parser.in_body());
    let mut changed = req.to_vec();
    changed[..4].copy_from_slice(b"XXXX");
    assert_eq!(
        parser.handle(&changed, &mut out),
        Parsed::Done {
            len: req.len(),
            close: false
        }
    );
    assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(!parser.in_body());
}
