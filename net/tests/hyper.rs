//! Feature `tokio-io`: hyper (HTTP/1.1 server and client) on gosched streams through
//! `hyper_util::rt::TokioIo`, with no tokio runtime anywhere.
#![cfg(feature = "tokio-io")]

mod common;

use common::{rt, watchdog};
use gosched_executor::time::timeout;
use gosched_net::{TcpListener, TcpStream};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// Answers with the path and the length of the request body.
async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = req.uri().path().to_owned();
    let body = req.into_body().collect().await?.to_bytes();
    let text = format!(
        "{path} got {} bytes: {}",
        body.len(),
        String::from_utf8_lossy(&body)
    );
    Ok(Response::builder()
        .header("x-served-by", "gosched")
        .body(Full::new(Bytes::from(text)))
        .unwrap())
}

#[test]
fn hyper_serves_one_request_over_gosched_tcp() {
    let _w = watchdog(
        "hyper_serves_one_request_over_gosched_tcp",
        Duration::from_secs(60),
    );
    for maxprocs in [1, 2] {
        rt(maxprocs).block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = gosched_executor::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handle))
                    .await
            });

            let stream = TcpStream::connect(addr).await.unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            let client_conn = gosched_executor::spawn(conn);
            let req = Request::post("/echo")
                .header("host", addr.to_string())
                .body(Full::new(Bytes::from_static(b"hello hyper")))
                .unwrap();
            let res = timeout(LIMIT, sender.send_request(req)).await.unwrap().unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()["x-served-by"], "gosched");
            let body = timeout(LIMIT, res.into_body().collect())
                .await
                .unwrap()
                .unwrap()
                .to_bytes();
            assert_eq!(&body[..], b"/echo got 11 bytes: hello hyper");

            // Dropping the sender closes the client connection; the server sees EOF and its
            // connection future ends cleanly.
            drop(sender);
            timeout(LIMIT, client_conn).await.unwrap().unwrap().unwrap();
            timeout(LIMIT, server).await.unwrap().unwrap().unwrap();
        });
    }
}
