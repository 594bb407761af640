//! hyper's HTTP/1.1 and HTTP/2 servers on gosched (feature `hyper`): `GoschedIo` on TCP and
//! Unix streams, HTTP/2 streams spawned through `GoschedExecutor`, hyper's own timeouts on
//! `GoschedTimer`. No tokio runtime exists in this process; every handler checks.

mod hyper_support;

use gosched::hyper::{GoschedExecutor, GoschedIo, GoschedTimer};
use gosched::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use gosched::time::{sleep, timeout};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::rt::Timer;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_support::{LIMIT, accept_loop, assert_on_gosched_without_tokio, rt, watchdog};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// `POST /path` with a body → `"<path> got <n> bytes"`, after the on-gosched checks.
async fn echo(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    assert_on_gosched_without_tokio();
    let path = req.uri().path().to_owned();
    let body = req.into_body().collect().await?.to_bytes();
    Ok(Response::new(Full::new(Bytes::from(format!(
        "{path} got {} bytes",
        body.len()
    )))))
}

fn post(path: &str, body: &'static str) -> Request<Full<Bytes>> {
    Request::post(path)
        .header("host", "localhost")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

/// Sends three keep-alive requests over an HTTP/1.1 client connection on `io`.
async fn three_http1_requests<T>(io: GoschedIo<T>)
where
    GoschedIo<T>: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
    let driver = gosched::spawn(conn);
    for i in 0..3 {
        sender.ready().await.unwrap();
        let res = timeout(LIMIT, sender.send_request(post(&format!("/r{i}"), "hello")))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, format!("/r{i} got 5 bytes"));
    }
    drop(sender);
    timeout(LIMIT, driver).await.unwrap().unwrap().unwrap();
}

#[test]
fn http1_server_and_client_on_gosched_tcp() {
    let _w = watchdog("http1_server_and_client_on_gosched_tcp", Duration::from_secs(60));
    for maxprocs in [1, 2] {
        rt(maxprocs).block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = gosched::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                hyper::server::conn::http1::Builder::new()
                    .timer(GoschedTimer)
                    .serve_connection(GoschedIo::new(stream), service_fn(echo))
                    .await
            });
            three_http1_requests(GoschedIo::new(TcpStream::connect(addr).await.unwrap())).await;
            // The client hung up: the server's connection future ends cleanly.
            timeout(LIMIT, server).await.unwrap().unwrap().unwrap();
        });
    }
}

#[test]
fn http1_server_and_client_on_gosched_unix_stream() {
    let _w = watchdog(
        "http1_server_and_client_on_gosched_unix_stream",
        Duration::from_secs(60),
    );
    let dir = std::env::temp_dir().join(format!("gosched-hyper-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("http.sock");
    let _ = std::fs::remove_file(&path);
    rt(2).block_on(async {
        let listener = UnixListener::bind(&path).unwrap();
        let server = gosched::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            hyper::server::conn::http1::Builder::new()
                .serve_connection(GoschedIo::new(stream), service_fn(echo))
                .await
        });
        three_http1_requests(GoschedIo::new(UnixStream::connect(&path).await.unwrap())).await;
        timeout(LIMIT, server).await.unwrap().unwrap().unwrap();
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn http2_server_runs_streams_as_gosched_tasks_and_keeps_alive_on_gosched_timers() {
    let _w = watchdog(
        "http2_server_runs_streams_as_gosched_tasks",
        Duration::from_secs(90),
    );
    const STREAMS: usize = 32;
    rt(2).block_on(async {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most_in_flight = Arc::new(AtomicUsize::new(0));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (gauge, most) = (in_flight.clone(), most_in_flight.clone());
        let accepted = accept_loop(listener, move |stream| {
            let (gauge, most) = (gauge.clone(), most.clone());
            async move {
                // Each request waits on a gosched timer while the others start: they can only
                // overlap if hyper spawned each stream as a task of its own (GoschedExecutor).
                let slow = service_fn(move |req: Request<Incoming>| {
                    let (gauge, most) = (gauge.clone(), most.clone());
                    async move {
                        let now = gauge.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        sleep(Duration::from_millis(50)).await;
                        gauge.fetch_sub(1, Ordering::SeqCst);
                        echo(req).await
                    }
                });
                let _ = hyper::server::conn::http2::Builder::new(GoschedExecutor)
                    .timer(GoschedTimer)
                    .keep_alive_interval(Duration::from_millis(50))
                    .keep_alive_timeout(Duration::from_secs(10))
                    .serve_connection(GoschedIo::new(stream), slow)
                    .await;
            }
        });

        let stream = TcpStream::connect(addr).await.unwrap();
        let (sender, conn) = hyper::client::conn::http2::Builder::new(GoschedExecutor)
            .timer(GoschedTimer)
            .keep_alive_interval(Duration::from_millis(50))
            .handshake(GoschedIo::new(stream))
            .await
            .unwrap();
        gosched::spawn(conn);
        let requests: Vec<_> = (0..STREAMS)
            .map(|i| {
                let mut sender = sender.clone();
                gosched::spawn(async move {
                    let res = sender.send_request(post(&format!("/s{i}"), "h2")).await.unwrap();
                    assert_eq!(res.version(), hyper::Version::HTTP_2);
                    let body = res.into_body().collect().await.unwrap().to_bytes();
                    assert_eq!(body, format!("/s{i} got 2 bytes"));
                })
            })
            .collect();
        for r in requests {
            timeout(LIMIT, r).await.unwrap().unwrap();
        }
        assert!(
            most_in_flight.load(Ordering::SeqCst) > 1,
            "the HTTP/2 streams ran one at a time"
        );

        // Idle for several keep-alive intervals (both sides ping on GoschedTimer); the
        // connection is still up and serves another request.
        sleep(Duration::from_millis(400)).await;
        let mut sender = sender;
        let res = timeout(LIMIT, sender.send_request(post("/after-idle", "x")))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            1,
            "one HTTP/2 connection for all"
        );
    });
}

#[test]
fn header_read_timeout_fires_on_gosched_timer() {
    let _w = watchdog(
        "header_read_timeout_fires_on_gosched_timer",
        Duration::from_secs(60),
    );
    rt(2).block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        // Half a request head, then silence.
        futures::io::AsyncWriteExt::write_all(&mut &client, b"GET / HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        let start = Instant::now();
        let served = timeout(
            LIMIT,
            hyper::server::conn::http1::Builder::new()
                .timer(GoschedTimer)
                .header_read_timeout(Duration::from_millis(200))
                .serve_connection(GoschedIo::new(stream), service_fn(echo)),
        )
        .await
        .expect("hyper's header-read timeout never fired");
        let err = served.unwrap_err();
        assert!(err.is_timeout(), "{err}");
        // A gosched timer never fires early.
        assert!(
            start.elapsed() >= Duration::from_millis(200),
            "{:?}",
            start.elapsed()
        );
    });
}

#[test]
fn timer_sleeps_and_reset_moves_the_deadline_both_ways() {
    let _w = watchdog(
        "timer_sleeps_and_reset_moves_the_deadline_both_ways",
        Duration::from_secs(60),
    );
    rt(1).block_on(async {
        let timer = GoschedTimer;
        let start = Instant::now();
        timer.sleep(Duration::from_millis(10)).await;
        assert!(start.elapsed() >= Duration::from_millis(10));

        // A minute-long sleep brought forward to 20 ms from now.
        let mut long = timer.sleep(Duration::from_secs(60));
        let start = Instant::now();
        timer.reset(&mut long, start + Duration::from_millis(20));
        timeout(LIMIT, long.as_mut())
            .await
            .expect("reset earlier: never fired");
        assert!(start.elapsed() >= Duration::from_millis(20));

        // An armed short sleep pushed back: it must not fire at its old deadline.
        let mut short = timer.sleep_until(Instant::now() + Duration::from_millis(30));
        assert!(futures::poll!(short.as_mut()).is_pending()); // armed in the P's heap
        timer.reset(&mut short, Instant::now() + Duration::from_secs(60));
        assert!(
            timeout(Duration::from_millis(150), short.as_mut()).await.is_err(),
            "fired at the deadline it was reset from"
        );
    });
}
