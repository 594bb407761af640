//! What the round-2 diagnostics cost, in instructions: the `chained_spawn`, `yield_many` and
//! `ping_pong` workloads of `scheduler.rs`, smaller, run once each under
//! `valgrind --tool=callgrind` by `benches/diag_cost.sh`, which compares the counts.
//!
//! `BENCH_DIAG=on` builds the runtime with a slow-poll threshold (1 s, never reached) and the
//! flight recorder; anything else leaves both off. One P and no sysmon, so the count does not
//! depend on how the threads interleave under valgrind.
//!
//! `cargo bench --bench diag_cost -- <chained_spawn|yield|ping_pong|none>` runs one workload
//! (`none` only builds and drops the runtime; the script subtracts it).

use std::time::{Duration, Instant};

const CHAIN_DEPTH: usize = 1_000;
const CHAINS: usize = 20;
const YIELD_TASKS: usize = 100;
const YIELDS_PER_TASK: usize = 200;
const PING_PONG_PAIRS: usize = 100;
const ROUND_TRIPS: usize = 100;

fn chain(done: async_channel::Sender<()>, n: usize) {
    if n == 0 {
        done.try_send(()).unwrap();
    } else {
        drop(gosched::spawn(async move { chain(done, n - 1) }));
    }
}

async fn chained_spawn() {
    for _ in 0..CHAINS {
        let (tx, rx) = async_channel::bounded(1);
        drop(gosched::spawn(async move { chain(tx, CHAIN_DEPTH) }));
        rx.recv().await.unwrap();
    }
}

async fn yield_many() {
    let hs: Vec<_> = (0..YIELD_TASKS)
        .map(|_| {
            gosched::spawn(async {
                for _ in 0..YIELDS_PER_TASK {
                    gosched::task::yield_now().await;
                }
            })
        })
        .collect();
    for h in hs {
        h.await.unwrap();
    }
}

async fn ping_pong() {
    let mut hs = Vec::with_capacity(2 * PING_PONG_PAIRS);
    for _ in 0..PING_PONG_PAIRS {
        let (ping_tx, ping_rx) = async_channel::bounded::<usize>(1);
        let (pong_tx, pong_rx) = async_channel::bounded::<usize>(1);
        hs.push(gosched::spawn(async move {
            for i in 0..ROUND_TRIPS {
                ping_tx.send(i).await.unwrap();
                assert_eq!(pong_rx.recv().await.unwrap(), i);
            }
        }));
        hs.push(gosched::spawn(async move {
            while let Ok(i) = ping_rx.recv().await {
                pong_tx.send(i).await.unwrap();
            }
        }));
    }
    for h in hs {
        h.await.unwrap();
    }
}

fn main() {
    let workload = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| "chained_spawn".into());
    let on = std::env::var("BENCH_DIAG").is_ok_and(|v| v == "on");
    let mut b = gosched::runtime::Builder::new().maxprocs(1).sysmon(false);
    if on {
        b = b
            .slow_poll_threshold(Duration::from_secs(1))
            .flight_recorder(true);
    }
    let rt = b.build().unwrap();
    let start = Instant::now();
    rt.block_on(async {
        match workload.as_str() {
            "chained_spawn" => chained_spawn().await,
            "yield" => yield_many().await,
            "ping_pong" => ping_pong().await,
            // Building and dropping the runtime only: subtracted from the others.
            "none" => {}
            other => panic!("unknown workload {other}"),
        }
    });
    let m = rt.metrics();
    println!(
        "{workload} diag={} polls={} {:?}",
        if on { "on" } else { "off" },
        m.polls_total,
        start.elapsed()
    );
}
