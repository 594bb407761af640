//! `GoschedIo` and hyper's HTTP/1.1 parser over scripted streams (`tokio_test::io::Builder`):
//! requests split at awkward places, pipelined, with a large body, malformed, and cut by an
//! I/O error, each answered with exactly the bytes scripted. The connection runs as a gosched
//! task; no tokio runtime exists (the mock only uses tokio's channels). One test polls the
//! adapter by hand (`tokio_test::task`) to check that it passes the waker through.

mod hyper_support;

use gosched::hyper::GoschedIo;
use gosched::time::timeout;
use gosched_http_echo::rt::TokioConn;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_support::{LIMIT, assert_on_gosched_without_tokio, rt, watchdog};
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::time::Duration;
use tokio_test::io::{Builder, Mock};
use tokio_test::{assert_pending, assert_ready};

/// Answers `"<METHOD> <path> <body length>"`.
async fn summary(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    assert_on_gosched_without_tokio();
    let head = format!("{} {}", req.method(), req.uri().path());
    let body = req.into_body().collect().await?.to_bytes();
    Ok(Response::new(Full::new(Bytes::from(format!(
        "{head} {}",
        body.len()
    )))))
}

/// A response as hyper writes it without its `date` header.
fn response(body: &str) -> String {
    format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len())
}

/// Serves the scripted stream with hyper's HTTP/1.1 server in a gosched task; its result.
fn serve(mock: Mock) -> hyper::Result<()> {
    rt(2).block_on(async {
        let conn = gosched::spawn(async move {
            hyper::server::conn::http1::Builder::new()
                .auto_date_header(false)
                .serve_connection(GoschedIo::new(TokioConn(mock)), service_fn(summary))
                .await
        });
        timeout(LIMIT, conn).await.expect("the connection hung").unwrap()
    })
}

#[test]
fn split_and_pipelined_requests_get_exactly_their_responses() {
    let _w = watchdog("split_and_pipelined_requests", Duration::from_secs(60));
    let mock = Builder::new()
        .read(b"GET /a HT")
        .read(b"TP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Le")
        .read(b"ngth: 5\r\n\r\nhel")
        .read(b"lo")
        .write(response("GET /a 0").as_bytes())
        .write(response("POST /b 5").as_bytes())
        .build();
    serve(mock).unwrap(); // the script's EOF ends the connection cleanly
}

#[test]
fn a_body_larger_than_one_read_arrives_whole() {
    let _w = watchdog(
        "a_body_larger_than_one_read_arrives_whole",
        Duration::from_secs(60),
    );
    const LEN: usize = 300_000; // several of GoschedIo's capped reads, hyper's buffer growing
    let mut request = format!("PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: {LEN}\r\n\r\n").into_bytes();
    request.extend(std::iter::repeat_n(b'z', LEN));
    let mock = Builder::new()
        .read(&request)
        .write(response(&format!("PUT /big {LEN}")).as_bytes())
        .build();
    serve(mock).unwrap();
}

#[test]
fn a_malformed_request_gets_400_and_the_connection_ends_with_a_parse_error() {
    let _w = watchdog("a_malformed_request_gets_400", Duration::from_secs(60));
    let mock = Builder::new()
        .read(b"GET / HTTP/1.1\r\nno colon in this header\r\n\r\n")
        .write(b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
        .build();
    let err = serve(mock).unwrap_err();
    assert!(err.is_parse(), "{err:?}");
}

#[test]
fn a_read_error_reaches_hyper_as_the_same_io_error() {
    let _w = watchdog("a_read_error_reaches_hyper", Duration::from_secs(60));
    let mock = Builder::new()
        .read(b"POST /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part")
        .read_error(io::Error::new(io::ErrorKind::ConnectionReset, "scripted reset"))
        .build();
    // The handler was reading the body: hyper reports the service's error, caused by the
    // body's, caused by the scripted one.
    let err = serve(mock).unwrap_err();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            assert_eq!(io.kind(), io::ErrorKind::ConnectionReset);
            assert_eq!(io.to_string(), "scripted reset");
            return;
        }
        cause = e.source();
    }
    panic!("no io::Error in {err:?}");
}

#[test]
fn a_read_with_nothing_to_read_is_pending_and_woken_when_bytes_arrive() {
    // Polled by hand, outside any runtime: the adapter must hand the stream the caller's waker.
    let (mock, mut handle) = Builder::new().build_with_handle();
    let mut io = GoschedIo::new(TokioConn(mock));
    let mut storage = [MaybeUninit::<u8>::uninit(); 32];
    let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
    {
        let mut read = tokio_test::task::spawn(std::future::poll_fn(|cx| {
            hyper::rt::Read::poll_read(Pin::new(&mut io), cx, buf.unfilled())
        }));
        assert_pending!(read.poll());
        assert!(!read.is_woken());
        handle.read(b"late bytes");
        assert!(read.is_woken(), "the stream's wake did not reach the reader");
        assert_ready!(read.poll()).unwrap();
    }
    assert_eq!(buf.filled(), b"late bytes");
}
