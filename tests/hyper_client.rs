//! hyper-util's legacy client on gosched through `HttpConnector` (feature `hyper`): its pool
//! keeps one connection for many requests (HTTP/1.1 one after another, HTTP/2 at once),
//! expires idle ones on `GoschedTimer`, and bad URIs are `InvalidInput`. No tokio runtime
//! exists in this process; every handler checks.

mod hyper_support;

use gosched::hyper::{GoschedExecutor, GoschedIo, GoschedTimer, HttpConnector};
use gosched::net::TcpListener;
use gosched::time::{sleep, timeout};
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_support::{LIMIT, accept_loop, assert_on_gosched_without_tokio, eventually, rt, watchdog};
use hyper_util::client::legacy::Client;
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tower_service::Service;

/// The server side: connections accepted and connections finished.
struct Server {
    url: String,
    accepted: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
    /// Requests that reached a handler.
    arrived: Arc<AtomicUsize>,
}

/// HTTP/1.1 and HTTP/2 (hyper-util's `auto`); each answer is the client's port, which names
/// the connection the request came on.
async fn server() -> Server {
    gated_server(1).await
}

/// [`server`] whose handlers each wait until `gate` requests have arrived (or [`LIMIT`]
/// passes): an answer then proves that `gate` requests were in flight at once.
async fn gated_server(gate: usize) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let closed = Arc::new(AtomicUsize::new(0));
    let arrived = Arc::new(AtomicUsize::new(0));
    let (done, counted) = (closed.clone(), arrived.clone());
    let accepted = accept_loop(listener, move |stream| {
        let (done, arrived) = (done.clone(), counted.clone());
        async move {
            let port = stream.peer_addr().unwrap().port();
            let service = service_fn(move |_req: Request<Incoming>| {
                let arrived = arrived.clone();
                async move {
                    assert_on_gosched_without_tokio();
                    arrived.fetch_add(1, Ordering::SeqCst);
                    eventually("all gated requests in flight", || {
                        arrived.load(Ordering::SeqCst) >= gate
                    })
                    .await;
                    Ok::<_, Infallible>(Response::new(port.to_string()))
                }
            });
            let mut builder = auto::Builder::new(GoschedExecutor);
            builder.http2().timer(GoschedTimer);
            let _ = builder.serve_connection(GoschedIo::new(stream), service).await;
            done.fetch_add(1, Ordering::SeqCst);
        }
    });
    Server {
        url,
        accepted,
        closed,
        arrived,
    }
}

/// GET `url` and return the body (the port of the connection it came on).
async fn get(client: &Client<HttpConnector, Empty<Bytes>>, url: &str) -> String {
    let res = timeout(LIMIT, client.get(url.parse().unwrap()))
        .await
        .expect("request timed out")
        .unwrap();
    assert!(res.status().is_success());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

#[test]
fn http1_pool_serves_many_requests_on_one_connection() {
    let _w = watchdog(
        "http1_pool_serves_many_requests_on_one_connection",
        Duration::from_secs(60),
    );
    rt(2).block_on(async {
        let server = server().await;
        let client = Client::builder(GoschedExecutor)
            .pool_timer(GoschedTimer)
            .build(HttpConnector::new());
        let first = get(&client, &server.url).await;
        for _ in 0..5 {
            // hyper-util puts the connection back in the pool from a task of its own once
            // the connection is ready for the next request; a request sent before that
            // would dial a second one.
            sleep(Duration::from_millis(200)).await;
            assert_eq!(
                get(&client, &server.url).await,
                first,
                "a new connection was used"
            );
        }
        assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
        assert_eq!(server.closed.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn http2_pool_multiplexes_concurrent_requests_on_one_connection() {
    let _w = watchdog(
        "http2_pool_multiplexes_concurrent_requests",
        Duration::from_secs(60),
    );
    const AT_ONCE: usize = 16;
    rt(2).block_on(async {
        // The first request opens the connection and hyper-util pools it at once (HTTP/2
        // connections are shared). Requests fired at an empty pool could dial twice: a
        // request's pool checkout can miss the first connection and its connect then take the
        // "connecting" lock the first one has just released (hyper-util's `connection_for`);
        // that race is hyper-util's, not the runtime's, so the test starts after it.
        let server = gated_server(AT_ONCE + 1).await;
        let client = Client::builder(GoschedExecutor)
            .timer(GoschedTimer)
            .pool_timer(GoschedTimer)
            .http2_only(true)
            .build(HttpConnector::new());
        let first = {
            let (client, url) = (client.clone(), server.url.clone());
            gosched::spawn(async move { get(&client, &url).await })
        };
        // A request reaches the server only after its connection is in the pool.
        eventually("the first request arrived", || {
            server.arrived.load(Ordering::SeqCst) == 1
        })
        .await;
        // Every handler waits until all AT_ONCE + 1 requests have arrived: each answer
        // proves they were in flight together, which one HTTP/1 connection cannot carry.
        let requests: Vec<_> = (0..AT_ONCE)
            .map(|_| {
                let (client, url) = (client.clone(), server.url.clone());
                gosched::spawn(async move { get(&client, &url).await })
            })
            .chain([first])
            .collect();
        let mut ports = Vec::new();
        for r in requests {
            ports.push(timeout(LIMIT, r).await.unwrap().unwrap());
        }
        ports.dedup();
        assert_eq!(ports.len(), 1, "requests came on several connections: {ports:?}");
        assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn pool_timer_closes_an_idle_connection_and_the_next_request_dials_again() {
    let _w = watchdog("pool_timer_closes_an_idle_connection", Duration::from_secs(60));
    rt(2).block_on(async {
        let server = server().await;
        let client = Client::builder(GoschedExecutor)
            .pool_timer(GoschedTimer)
            .pool_idle_timeout(Duration::from_millis(150))
            .build(HttpConnector::new());
        let first = get(&client, &server.url).await;
        // Nobody touches the pool: only its idle task, sleeping on GoschedTimer, can drop
        // the connection, and the server then sees it close.
        eventually("the idle connection closed", || {
            server.closed.load(Ordering::SeqCst) == 1
        })
        .await;
        let second = get(&client, &server.url).await;
        assert_ne!(first, second, "the expired connection was used again");
        assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
    });
}

/// The first `io::Error` in `err`'s source chain.
fn io_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> &'a io::Error {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return io;
        }
        cur = e.source();
    }
    panic!("no io::Error in {err:?}");
}

#[test]
fn connector_refuses_what_it_cannot_dial_and_reports_os_errors() {
    let _w = watchdog("connector_refuses_what_it_cannot_dial", Duration::from_secs(60));
    rt(2).block_on(async {
        let client: Client<HttpConnector, Empty<Bytes>> =
            Client::builder(GoschedExecutor).build(HttpConnector::new());
        let err = client
            .get("https://127.0.0.1:1/".parse().unwrap())
            .await
            .unwrap_err();
        assert!(err.is_connect(), "{err:?}");
        let io = io_error(&err);
        assert_eq!(io.kind(), io::ErrorKind::InvalidInput);
        assert!(io.to_string().contains("https needs a TLS connector"), "{io}");

        let mut connector = HttpConnector::new();
        let err = connector.call("/no/host".parse().unwrap()).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("has no scheme"), "{err}");

        // A port nothing listens on: the OS's refusal, as is.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = client
            .get(format!("http://127.0.0.1:{port}/").parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(io_error(&err).kind(), io::ErrorKind::ConnectionRefused);

        // The connect timeout applies, and the connector hands out TCP_NODELAY streams.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        connector.set_connect_timeout(Some(LIMIT));
        let uri = format!("http://{}/", listener.local_addr().unwrap());
        let io = connector.call(uri.parse().unwrap()).await.unwrap();
        assert!(io.inner().nodelay().unwrap());
        connector.set_nodelay(false);
        let io = connector.call(uri.parse().unwrap()).await.unwrap();
        assert!(!io.inner().nodelay().unwrap());
    });
}

#[test]
fn connector_errors_name_scheme_host_and_port_only() {
    let _w = watchdog(
        "connector_errors_name_scheme_host_and_port_only",
        Duration::from_secs(60),
    );
    rt(2).block_on(async {
        let mut connector = HttpConnector::new();
        // Userinfo, path and query may hold secrets: none of them is in an error.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        for (uri, kind, named) in [
            (
                "https://user:s3cret@example.com/p4th?token=t0ken".to_owned(),
                io::ErrorKind::InvalidInput,
                "https://example.com:443".to_owned(),
            ),
            (
                format!("http://user:s3cret@127.0.0.1:{port}/p4th?token=t0ken"),
                io::ErrorKind::ConnectionRefused,
                format!("http://127.0.0.1:{port}"),
            ),
        ] {
            let err = connector.call(uri.parse().unwrap()).await.unwrap_err();
            let msg = err.to_string();
            assert_eq!(err.kind(), kind, "{msg}");
            for secret in ["user", "s3cret", "p4th", "t0ken"] {
                assert!(!msg.contains(secret), "{secret} in {msg:?}");
            }
            assert!(msg.contains(&named), "{msg:?} does not name {named}");
        }
    });
}
