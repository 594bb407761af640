// The body of the sync-primitive benchmark, shared (via `include!`) by the facade's bench
// `sync_prims.rs` and a copy of the same crate built against crates.io tokio, so the two
// binaries run the same code. `spawn` starts a task on the runtime under test and returns its
// join future; `block_on` runs the driver.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore, mpsc, oneshot};

pub type BoxFut = Pin<Box<dyn Future<Output = ()> + Send>>;
type Case = Box<dyn Fn(Arc<dyn Rt>) -> BoxFut>;

pub trait Rt: Send + Sync {
    fn block_on(&self, f: BoxFut);
    fn spawn(&self, f: BoxFut) -> BoxFut;
}

fn time(rt: &Arc<dyn Rt>, make: impl Fn(Arc<dyn Rt>) -> BoxFut) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        rt.block_on(make(rt.clone()));
        best = best.min(t.elapsed());
    }
    best
}

const N: usize = 100_000;

fn mpsc_bounded(producers: usize) -> impl Fn(Arc<dyn Rt>) -> BoxFut {
    move |rt| {
        Box::pin(async move {
            let (tx, mut rx) = mpsc::channel::<usize>(128);
            let mut hs = Vec::new();
            for _ in 0..producers {
                let tx = tx.clone();
                hs.push(rt.spawn(Box::pin(async move {
                    for i in 0..N / producers {
                        tx.send(i).await.unwrap();
                    }
                })));
            }
            drop(tx);
            let r = rt.spawn(Box::pin(async move {
                let mut n = 0;
                while rx.recv().await.is_some() {
                    n += 1;
                }
                assert_eq!(n, N / producers * producers);
            }));
            for h in hs {
                h.await;
            }
            r.await;
        })
    }
}

fn mpsc_unbounded(producers: usize) -> impl Fn(Arc<dyn Rt>) -> BoxFut {
    move |rt| {
        Box::pin(async move {
            let (tx, mut rx) = mpsc::unbounded_channel::<usize>();
            let mut hs = Vec::new();
            for _ in 0..producers {
                let tx = tx.clone();
                hs.push(rt.spawn(Box::pin(async move {
                    for i in 0..N / producers {
                        tx.send(i).unwrap();
                    }
                })));
            }
            drop(tx);
            let r = rt.spawn(Box::pin(async move {
                let mut n = 0;
                while rx.recv().await.is_some() {
                    n += 1;
                }
                assert_eq!(n, N / producers * producers);
            }));
            for h in hs {
                h.await;
            }
            r.await;
        })
    }
}

fn oneshot_round_trip(rt: Arc<dyn Rt>) -> BoxFut {
    let h = rt.spawn(Box::pin(async {
        for i in 0..N {
            let (tx, rx) = oneshot::channel();
            tx.send(i).unwrap();
            assert_eq!(rx.await.unwrap(), i);
        }
    }));
    Box::pin(h)
}

fn oneshot_across_tasks(rt: Arc<dyn Rt>) -> BoxFut {
    Box::pin(async move {
        let (req_tx, mut req_rx) = mpsc::unbounded_channel::<oneshot::Sender<usize>>();
        let server = rt.spawn(Box::pin(async move {
            let mut i = 0;
            while let Some(tx) = req_rx.recv().await {
                let _ = tx.send(i);
                i += 1;
            }
        }));
        let client = rt.spawn(Box::pin(async move {
            for i in 0..N / 10 {
                let (tx, rx) = oneshot::channel();
                req_tx.send(tx).unwrap();
                assert_eq!(rx.await.unwrap(), i);
            }
        }));
        client.await;
        server.await;
    })
}

fn semaphore_uncontended(rt: Arc<dyn Rt>) -> BoxFut {
    let h = rt.spawn(Box::pin(async {
        let s = Semaphore::new(1);
        for _ in 0..N {
            drop(s.acquire().await.unwrap());
        }
    }));
    Box::pin(h)
}

fn semaphore_contended(rt: Arc<dyn Rt>) -> BoxFut {
    Box::pin(async move {
        let s = Arc::new(Semaphore::new(2));
        let mut hs = Vec::new();
        for _ in 0..4 {
            let s = s.clone();
            hs.push(rt.spawn(Box::pin(async move {
                for _ in 0..N / 4 {
                    drop(s.acquire().await.unwrap());
                }
            })));
        }
        for h in hs {
            h.await;
        }
    })
}

fn mutex_contended(rt: Arc<dyn Rt>) -> BoxFut {
    Box::pin(async move {
        let m = Arc::new(Mutex::new(0usize));
        let mut hs = Vec::new();
        for _ in 0..4 {
            let m = m.clone();
            hs.push(rt.spawn(Box::pin(async move {
                for _ in 0..N / 4 {
                    *m.lock().await += 1;
                }
            })));
        }
        for h in hs {
            h.await;
        }
        assert_eq!(*m.lock().await, N / 4 * 4);
    })
}

pub fn run(name: &str, rt: Arc<dyn Rt>) {
    let filter = std::env::args().nth(1).unwrap_or_default();
    let cases: Vec<(&str, Case)> = vec![
        ("mpsc_bounded_1p", Box::new(mpsc_bounded(1))),
        ("mpsc_bounded_4p", Box::new(mpsc_bounded(4))),
        ("mpsc_unbounded_1p", Box::new(mpsc_unbounded(1))),
        ("mpsc_unbounded_4p", Box::new(mpsc_unbounded(4))),
        ("oneshot_round_trip", Box::new(oneshot_round_trip)),
        ("oneshot_across_tasks", Box::new(oneshot_across_tasks)),
        ("semaphore_uncontended", Box::new(semaphore_uncontended)),
        ("semaphore_contended", Box::new(semaphore_contended)),
        ("mutex_contended", Box::new(mutex_contended)),
    ];
    for (case, f) in cases {
        if !case.contains(&filter) {
            continue;
        }
        let d = time(&rt, f);
        println!("{name} {case} {:.1} ns/op", d.as_nanos() as f64 / N as f64);
    }
}
