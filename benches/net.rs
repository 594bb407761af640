//! Netpoller and timer benchmarks, gosched and tokio in the same run, maxprocs =
//! worker_threads = 2.
//!
//! (a) TCP echo over loopback: 64 connections, each 1,000 round trips of 64 bytes
//!     (write 64, read them back) against an echo server on the same runtime.
//! (b) Timer churn: 1 million `timeout(1 s, ready)` in one task (each arms nothing that fires:
//!     the cost of creating, polling and dropping a timeout).
//!
//! At the end it prints the mean time per iteration of each and the ratio gosched/tokio.
//! `cargo bench --bench net`.

use criterion::{BenchmarkGroup, Criterion, criterion_group, measurement::WallTime};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WORKERS: usize = 2;
const CONNECTIONS: usize = 64;
const ROUND_TRIPS: usize = 1_000;
const MESSAGE: usize = 64;
const TIMEOUTS: usize = 1_000_000;

/// (group, runtime) → (total time, iterations), for the ratio table.
static MEANS: Mutex<Vec<(&'static str, &'static str, Duration, u64)>> = Mutex::new(Vec::new());

fn record(group: &'static str, rt: &'static str, d: Duration, iters: u64) {
    let mut means = MEANS.lock().unwrap();
    match means.iter_mut().find(|m| m.0 == group && m.1 == rt) {
        Some(m) => {
            m.2 += d;
            m.3 += iters;
        }
        None => means.push((group, rt, d, iters)),
    }
}

/// Times `iters` runs of `f`, records them, and returns the total.
fn timed(group: &'static str, rt: &'static str, iters: u64, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    let d = start.elapsed();
    record(group, rt, d, iters);
    d
}

fn small_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    g
}

/// One side of the benchmark, for a runtime with its spawn, sockets, I/O traits and timeout
/// (the two runtimes share no trait, so a macro writes both sides from one text).
macro_rules! runtime_side {
    ($side:ident, $rt:ty, $spawn:path, $timeout:path, [$($io:tt)*], $listener:ty, $stream:ty) => {
        mod $side {
            use super::*;
            use $($io)*;

            /// Starts an echo server on `rt`; returns its address.
            pub fn echo_server(rt: &$rt) -> SocketAddr {
                rt.block_on(async {
                    let listener = <$listener>::bind("127.0.0.1:0").await.unwrap();
                    let addr = listener.local_addr().unwrap();
                    $spawn(async move {
                        while let Ok((conn, _)) = listener.accept().await {
                            conn.set_nodelay(true).unwrap();
                            $spawn(async move {
                                let mut conn = conn;
                                let mut buf = [0u8; MESSAGE];
                                loop {
                                    match conn.read(&mut buf).await {
                                        Ok(0) | Err(_) => break,
                                        Ok(n) => conn.write_all(&buf[..n]).await.unwrap(),
                                    }
                                }
                            });
                        }
                    });
                    addr
                })
            }

            pub fn echo_clients(rt: &$rt, addr: SocketAddr) {
                rt.block_on(async {
                    let clients: Vec<_> = (0..CONNECTIONS)
                        .map(|_| {
                            $spawn(async move {
                                let mut s = <$stream>::connect(addr).await.unwrap();
                                s.set_nodelay(true).unwrap();
                                let msg = [7u8; MESSAGE];
                                let mut back = [0u8; MESSAGE];
                                for _ in 0..ROUND_TRIPS {
                                    s.write_all(&msg).await.unwrap();
                                    s.read_exact(&mut back).await.unwrap();
                                }
                            })
                        })
                        .collect();
                    for c in clients {
                        c.await.unwrap();
                    }
                })
            }

            pub fn timer_churn(rt: &$rt) {
                rt.block_on(async {
                    $spawn(async {
                        for _ in 0..TIMEOUTS {
                            let r = $timeout(Duration::from_secs(1), std::future::ready(())).await;
                            std::hint::black_box(r).unwrap();
                        }
                    })
                    .await
                    .unwrap()
                })
            }
        }
    };
}

runtime_side!(
    gosched_side,
    gosched::runtime::Runtime,
    gosched::spawn,
    gosched::time::timeout,
    [futures::io::{AsyncReadExt, AsyncWriteExt}],
    gosched::net::TcpListener,
    gosched::net::TcpStream
);
runtime_side!(
    tokio_side,
    tokio::runtime::Runtime,
    tokio::spawn,
    tokio::time::timeout,
    [tokio::io::{AsyncReadExt, AsyncWriteExt}],
    tokio::net::TcpListener,
    tokio::net::TcpStream
);

fn runtimes() -> (gosched::runtime::Runtime, tokio::runtime::Runtime) {
    let g = gosched::runtime::Builder::new()
        .maxprocs(WORKERS)
        .build()
        .unwrap();
    let t = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap();
    (g, t)
}

fn tcp_echo(c: &mut Criterion) {
    const GROUP: &str = "tcp_echo_64x1000";
    let (grt, trt) = runtimes();
    let gaddr = gosched_side::echo_server(&grt);
    let taddr = tokio_side::echo_server(&trt);
    let mut g = small_group(c, GROUP);
    g.bench_function("gosched", |b| {
        b.iter_custom(|iters| {
            timed(GROUP, "gosched", iters, || {
                gosched_side::echo_clients(&grt, gaddr)
            })
        })
    });
    g.bench_function("tokio", |b| {
        b.iter_custom(|iters| timed(GROUP, "tokio", iters, || tokio_side::echo_clients(&trt, taddr)))
    });
    g.finish();
}

fn timer_churn(c: &mut Criterion) {
    const GROUP: &str = "timeout_churn_1m";
    let (grt, trt) = runtimes();
    let mut g = small_group(c, GROUP);
    g.bench_function("gosched", |b| {
        b.iter_custom(|iters| timed(GROUP, "gosched", iters, || gosched_side::timer_churn(&grt)))
    });
    g.bench_function("tokio", |b| {
        b.iter_custom(|iters| timed(GROUP, "tokio", iters, || tokio_side::timer_churn(&trt)))
    });
    g.finish();
}

criterion_group!(benches, tcp_echo, timer_churn);

/// Mean per iteration over everything criterion ran (warm-up included), and gosched/tokio.
fn print_ratios() {
    let means = MEANS.lock().unwrap();
    let mean = |group: &str, rt: &str| {
        means
            .iter()
            .find(|m| m.0 == group && m.1 == rt)
            .map(|m| m.2.as_secs_f64() / m.3.max(1) as f64)
    };
    let mut groups: Vec<&str> = means.iter().map(|m| m.0).collect();
    groups.dedup();
    for group in groups {
        if let (Some(g), Some(t)) = (mean(group, "gosched"), mean(group, "tokio")) {
            println!(
                "{group}: gosched {:.2} ms, tokio {:.2} ms, ratio gosched/tokio {:.3}",
                g * 1e3,
                t * 1e3,
                g / t
            );
        }
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    print_ratios();
}
