//! The proof: the service, written only against tokio, axum, reqwest and hyper-util, runs on
//! gosched through the facade. Every test here runs under `#[tokio::test]` from tokio-macros.

use gosched_tokio_service::{SLOW_PERMITS, Service};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

/// Generous bound on any one test's network work, so a hang fails instead of stalling CI.
const LIMIT: Duration = Duration::from_secs(30);

/// Starts the service on a loopback port; returns its base URL, the state, the shutdown
/// trigger and the serve task.
async fn start() -> (
    String,
    Service,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let service = Service::new();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = service.clone();
    let serving = tokio::spawn(async move {
        server
            .serve(listener, async {
                let _ = stopped.await;
            })
            .await
    });
    (base, service, stop, serving)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_fires_concurrent_requests_at_axum_serve() {
    let (base, service, stop, serving) = start().await;
    let client = reqwest::Client::new();
    let mut set = JoinSet::new();
    for i in 0..200u64 {
        let (client, base) = (client.clone(), base.clone());
        set.spawn(async move {
            assert!(
                gosched_tokio_service::on_gosched_task(),
                "a spawned task is not gosched's"
            );
            let (path, want) = match i % 3 {
                0 => (format!("/hello/g{i}"), format!("hello, g{i}")),
                1 => (format!("/square/{i}"), (i * i).to_string()),
                _ => ("/config".to_string(), "v1".to_string()),
            };
            let body = client.get(format!("{base}{path}")).send().await?.text().await?;
            assert_eq!(body, want, "GET {path}");
            let echoed = client
                .post(format!("{base}/echo"))
                .body(format!("body {i}"))
                .send()
                .await?
                .text()
                .await?;
            assert_eq!(echoed, format!("body {i}"));
            Ok::<_, reqwest::Error>(())
        });
    }
    let all = async {
        while let Some(res) = set.join_next().await {
            res.expect("a request task panicked").expect("a request failed");
        }
    };
    tokio::time::timeout(LIMIT, all)
        .await
        .expect("200 requests within the limit");
    let hits: u64 = client
        .get(format!("{base}/hits"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(hits, 401, "every request counted once (400 + this one)");
    assert_eq!(service.off_gosched(), 0, "a handler ran outside a gosched task");
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
}

#[tokio::test]
async fn hyper_util_legacy_client_reuses_its_pool() {
    let (base, service, stop, serving) = start().await;
    let client: Client<_, Full<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    for i in 0..50 {
        let uri: hyper::Uri = format!("{base}/hello/h{i}").parse().unwrap();
        let res = tokio::time::timeout(LIMIT, client.get(uri))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(res.status(), 200);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], format!("hello, h{i}").as_bytes());
    }
    service.set_config("v2");
    let uri: hyper::Uri = format!("{base}/config").parse().unwrap();
    let body = client
        .get(uri)
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(
        &body[..],
        b"v2",
        "the watch channel's new value reaches the handler"
    );
    assert_eq!(service.off_gosched(), 0);
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_drains_in_flight_requests() {
    let (base, service, stop, serving) = start().await;
    let client = reqwest::Client::new();
    let mut slow = JoinSet::new();
    for _ in 0..3 * SLOW_PERMITS {
        let (client, base) = (client.clone(), base.clone());
        slow.spawn(async move { client.get(format!("{base}/slow")).send().await?.text().await });
    }
    // Shut down once every request is inside its handler (a request not yet accepted when the
    // listener closes is refused, as it should be).
    let inside = async {
        while service.slow_entered() < 3 * SLOW_PERMITS {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(LIMIT, inside)
        .await
        .expect("every request reached its handler");
    stop.send(()).unwrap();
    let drained = async {
        while let Some(res) = slow.join_next().await {
            assert_eq!(res.unwrap().expect("an in-flight request was cut"), "slow");
        }
    };
    tokio::time::timeout(LIMIT, drained)
        .await
        .expect("in-flight requests drained");
    tokio::time::timeout(LIMIT, serving)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(service.slow_peak() <= SLOW_PERMITS, "the semaphore bounded /slow");
    assert!(
        reqwest::get(format!("{base}/hello/late")).await.is_err(),
        "the listener is closed after shutdown"
    );
}

#[tokio::test(start_paused = true)]
async fn paused_time_runs_an_hour_of_timers_at_once() {
    let started = std::time::Instant::now();
    let t0 = tokio::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(t0.elapsed() >= Duration::from_secs(3600));
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    for _ in 0..10 {
        interval.tick().await;
    }
    let never = std::future::pending::<()>();
    assert!(
        tokio::time::timeout(Duration::from_secs(30), never)
            .await
            .is_err()
    );
    assert!(started.elapsed() < LIMIT, "paused time did not auto-advance");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_primitives_across_tasks() {
    use std::sync::Arc;
    use tokio::sync::{Notify, RwLock, Semaphore, mpsc, watch};
    // mpsc fan-in from four producers, drained in order per producer.
    let (tx, mut rx) = mpsc::channel::<(u8, u32)>(8);
    for p in 0..4u8 {
        let tx = tx.clone();
        tokio::spawn(async move {
            for i in 0..500 {
                tx.send((p, i)).await.unwrap();
            }
        });
    }
    drop(tx);
    let mut next = [0u32; 4];
    while let Some((p, i)) = rx.recv().await {
        assert_eq!(next[p as usize], i, "producer {p}'s messages in order");
        next[p as usize] += 1;
    }
    assert_eq!(next, [500; 4]);
    // watch: every receiver sees the last value.
    let (wtx, wrx) = watch::channel(0u32);
    let mut watchers = JoinSet::new();
    for _ in 0..4 {
        let mut rx = wrx.clone();
        watchers.spawn(async move {
            while *rx.borrow_and_update() != 3 {
                rx.changed().await.unwrap();
            }
        });
    }
    for v in 1..=3 {
        wtx.send(v).unwrap();
        tokio::task::yield_now().await;
    }
    while let Some(res) = watchers.join_next().await {
        res.unwrap();
    }
    // Notify + RwLock + Semaphore: writers behind a permit, readers woken by a notification.
    let notify = Arc::new(Notify::new());
    let lock = Arc::new(RwLock::new(Vec::new()));
    let permits = Arc::new(Semaphore::new(2));
    let mut writers = JoinSet::new();
    for i in 0..8 {
        let (lock, permits) = (lock.clone(), permits.clone());
        writers.spawn(async move {
            let _p = permits.acquire().await.unwrap();
            lock.write().await.push(i);
        });
    }
    let reader = {
        let (notify, lock) = (notify.clone(), lock.clone());
        tokio::spawn(async move {
            notify.notified().await;
            lock.read().await.len()
        })
    };
    while let Some(res) = writers.join_next().await {
        res.unwrap();
    }
    notify.notify_one();
    assert_eq!(reader.await.unwrap(), 8);
}
