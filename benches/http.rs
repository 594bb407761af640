//! HTTP/1.1 echo: `examples/http_echo`'s server and client, the same code on gosched and on
//! tokio (through the `gosched-http-echo` crate's `Rt`), maxprocs = worker_threads = 2, in one run.
//!
//! Each iteration: 64 keep-alive connections × 100 requests (alternating POST of 64 bytes and
//! GET), every echo checked, against a server on the same runtime. Criterion reports the time
//! per iteration and, with `Throughput::Elements`, requests/s.
//!
//! `cargo bench --bench http`

use criterion::{Criterion, Throughput, criterion_group};
use gosched_http_echo::rt::{self, Rt};
use gosched_http_echo::{client, server};
use std::sync::Arc;
use std::time::Duration;

const WORKERS: usize = 2;
const CONNECTIONS: usize = 64;
const REQUESTS: u64 = 100;
const BODY: usize = 64;

/// Starts the server on `block_on`'s runtime and returns the load that targets it.
async fn start<R: Rt>() -> client::Load {
    let listener = R::bind(([127, 0, 0, 1], 0).into()).await.unwrap();
    let addr = R::local_addr(&listener).unwrap();
    drop(R::spawn(server::serve::<R>(listener, server::Limits::default())));
    client::Load {
        addr,
        connections: CONNECTIONS,
        requests: REQUESTS,
        body_size: BODY,
    }
}

/// One iteration: the whole load; panics on any error so a broken run cannot look fast.
async fn one_run<R: Rt>(load: &client::Load) {
    let report = client::run::<R>(load, Arc::default()).await;
    assert_eq!(report.errors, 0, "{} http echo had errors", R::NAME);
}

fn http_echo(c: &mut Criterion) {
    let mut g = c.benchmark_group("http_echo_64x100");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(CONNECTIONS as u64 * REQUESTS));

    let grt = gosched::runtime::Builder::new()
        .maxprocs(WORKERS)
        .build()
        .unwrap();
    let load = grt.block_on(start::<rt::Gosched>());
    g.bench_function("gosched", |b| {
        b.iter(|| grt.block_on(one_run::<rt::Gosched>(&load)))
    });
    let m = grt.metrics();
    eprintln!(
        "  gosched metrics: steals={} handoffs={} netpoll_wakeups={} preemptions={}",
        m.steals_total, m.handoffs_total, m.netpoll_wakeups_total, m.preemptions_total
    );
    drop(grt);

    let trt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap();
    let load = trt.block_on(start::<rt::Tokio>());
    g.bench_function("tokio", |b| b.iter(|| trt.block_on(one_run::<rt::Tokio>(&load))));
    g.finish();
}

criterion_group!(benches, http_echo);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
