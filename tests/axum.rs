//! An axum `Router` served through hyper-util on gosched (feature `hyper`): routing,
//! extractors and state, over HTTP/1.1 and HTTP/2, with no tokio runtime in the process (every
//! handler checks). A handler that panics costs its connection (HTTP/1.1) or its stream
//! (HTTP/2), never the server.

mod hyper_support;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use gosched::hyper::{GoschedExecutor, GoschedIo, GoschedTimer, HttpConnector};
use gosched::net::TcpListener;
use gosched::time::{sleep, timeout};
use http_body_util::{BodyExt, Full};
use hyper::StatusCode;
use hyper::body::Bytes;
use hyper_support::{LIMIT, accept_loop, assert_on_gosched_without_tokio, rt, watchdog};
use hyper_util::client::legacy::Client;
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn router() -> Router {
    let hits = Arc::new(AtomicUsize::new(0));
    Router::new()
        .route(
            "/",
            get(|| async {
                assert_on_gosched_without_tokio();
                "Hello, World!"
            }),
        )
        .route(
            "/hello/{name}",
            get(|Path(name): Path<String>| async move {
                assert_on_gosched_without_tokio();
                format!("Hello, {name}!")
            }),
        )
        .route(
            "/echo",
            post(|body: String| async move {
                assert_on_gosched_without_tokio();
                sleep(Duration::from_millis(5)).await; // a gosched timer inside a handler
                body.to_uppercase()
            }),
        )
        .route(
            "/hits",
            get(|State(hits): State<Arc<AtomicUsize>>| async move {
                assert_on_gosched_without_tokio();
                (hits.fetch_add(1, Ordering::SeqCst) + 1).to_string()
            }),
        )
        .route(
            "/panic",
            get(|| async {
                assert_on_gosched_without_tokio();
                if true {
                    panic!("handler panicked on purpose");
                }
                "unreachable"
            }),
        )
        .with_state(hits)
}

/// Serves `router` on a free port (HTTP/1.1 and HTTP/2 through hyper-util's `auto`); the URL.
async fn serve(router: Router) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = accept_loop(listener, move |stream| {
        let service = TowerToHyperService::new(router.clone());
        async move {
            let mut builder = auto::Builder::new(GoschedExecutor);
            builder.http2().timer(GoschedTimer);
            let _ = builder.serve_connection(GoschedIo::new(stream), service).await;
        }
    });
    (url, accepted)
}

fn client(http2: bool) -> HttpClient {
    Client::builder(GoschedExecutor)
        .timer(GoschedTimer)
        .pool_timer(GoschedTimer)
        .http2_only(http2)
        .build(HttpConnector::new())
}

/// Sends a request; `Ok((status, body))`, or the client's error when the server hung up.
async fn send(
    client: &HttpClient,
    method: &str,
    url: String,
    body: &'static str,
) -> Result<(StatusCode, String), hyper_util::client::legacy::Error> {
    let req = hyper::Request::builder()
        .method(method)
        .uri(url)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap();
    let res = timeout(LIMIT, client.request(req))
        .await
        .expect("request timed out")?;
    let status = res.status();
    let body = timeout(LIMIT, res.into_body().collect())
        .await
        .unwrap()
        .unwrap()
        .to_bytes();
    Ok((status, String::from_utf8(body.to_vec()).unwrap()))
}

async fn ok(client: &HttpClient, method: &str, url: String, body: &'static str) -> String {
    let (status, text) = send(client, method, url, body).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    text
}

#[test]
fn axum_router_serves_http1_and_http2_on_gosched() {
    let _w = watchdog(
        "axum_router_serves_http1_and_http2_on_gosched",
        Duration::from_secs(60),
    );
    for maxprocs in [1, 2] {
        rt(maxprocs).block_on(async {
            let (url, _) = serve(router()).await;
            for (n, http2) in [false, true].into_iter().enumerate() {
                let c = client(http2);
                assert_eq!(ok(&c, "GET", format!("{url}/"), "").await, "Hello, World!");
                assert_eq!(
                    ok(&c, "GET", format!("{url}/hello/gopher"), "").await,
                    "Hello, gopher!"
                );
                assert_eq!(ok(&c, "POST", format!("{url}/echo"), "shout").await, "SHOUT");
                assert_eq!(
                    ok(&c, "GET", format!("{url}/hits"), "").await,
                    (n + 1).to_string()
                );
                let (status, _) = send(&c, "GET", format!("{url}/nope"), "").await.unwrap();
                assert_eq!(status, StatusCode::NOT_FOUND);
            }
        });
    }
}

#[test]
fn axum_handler_panic_costs_its_connection_or_stream_never_the_server() {
    let _w = watchdog(
        "axum_handler_panic_never_kills_the_server",
        Duration::from_secs(60),
    );
    rt(2).block_on(async {
        let (url, accepted) = serve(router()).await;

        // HTTP/1.1: the connection's task unwinds and the socket closes (or, were the panic
        // caught, a 500); a new connection is served as before.
        let h1 = client(false);
        match send(&h1, "GET", format!("{url}/panic"), "").await {
            Err(e) => assert!(!e.is_connect(), "the panic reached the connect: {e:?}"),
            Ok((status, _)) => assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR),
        }
        for i in 0..3 {
            assert_eq!(
                ok(&h1, "GET", format!("{url}/hello/after{i}"), "").await,
                format!("Hello, after{i}!")
            );
        }

        // HTTP/2: the stream's task unwinds and the stream is reset; the connection and the
        // server go on.
        let h2 = client(true);
        assert_eq!(ok(&h2, "GET", format!("{url}/"), "").await, "Hello, World!");
        let before = accepted.load(Ordering::SeqCst);
        match send(&h2, "GET", format!("{url}/panic"), "").await {
            Err(e) => assert!(!e.is_connect(), "the panic reached the connect: {e:?}"),
            Ok((status, _)) => assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR),
        }
        assert_eq!(ok(&h2, "GET", format!("{url}/"), "").await, "Hello, World!");
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            before,
            "the HTTP/2 connection was lost"
        );
    });
}
