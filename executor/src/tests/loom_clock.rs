//! loom model of the auto-advance hold protocol (time/clock.rs, "Paused time and auto-advance"): a
//! holder (a blocking-pool job, an M about to park) publishes the work it made and lets go,
//! while the checker (the M about to block in the poller) lets go of its own hold and reads
//! the count. Either the checker reads no holds and sees the work, or it reads a hold and the
//! holder's let-go is the last one (so the holder breaks the poll): never a checker that jumps
//! the clock past unseen work, nor one that waits with nobody to wake it.

use crate::time::clock::Clock;
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
        let quiet = clock.quiet().is_some();
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
    use crate::time::clock::Holds;
    loom::model(|| {
        // `crate::loom::Arc`, as the clock's holds are (std's `Arc` around a loom atomic).
        let busy = crate::loom::Arc::new(Holds::new());
        busy.hold(); // block_on's hold while it polls
        let waker = Arc::new(ThreadWaker::new(busy.clone()));
        let w = waker.clone();
        let late = thread::spawn(move || {
            // The thread is gone or about to be: an unpark is harmless either way.
            let _ = w.notify();
        });
        // `Hold::drop`.
        if waker.finish() {
            busy.let_go();
        }
        let last = busy.let_go();
        late.join().unwrap();
        assert!(
            busy.quiet().is_some(),
            "a hold leaked or was let go twice ({last})"
        );
    });
}

/// The jump against a thread that takes a hold and reads the clock twice (a pinned thread
/// woken from outside the runtime, computing): the checker looked and saw no holds, then
/// jumps with `advance_if_quiet`. Either the jump fails (the hold came first) or the holder
/// reads the new time both times: never the old time and then the new one.
#[test]
fn loom_jump_vs_holder_reading_the_clock() {
    loom::model(|| {
        let clock = Arc::new(Clock::new(std::time::Instant::now(), true));
        let c = clock.clone();
        let holder = thread::spawn(move || {
            c.hold();
            let t0 = c.now_ns();
            let t1 = c.now_ns();
            c.let_go();
            (t0, t1)
        });
        let jumped = match clock.quiet() {
            Some(seen) => clock.advance_if_quiet(seen, 5),
            None => false,
        };
        let (t0, t1) = holder.join().unwrap();
        assert_eq!(t0, t1, "the clock moved while a thread held it");
        if !jumped {
            assert_eq!(clock.now_ns(), 0);
        }
    });
}

/// A hold taken and let go between the look and the jump (work made and published, the
/// holder asleep again) still stops the jump: the generation moved.
#[test]
fn loom_jump_after_a_hold_came_and_went_fails() {
    loom::model(|| {
        let clock = Arc::new(Clock::new(std::time::Instant::now(), true));
        let seen = clock.quiet().expect("no holds yet");
        let c = clock.clone();
        let holder = thread::spawn(move || {
            c.hold();
            c.let_go();
        });
        holder.join().unwrap();
        assert!(!clock.advance_if_quiet(seen, 5));
        assert_eq!(clock.now_ns(), 0);
        let seen = clock.quiet().expect("let go");
        assert!(clock.advance_if_quiet(seen, 5));
        assert_eq!(clock.now_ns(), 5);
    });
}
