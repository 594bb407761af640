//! The diagnostics of "Debugging the scheduler" (README) on a small program with two bad tasks:
//! one blocks its thread in `std::thread::sleep`, one computes for 60 ms without yielding, and
//! a few well-behaved ones wait on timers.
//!
//! ```text
//! GOSCHED_DEBUG=slowpoll=20,sigquit=1 cargo run --example debugging
//! kill -QUIT <pid>     # while it waits: the grouped task dump, then exit status 2
//! ```

use gosched::time::sleep;
use std::time::{Duration, Instant};

fn main() {
    let rt = gosched::runtime::Builder::new()
        .maxprocs(2)
        .flight_recorder(true)
        .build()
        .unwrap();
    rt.block_on(async {
        for i in 0..4u64 {
            gosched::spawn(async move { sleep(Duration::from_secs(3600 + i)).await });
        }
        // Blocks its thread: sysmon hands the P to another thread.
        let blocker = gosched::spawn(async {
            let queued = gosched::spawn(async {});
            std::thread::sleep(Duration::from_millis(50));
            queued.await.unwrap();
        });
        // Computes without an await.
        let spinner = gosched::spawn(async {
            let t = Instant::now();
            while t.elapsed() < Duration::from_millis(60) {
                std::hint::spin_loop();
            }
        });
        blocker.await.unwrap();
        spinner.await.unwrap();
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
            "pid {}: waiting 30 s (send SIGQUIT for the dump)",
            std::process::id()
        );
        sleep(Duration::from_secs(30)).await;
    });
}
