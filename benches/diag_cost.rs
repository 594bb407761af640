//! What the diagnostics cost, in instructions: the `chained_spawn`, `yield_many` and
//! `ping_pong` workloads of `scheduler.rs` (`workloads/mod.rs`), smaller, run once each under
//! `valgrind --tool=callgrind` by `benches/diag_cost.sh`, which compares the counts.
//!
//! `BENCH_DIAG=on` builds the runtime with a slow-poll threshold (1 s, never reached) and the
//! flight recorder; anything else leaves both off. One P and no sysmon, so the count does not
//! depend on how the threads interleave under valgrind.
//!
//! `cargo bench --bench diag_cost -- <chained_spawn|yield|ping_pong|none>` runs one workload
//! (`none` only builds and drops the runtime; the script subtracts it).

mod workloads;

use std::time::{Duration, Instant};

const CHAIN_DEPTH: usize = 1_000;
const CHAINS: usize = 20;
const YIELD_TASKS: usize = 100;
const YIELDS_PER_TASK: usize = 200;
const PING_PONG_PAIRS: usize = 100;
const ROUND_TRIPS: usize = 100;

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
            "chained_spawn" => {
                for _ in 0..CHAINS {
                    workloads::chained_spawn(CHAIN_DEPTH).await;
                }
            }
            "yield" => workloads::yield_many(YIELD_TASKS, YIELDS_PER_TASK).await,
            "ping_pong" => workloads::ping_pong(PING_PONG_PAIRS, ROUND_TRIPS).await,
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
