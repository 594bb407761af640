//! The facade's speed, measured with the same code on crates.io tokio and on the facade:
//! `gosched-tokio-bench sync` times the sync primitives (median of `RUNS` runs each, in ms),
//! `gosched-tokio-bench serve ADDR` serves the proof service for wrk. `compat/bench.sh` builds
//! both variants and alternates them.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore, mpsc, oneshot};

/// Runs per workload; the median is printed.
const RUNS: usize = 7;
/// Messages per channel workload.
const MESSAGES: u64 = 200_000;
/// Round trips, lock and permit cycles per workload.
const CYCLES: u64 = 20_000;
/// Tasks that contend in the lock and semaphore workloads.
const CONTENDERS: u64 = 4;

async fn bounded(producers: u64) {
    let (tx, mut rx) = mpsc::channel::<u64>(128);
    for _ in 0..producers {
        let tx = tx.clone();
        tokio::spawn(async move {
            for i in 0..MESSAGES / producers {
                tx.send(i).await.unwrap();
            }
        });
    }
    drop(tx);
    while rx.recv().await.is_some() {}
}

async fn unbounded(producers: u64) {
    let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
    for _ in 0..producers {
        let tx = tx.clone();
        tokio::spawn(async move {
            for i in 0..MESSAGES / producers {
                tx.send(i).unwrap();
                if i % 64 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        });
    }
    drop(tx);
    while rx.recv().await.is_some() {}
}

/// A request and its reply, each on a fresh oneshot, between two long-lived tasks (the
/// request's oneshot sender travels over an mpsc of capacity 1).
async fn oneshot_round_trip() {
    let (req_tx, mut req_rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(1);
    let server = tokio::spawn(async move {
        while let Some((v, reply)) = req_rx.recv().await {
            reply.send(v + 1).unwrap();
        }
    });
    for i in 0..CYCLES {
        let (tx, rx) = oneshot::channel();
        req_tx.send((i, tx)).await.unwrap();
        assert_eq!(rx.await.unwrap(), i + 1);
    }
    drop(req_tx);
    server.await.unwrap();
}

async fn semaphore() {
    let sem = Arc::new(Semaphore::new(2));
    let mut tasks = Vec::new();
    for _ in 0..CONTENDERS {
        let sem = sem.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..CYCLES / CONTENDERS {
                let _p = sem.acquire().await.unwrap();
                tokio::task::yield_now().await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

async fn mutex() {
    let m = Arc::new(Mutex::new(0u64));
    let mut tasks = Vec::new();
    for _ in 0..CONTENDERS {
        let m = m.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..CYCLES / CONTENDERS {
                *m.lock().await += 1;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*m.lock().await, CYCLES / CONTENDERS * CONTENDERS);
}

async fn median_ms<F, Fut>(mut work: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        work().await;
        times.push(t.elapsed());
    }
    times.sort();
    times[RUNS / 2].as_secs_f64() * 1e3
}

async fn sync_benches() {
    let rows: [(&str, f64); 7] = [
        ("mpsc_bounded_1", median_ms(|| bounded(1)).await),
        ("mpsc_bounded_4", median_ms(|| bounded(4)).await),
        ("mpsc_unbounded_1", median_ms(|| unbounded(1)).await),
        ("mpsc_unbounded_4", median_ms(|| unbounded(4)).await),
        ("oneshot_round_trip", median_ms(oneshot_round_trip).await),
        ("semaphore", median_ms(semaphore).await),
        ("mutex_contended", median_ms(mutex).await),
    ];
    for (name, ms) in rows {
        println!("{name} {ms:.3}");
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("sync") => sync_benches().await,
        Some("serve") => {
            let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
            let listener = tokio::net::TcpListener::bind(&addr).await?;
            println!("listening on http://{}", listener.local_addr()?);
            let service = gosched_tokio_service::Service::new();
            let stop = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            service.serve(listener, stop).await?;
        }
        _ => eprintln!("usage: gosched-tokio-bench sync | serve [ADDR]"),
    }
    Ok(())
}
