//! Blocking tolerance (tasks that block their thread while timers must fire on time), gosched and tokio in the same run,
//! maxprocs = worker_threads = 2.
//!
//! (a) 100 ticker tasks loop on `sleep(1 ms)` and record how late each wake is, while two hog
//!     tasks (as many as Ps) each block 50 ms then sleep 50 ms, for 3 s. Variants: the hog
//!     blocks in `std::thread::sleep`, or spins on the CPU; and a no-hog baseline.
//! (b) spawn_blocking throughput: 100k tiny closures, joined (criterion).
//!
//! `cargo bench --bench blocking` (set `BLOCKING_BENCH_SECS` to shorten part a).

use criterion::{Criterion, criterion_group};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const WORKERS: usize = 2;
const TICKERS: usize = 100;
const HOGS: usize = 2;
const TICK: Duration = Duration::from_millis(1);
const HOG_BLOCK: Duration = Duration::from_millis(50);

#[derive(Clone, Copy, PartialEq)]
enum Hog {
    None,
    Sleep,
    Spin,
}

fn hog_block(kind: Hog) {
    match kind {
        Hog::None => {}
        Hog::Sleep => std::thread::sleep(HOG_BLOCK),
        Hog::Spin => {
            let start = Instant::now();
            let mut x = 0u64;
            while start.elapsed() < HOG_BLOCK {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
        }
    }
}

/// Lateness samples in µs.
type Samples = Arc<Mutex<Vec<u64>>>;

/// One lateness run on a runtime `$rt` (built before), with its `sleep_until` and `sleep`;
/// returns the lateness samples. A macro, because the two runtimes share no trait.
macro_rules! lateness_run {
    ($rt:expr, $sleep_until:expr, $sleep:path, $kind:expr, $secs:expr) => {{
        let rt = $rt;
        let (kind, secs): (Hog, f64) = ($kind, $secs);
        let samples: Samples = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..TICKERS {
            let (samples, stop) = (samples.clone(), stop.clone());
            tasks.push(rt.spawn(async move {
                let mut local = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let deadline = Instant::now() + TICK;
                    $sleep_until(deadline).await;
                    local.push(Instant::now().duration_since(deadline).as_micros() as u64);
                }
                samples.lock().unwrap().extend(local);
            }));
        }
        if kind != Hog::None {
            for _ in 0..HOGS {
                let stop = stop.clone();
                tasks.push(rt.spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        hog_block(kind);
                        $sleep(HOG_BLOCK).await;
                    }
                }));
            }
        }
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
        rt.block_on(async {
            for t in tasks {
                t.await.unwrap();
            }
        });
        (rt, Arc::try_unwrap(samples).unwrap().into_inner().unwrap())
    }};
}

fn run_gosched(kind: Hog, secs: f64) -> Vec<u64> {
    let rt = gosched::runtime::Builder::new()
        .maxprocs(WORKERS)
        .build()
        .unwrap();
    let (rt, samples) = lateness_run!(rt, gosched::time::sleep_until, gosched::time::sleep, kind, secs);
    let m = rt.metrics();
    eprintln!(
        "  gosched metrics: handoffs={} preemptions={} threads={}",
        m.handoffs_total, m.preemptions_total, m.threads
    );
    samples
}

fn run_tokio(kind: Hog, secs: f64) -> Vec<u64> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap();
    let until = |d: Instant| tokio::time::sleep_until(d.into());
    lateness_run!(rt, until, tokio::time::sleep, kind, secs).1
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn lateness_table() {
    let secs: f64 = std::env::var("BLOCKING_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    println!(
        "\nblocking tolerance: {TICKERS} tickers on sleep(1 ms), {HOGS} hogs block 50 ms / sleep 50 ms, {secs} s, {WORKERS} workers"
    );
    println!("| variant | runtime | wakes | p50 late (ms) | p99 late (ms) | max late (ms) |");
    println!("|---|---|---|---|---|---|");
    let mut p99s = Vec::new();
    for (name, kind) in [
        ("no hog", Hog::None),
        ("hog sleeps", Hog::Sleep),
        ("hog spins", Hog::Spin),
    ] {
        let mut row = Vec::new();
        for (rt_name, run) in [
            ("gosched", run_gosched as fn(Hog, f64) -> Vec<u64>),
            ("tokio", run_tokio),
        ] {
            let mut s = run(kind, secs);
            s.sort_unstable();
            let (p50, p99, max) = (percentile(&s, 0.5), percentile(&s, 0.99), percentile(&s, 1.0));
            println!(
                "| {name} | {rt_name} | {} | {p50:.3} | {p99:.3} | {max:.3} |",
                s.len()
            );
            row.push(p99);
        }
        p99s.push((name, row[0] / row[1]));
    }
    for (name, ratio) in p99s {
        println!("p99 ratio gosched/tokio, {name}: {ratio:.3}");
    }
}

fn spawn_blocking_throughput(c: &mut Criterion) {
    const N: usize = 100_000;
    let mut g = c.benchmark_group("spawn_blocking_100k");
    g.sample_size(10);
    let grt = gosched::runtime::Builder::new()
        .maxprocs(WORKERS)
        .build()
        .unwrap();
    g.bench_function("gosched", |b| {
        b.iter(|| {
            grt.block_on(async {
                let hs: Vec<_> = (0..N).map(|i| gosched::spawn_blocking(move || i)).collect();
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
    let trt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .build()
        .unwrap();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            trt.block_on(async {
                let hs: Vec<_> = (0..N).map(|i| tokio::task::spawn_blocking(move || i)).collect();
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
    g.finish();
}

criterion_group!(benches, spawn_blocking_throughput);

fn main() {
    lateness_table();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
