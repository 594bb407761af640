//! `live_runtimes` counts a runtime until it is dropped and the last of its handles, tasks,
//! timers and sockets is gone: a dropped runtime's idle blocking threads let go of it before
//! the drop returns. `live_runtimes` is process-wide, so this binary holds this one test.

mod common;

use common::watchdog;
use gosched_executor::runtime::{Builder, live_runtimes};
use std::time::Duration;

/// A dropped runtime's idle blocking threads let go of it before the drop returns.
#[test]
fn live_runtimes_does_not_count_a_dropped_runtime_through_its_idle_blocking_threads() {
    let _w = watchdog("live_runtimes_blocking", Duration::from_secs(10));
    let before = live_runtimes();
    for _ in 0..20 {
        let rt = Builder::new()
            .maxprocs(1)
            .blocking_keep_alive(Duration::from_secs(60))
            .build()
            .unwrap();
        let jobs: Vec<_> = (0..4).map(|i| rt.spawn_blocking(move || i)).collect();
        for (i, j) in jobs.into_iter().enumerate() {
            assert_eq!(rt.block_on(j).unwrap(), i);
        }
        drop(rt);
        assert_eq!(
            live_runtimes(),
            before,
            "a dropped runtime is still counted (its idle blocking threads hold it)"
        );
    }
}
