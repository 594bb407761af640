//! `coop::has_budget_remaining` agrees with what the next gosched resource would do: false once
//! the budget is spent or sysmon asked the poll to yield (its preempt request).

mod common;

use common::watchdog;
use gosched_executor::runtime::Builder;
use std::time::{Duration, Instant};

/// A poll that computes without touching any gosched resource: sysmon asks it to yield after
/// `preempt_slice`, and `has_budget_remaining` must say so.
#[test]
fn has_budget_remaining_is_false_once_sysmon_asked_to_preempt() {
    let _w = watchdog("budget_preempt", Duration::from_secs(30));
    let rt = Builder::new()
        .maxprocs(1)
        .preempt_slice(Duration::from_millis(5))
        .build()
        .unwrap();
    let asked = rt.block_on(rt.spawn(async {
        assert!(gosched_executor::coop::has_budget_remaining());
        let start = Instant::now();
        // Bounded: far longer than sysmon needs to notice a 5 ms slice.
        while start.elapsed() < Duration::from_secs(3) {
            if !gosched_executor::coop::has_budget_remaining() {
                return Some(start.elapsed());
            }
            std::hint::spin_loop();
        }
        None
    }));
    assert!(
        asked.unwrap().is_some(),
        "has_budget_remaining stayed true through 3 s of one poll"
    );
}
