//! Who may hand a P off: only the M that owns it. A `block_in_place` whose P was already handed
//! on (by an earlier `block_in_place` of the same poll, or by a sysmon retake) must not take
//! the P from the M that polls on it now. Counted by `Metrics::handoffs_total`.

mod common;

use common::{wait_until, watchdog};
use gosched_executor::block_in_place;
use gosched_executor::runtime::{Builder, Runtime};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Runs on one P: `first_handoff` (inside task A's poll) makes the P go to another M, which
/// then polls task B (which blocks its thread until A is done); then A calls `block_in_place`
/// again, in the same poll. Returns `handoffs_total` at the end.
fn second_block_in_place_after(rt: &Runtime, first_handoff: fn(&AtomicBool)) -> u64 {
    let b_running = Arc::new(AtomicBool::new(false));
    let a_done = Arc::new(AtomicBool::new(false));
    let (b_run2, a_done2) = (b_running.clone(), a_done.clone());
    // A hands B's handle out: awaiting B itself would end A's poll.
    #[allow(clippy::async_yields_async)]
    let a = rt.spawn(async move {
        let (b_run3, a_done3) = (b_run2.clone(), a_done2.clone());
        // B waits in this M's spawn buffer; the first hand-off moves it into the P.
        let b = gosched_executor::spawn(async move {
            b_run3.store(true, Ordering::SeqCst);
            // B holds its M (and the P) until A is done.
            wait_until("task A done", || a_done3.load(Ordering::SeqCst));
        });
        first_handoff(&b_run2);
        // The P is B's M's now: this must not take it.
        block_in_place(|| {});
        a_done2.store(true, Ordering::SeqCst);
        b
    });
    let b = rt.block_on(a).unwrap();
    rt.block_on(b).unwrap();
    rt.metrics().handoffs_total
}

#[test]
fn two_block_in_place_in_one_poll_hand_off_once() {
    let _w = watchdog(
        "two_block_in_place_in_one_poll_hand_off_once",
        Duration::from_secs(30),
    );
    // No sysmon: every hand-off is a `block_in_place`'s.
    let rt = Builder::new().maxprocs(1).sysmon(false).build().unwrap();
    let handoffs = second_block_in_place_after(&rt, |b_running| {
        block_in_place(|| {
            wait_until("task B running on the handed-off P", || {
                b_running.load(Ordering::SeqCst)
            })
        });
    });
    assert_eq!(handoffs, 1, "the second block_in_place took the P from B's M");
}

#[test]
fn block_in_place_after_a_sysmon_retake_does_not_take_the_p() {
    let _w = watchdog(
        "block_in_place_after_a_sysmon_retake_does_not_take_the_p",
        Duration::from_secs(30),
    );
    let rt = Builder::new().maxprocs(1).build().unwrap();
    // Block the thread with B queued: sysmon retakes the P (blocked ≥ 1 ms) and B runs on
    // another M.
    let handoffs = second_block_in_place_after(&rt, |b_running| {
        wait_until("task B running after sysmon's retake", || {
            b_running.load(Ordering::SeqCst)
        })
    });
    assert_eq!(
        handoffs, 1,
        "block_in_place took the P from B's M after sysmon's retake"
    );
}
