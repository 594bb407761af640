//! The diagnostics of "Debugging the scheduler" (README) on a small program with two bad tasks:
//! one blocks its thread in `std::thread::sleep`, one computes for 60 ms without yielding, and
//! a few well-behaved ones wait on timers.
//!
//! ```text
//! GOSCHED_DEBUG=sigquit=1 cargo run --example debugging [WAIT_SECS]
//! kill -QUIT <pid>     # while it waits (30 s): the grouped task dump, then exit status 2
//! ```
//!
//! The slow-poll threshold (20 ms) is set in code, as `GOSCHED_DEBUG=slowpoll=20` would.

use gosched::time::sleep;
use std::time::{Duration, Instant};

fn main() {
    let wait: u64 = std::env::args()
        .nth(1)
        .map_or(30, |a| a.parse().expect("WAIT_SECS"));
    let rt = gosched::runtime::Builder::new()
        .maxprocs(2)
        .slow_poll_threshold(Duration::from_millis(20))
        .flight_recorder(true)
        .build()
        .unwrap();
    rt.block_on(async {
        for i in 0..4u64 {
            gosched::spawn(async move { sleep(Duration::from_secs(3600 + i)).await });
        }
        // Blocks its thread: sysmon hands the P to another thread. Then waits, so the dump
        // shows its slow poll.
        gosched::spawn(async {
            let queued = gosched::spawn(async {});
            std::thread::sleep(Duration::from_millis(50));
            queued.await.unwrap();
            sleep(Duration::from_secs(3600)).await;
        });
        // Computes without an await.
        gosched::spawn(async {
            let t = Instant::now();
            while t.elapsed() < Duration::from_millis(60) {
                std::hint::spin_loop();
            }
            sleep(Duration::from_secs(3600)).await;
        });
        sleep(Duration::from_millis(500)).await;
        let m = gosched::runtime::Handle::current().metrics();
        println!(
            "slow polls: {}; poll p50 {:?} p99 {:?}; sched latency p50 {:?} p99 {:?}",
            m.slow_polls_total,
            m.poll_duration.quantile(0.5),
            m.poll_duration.quantile(0.99),
            m.sched_latency.quantile(0.5),
            m.sched_latency.quantile(0.99),
        );
        let path = std::env::temp_dir().join("gosched-debugging.json");
        gosched::runtime::Handle::current().write_trace(&path).unwrap();
        println!("flight recorder snapshot: {}", path.display());
        println!(
            "pid {}: waiting {wait} s (send SIGQUIT for the dump)",
            std::process::id()
        );
        sleep(Duration::from_secs(wait)).await;
    });
}
