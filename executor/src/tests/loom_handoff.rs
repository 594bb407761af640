//! loom model of the P hand-over between an M stuck in a poll and sysmon (sched/mod.rs,
//! "Who owns a P while a task is being polled"; sysmon/retake.rs).
//!
//! The M publishes `InPoll(seq)`, runs its poll, then CASes back to `Owned`; sysmon, seeing
//! `InPoll(seq)`, CASes it to `Owned` for itself. Exactly one of them must win, the loser must
//! never touch the P's data, and the winner must see what the M wrote before its poll began.

use crate::loom::UnsafeCell;
use crate::sched::p::{P, PStatus};
use loom::sync::Arc;
use loom::thread;

/// Data only the P's owner may touch (stands for the run queue's owner side).
struct Owned(UnsafeCell<u32>);

// SAFETY: the model's point is that only one thread owns the P at a time; loom checks every
// access to the cell and fails the model if two are concurrent.
unsafe impl Sync for Owned {}

#[test]
fn loom_handoff_exactly_one_owner_after_a_poll() {
    loom::model(|| {
        let (ps, mut tokens) = P::all(1);
        let p = Arc::new(ps);
        let data = Arc::new(Owned(UnsafeCell::new(0)));
        // The M owns the P and writes to it before the poll begins.
        // SAFETY: no other thread exists yet.
        data.0.with_mut(|d| unsafe { *d = 7 });
        let seq = p[0].begin_poll(tokens.remove(0), false);

        let (p2, data2) = (p.clone(), data.clone());
        let sysmon = thread::spawn(move || {
            let PStatus::InPoll(s) = p2[0].status() else {
                return false;
            };
            if p2[0].try_retake(s).is_none() {
                return false;
            }
            // The retaker owns the P: it sees the M's pre-poll write and may write itself.
            // SAFETY: try_retake succeeded, so this thread owns the P (the model checks it).
            data2.0.with_mut(|d| unsafe {
                assert_eq!(*d, 7);
                *d = 1;
            });
            true
        });

        // The poll runs (nothing here), then the M tries to keep its P.
        let kept = p[0].end_poll(seq).is_some();
        if kept {
            // SAFETY: end_poll succeeded, so this thread still owns the P.
            data.0.with_mut(|d| unsafe { *d = 2 });
        }
        let retaken = sysmon.join().unwrap();
        assert!(
            kept != retaken,
            "kept={kept} retaken={retaken}: the P must have exactly one owner"
        );
        // SAFETY: both threads are done.
        let d = data.0.with(|d| unsafe { *d });
        assert_eq!(d, if kept { 2 } else { 1 });
    });
}

#[test]
fn loom_handoff_a_stale_retake_of_an_earlier_poll_fails() {
    loom::model(|| {
        let (ps, mut tokens) = P::all(1);
        let p = Arc::new(ps);
        // sysmon saw poll `first`; the M finished it and began the next one.
        let first = p[0].begin_poll(tokens.remove(0), false);
        let p2 = p.clone();
        let sysmon = thread::spawn(move || p2[0].try_retake(first).is_some());
        let first_kept = p[0].end_poll(first);
        let second = first_kept.map(|owned| p[0].begin_poll(owned, true));
        let retaken = sysmon.join().unwrap();
        assert!(second.is_some() != retaken);
        if let Some(second) = second {
            // The retake aimed at `first` cannot take the P during `second`.
            assert_eq!(p[0].status(), PStatus::InPoll(second));
            assert!(p[0].end_poll(second).is_some());
        }
    });
}
