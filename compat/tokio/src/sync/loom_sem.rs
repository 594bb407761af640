//! loom models of the semaphore's lock-free handshake (`sem.rs`'s module doc): a release that
//! races a waiter queueing itself must never leave the waiter asleep with a permit free.
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p tokio --lib --release loom_sem`.

use super::sem::Sem;
use loom::sync::Arc;
use loom::thread;
use std::future::poll_fn;

/// Acquires `n` permits, parking the loom thread until they come.
fn acquire(sem: &Sem, n: usize) {
    let mut key = None;
    loom::future::block_on(poll_fn(|cx| sem.poll_acquire(cx, n, &mut key))).unwrap();
}

/// A release racing an acquirer that finds no permit and queues: the acquirer is woken.
fn race_release_with_queueing(broken: bool) {
    loom::model(move || {
        let mut sem = Sem::new(0);
        sem.broken = broken;
        let sem = Arc::new(sem);
        let s2 = sem.clone();
        let t = thread::spawn(move || s2.release(1));
        acquire(&sem, 1);
        t.join().unwrap();
        assert_eq!(sem.available_permits(), 0);
    });
}

#[test]
fn release_racing_a_queueing_acquirer_wakes_it() {
    race_release_with_queueing(false);
}

/// The broken twin reads `has_waiters` before adding its permit, so it can miss a waiter that
/// queued in between: loom finds the interleaving where the acquirer sleeps forever.
#[test]
#[should_panic(expected = "deadlock")]
fn broken_twin_loses_the_wakeup() {
    race_release_with_queueing(true);
}

/// Two acquirers and one permit, each giving it back: every interleaving ends with the permit
/// free and both acquirers served.
#[test]
fn two_acquirers_share_one_permit() {
    loom::model(|| {
        let sem = Arc::new(Sem::new(1));
        let s2 = sem.clone();
        let t = thread::spawn(move || {
            acquire(&s2, 1);
            s2.release(1);
        });
        acquire(&sem, 1);
        sem.release(1);
        t.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
    });
}

/// A waiter that gives up (is cancelled) while a release races it passes any permit it was
/// handed on, so the permit ends up free.
#[test]
fn cancelled_waiter_passes_its_permit_on() {
    loom::model(|| {
        let sem = Arc::new(Sem::new(0));
        let s2 = sem.clone();
        let t = thread::spawn(move || s2.release(1));
        let mut key = None;
        let waker = futures_util::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        let first = sem.poll_acquire(&mut cx, 1, &mut key);
        sem.cancel(&mut key);
        t.join().unwrap();
        let expected = if first.is_ready() { 0 } else { 1 };
        assert_eq!(sem.available_permits(), expected);
    });
}
