//! A busy workload that shows Go's schedtrace output: every second, one `SCHED` line on stderr
//! with the number of Ps, idle Ps, threads, spinning and idle threads, the global queue length
//! and each P's local queue.
//!
//! ```sh
//! cargo run --release --example schedtrace                     # schedtrace=1000
//! GOSCHED_DEBUG=schedtrace=200,scheddetail=1 cargo run --release --example schedtrace
//! cargo run --release --example schedtrace -- 1                # run for 1 s instead of 3
//! ```

use gosched::runtime::Builder;
use gosched::time::{Duration, Instant};

fn main() -> std::io::Result<()> {
    let secs: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let mut builder = Builder::new().maxprocs(4);
    if std::env::var_os("GOSCHED_DEBUG").is_none() {
        builder = builder.schedtrace(Duration::from_millis(1000));
    }
    let rt = builder.build()?;
    let until = Instant::now() + Duration::from_secs(secs);
    let polls = rt.block_on(async move {
        let mut waves = 0u64;
        while Instant::now() < until {
            // A wave of short tasks: computation, sleeps and yields, so queues fill and drain
            // and idle Ms steal.
            let tasks: Vec<_> = (0..2_000u64)
                .map(|i| {
                    gosched::spawn(async move {
                        let mut x = i;
                        for _ in 0..(i % 7) {
                            for _ in 0..2_000 {
                                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                            }
                            gosched::task::yield_now().await;
                        }
                        if i % 5 == 0 {
                            gosched::time::sleep(Duration::from_millis(i % 20)).await;
                        }
                        x
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("task panicked");
            }
            waves += 1;
        }
        waves
    });
    let m = rt.metrics();
    println!(
        "done: {polls} waves, {} tasks, {} polls, {} steals, {} preemptions",
        m.spawned_total, m.polls_total, m.steals_total, m.preemptions_total
    );
    Ok(())
}
