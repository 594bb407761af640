//! Scheduler micro-benchmarks: gosched against tokio's multi-threaded runtime on the same
//! workloads, in one process, with `maxprocs = worker_threads = 2`. The workloads follow tokio's
//! own `benches/rt_multi_threaded.rs` where one exists.
//!
//! - `spawn_many_local`: 100k spawns from inside one task, then join all. Its times are
//!   bimodal: the spawning loop is one poll that spends no budget, and where it runs past
//!   `preempt_slice` (a loaded machine, a slower spawn) sysmon retakes its P (sysmon.rs); the
//!   rest of the spawns then go to the global queue one by one and the other Ms start and park
//!   around them, several times slower. `Metrics::handoffs_total` counts those retakes, and
//!   `BENCH_SYSMON=0` measures the scheduler without them.
//! - `spawn_many_remote`: 100k spawns from the `block_on` thread (not a worker), then join all.
//! - `yield_many`: 200 tasks × 1,000 `yield_now`.
//! - `ping_pong`: 1,000 pairs × 100 round trips over `async_channel::bounded(1)`.
//! - `chained_spawn`: each task spawns the next, 1,000 deep.
//!
//! Each group has a `gosched` and a `tokio` function; compare their times for the ratio.
//! Runtimes are built once per group, outside the measured loop.
//! `cargo bench --bench scheduler` (a few minutes); `-- <group>` for one workload.

mod workloads;

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;
use workloads::ping_pong_pair;

/// Threads for both runtimes.
const THREADS: usize = 2;
/// Spawns per iteration of the spawn benchmarks (tokio's bench uses 10k; 100k makes one
/// iteration long enough to measure steady-state throughput).
const SPAWN_MANY: usize = 100_000;
/// Tasks and yields per task of `yield_many` (tokio's values).
const YIELD_TASKS: usize = 200;
const YIELDS_PER_TASK: usize = 1_000;
/// Pairs and round trips of `ping_pong`.
const PING_PONG_PAIRS: usize = 1_000;
const ROUND_TRIPS: usize = 100;
/// Depth of `chained_spawn` (tokio's value).
const CHAIN_DEPTH: usize = 1_000;

fn gosched_rt() -> gosched::runtime::Runtime {
    // `BENCH_SYSMON=0` turns sysmon off, to measure what it costs (benches/overhead.sh).
    let sysmon = std::env::var("BENCH_SYSMON").map_or(true, |v| v != "0");
    gosched::runtime::Builder::new()
        .maxprocs(THREADS)
        .sysmon(sysmon)
        .build()
        .unwrap()
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(THREADS)
        .enable_all()
        .build()
        .unwrap()
}

fn configure<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    g
}

fn spawn_many_local(c: &mut Criterion) {
    let (grt, trt) = (gosched_rt(), tokio_rt());
    let mut g = configure(c, "spawn_many_local");
    g.bench_function("gosched", |b| {
        b.iter(|| {
            grt.block_on(grt.spawn(async {
                let hs: Vec<_> = (0..SPAWN_MANY)
                    .map(|i| gosched::spawn(async move { i }))
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
            }))
            .unwrap()
        })
    });
    g.bench_function("tokio", |b| {
        b.iter(|| {
            trt.block_on(trt.spawn(async {
                let hs: Vec<_> = (0..SPAWN_MANY).map(|i| tokio::spawn(async move { i })).collect();
                for h in hs {
                    h.await.unwrap();
                }
            }))
            .unwrap()
        })
    });
    g.finish();
}

fn spawn_many_remote(c: &mut Criterion) {
    let (grt, trt) = (gosched_rt(), tokio_rt());
    let mut g = configure(c, "spawn_many_remote");
    g.bench_function("gosched", |b| {
        let h = grt.handle().clone();
        b.iter(|| {
            let hs: Vec<_> = (0..SPAWN_MANY).map(|i| h.spawn(async move { i })).collect();
            grt.block_on(async {
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
    g.bench_function("tokio", |b| {
        let h = trt.handle().clone();
        b.iter(|| {
            let hs: Vec<_> = (0..SPAWN_MANY).map(|i| h.spawn(async move { i })).collect();
            trt.block_on(async {
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
    g.finish();
}

fn yield_many(c: &mut Criterion) {
    let (grt, trt) = (gosched_rt(), tokio_rt());
    let mut g = configure(c, "yield_many");
    g.bench_function("gosched", |b| {
        b.iter(|| grt.block_on(workloads::yield_many(YIELD_TASKS, YIELDS_PER_TASK)))
    });
    g.bench_function("tokio", |b| {
        b.iter(|| {
            trt.block_on(async {
                let hs: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        tokio::spawn(async {
                            for _ in 0..YIELDS_PER_TASK {
                                tokio::task::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
    g.finish();
}

fn ping_pong(c: &mut Criterion) {
    let (grt, trt) = (gosched_rt(), tokio_rt());
    let mut g = configure(c, "ping_pong");
    g.bench_function("gosched", |b| {
        b.iter(|| grt.block_on(workloads::ping_pong(PING_PONG_PAIRS, ROUND_TRIPS)))
    });
    g.bench_function("tokio", |b| {
        b.iter(|| {
            trt.block_on(async {
                let mut hs = Vec::with_capacity(2 * PING_PONG_PAIRS);
                for _ in 0..PING_PONG_PAIRS {
                    let (a, b) = ping_pong_pair(ROUND_TRIPS);
                    hs.push(tokio::spawn(a));
                    hs.push(tokio::spawn(b));
                }
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
    g.finish();
}

fn tokio_chain(done: async_channel::Sender<()>, n: usize) {
    if n == 0 {
        done.try_send(()).unwrap();
    } else {
        drop(tokio::spawn(async move { tokio_chain(done, n - 1) }));
    }
}

fn chained_spawn(c: &mut Criterion) {
    let (grt, trt) = (gosched_rt(), tokio_rt());
    let mut g = configure(c, "chained_spawn");
    g.bench_function("gosched", |b| {
        b.iter(|| grt.block_on(workloads::chained_spawn(CHAIN_DEPTH)))
    });
    g.bench_function("tokio", |b| {
        b.iter(|| {
            trt.block_on(async {
                let (tx, rx) = async_channel::bounded(1);
                drop(tokio::spawn(async move { tokio_chain(tx, CHAIN_DEPTH) }));
                rx.recv().await.unwrap();
            })
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    spawn_many_local,
    spawn_many_remote,
    yield_many,
    ping_pong,
    chained_spawn
);
criterion_main!(benches);
