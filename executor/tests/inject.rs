//! Go's `injectglist`: a batch of tasks made ready at once by the poller or by timers reaches
//! as many idle Ps as there are tasks, handed to them (the global queue and a started M each),
//! not left on one P for others to steal.

mod common;

use common::watchdog;
use gosched_executor::runtime::Builder;
use gosched_executor::time::{self, Duration, Instant};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

#[test]
fn a_batch_of_timer_wakes_reaches_every_idle_p_without_stealing() {
    const N: usize = 4;
    let _w = watchdog("inject_batch", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(N).build().unwrap();
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let deadline = Instant::now() + Duration::from_millis(300);
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let threads = threads.clone();
            rt.spawn(async move {
                // Every P is idle at the deadline: one M wakes in the poller for the whole
                // batch of N timers.
                time::sleep_until(deadline).await;
                threads.lock().unwrap().insert(std::thread::current().id());
                // Compute (no yield), so each task holds its P for a while.
                let t = std::time::Instant::now();
                while t.elapsed() < std::time::Duration::from_millis(100) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    // Let the tasks reach their sleep, then count the steals from there.
    std::thread::sleep(std::time::Duration::from_millis(150));
    let steals = rt.metrics().steals_total;
    for t in tasks {
        rt.block_on(t).unwrap();
    }
    let threads = threads.lock().unwrap().len();
    assert_eq!(threads, N, "the batch ran on {threads} threads");
    let stolen = rt.metrics().steals_total - steals;
    // Handed out: none stolen. Left on one P: a thief takes half of it (2 of the 3 queued).
    assert!(stolen < 2, "{stolen} tasks of the batch were stolen");
}
