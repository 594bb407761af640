//! loom model of the auto-advance hold protocol (clock.rs, "Paused time and auto-advance"): a
//! holder (a blocking-pool job, an M about to park) publishes the work it made and lets go,
//! while the checker (the M about to block in the poller) lets go of its own hold and reads
//! the count. Either the checker reads no holds and sees the work, or it reads a hold and the
//! holder's let-go is the last one (so the holder breaks the poll): never a checker that jumps
//! the clock past unseen work, nor one that waits with nobody to wake it.

use crate::clock::Clock;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

#[test]
fn loom_clock_holder_vs_checker() {
    loom::model(|| {
        let clock = Arc::new(Clock::new(std::time::Instant::now(), true));
        let work = Arc::new(AtomicBool::new(false));
        clock.hold(); // the holder's
        clock.hold(); // the checker's (an awake M)
        let (c, w) = (clock.clone(), work.clone());
        let holder = thread::spawn(move || {
            w.store(true, Ordering::SeqCst); // a queue push
            c.let_go() // true: the caller breaks the poll
        });
        // The checker: its own hold first (its result is ignored, as in block_in_poller).
        let _ = clock.let_go();
        let quiet = clock.no_holds();
        let saw_work = work.load(Ordering::SeqCst);
        let holder_breaks = holder.join().unwrap();
        if quiet {
            assert!(
                saw_work,
                "the checker found no holds but missed the holder's work"
            );
        } else {
            assert!(
                holder_breaks,
                "the checker waits and the last let-go breaks nothing"
            );
        }
    });
}

/// `block_on` returning while a late wake of its waker runs: every hold taken is let go
/// exactly once (a leaked hold would stop auto-advance for the runtime's life).
#[test]
fn loom_block_on_finish_vs_late_wake() {
    use crate::runtime::block_on::ThreadWaker;
    use loom::sync::atomic::AtomicUsize;
    loom::model(|| {
        // `crate::loom::Arc`, as the clock's count is (std's `Arc` around a loom atomic).
        let busy = crate::loom::Arc::new(AtomicUsize::new(1)); // block_on's hold while it polls
        let waker = Arc::new(ThreadWaker::new(busy.clone()));
        let w = waker.clone();
        let late = thread::spawn(move || {
            // The thread is gone or about to be: an unpark is harmless either way.
            let _ = w.notify();
        });
        // `Hold::drop`.
        if waker.finish() {
            busy.fetch_sub(1, Ordering::SeqCst);
        }
        busy.fetch_sub(1, Ordering::SeqCst);
        late.join().unwrap();
        assert_eq!(
            busy.load(Ordering::SeqCst),
            0,
            "a hold leaked or was let go twice"
        );
    });
}
