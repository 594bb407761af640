//! loom model of the poll break (netpoll/wake.rs): a non-blocking poll that passed its
//! `blocking` check just before an M set it must not eat the break meant for that M. The
//! protocol is the real `BreakSignal`; the kernel (the poller's lock, the eventfd's
//! edge-triggered readiness) is modelled.

use crate::netpoll::wake::BreakSignal;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;
use std::sync::Arc;

/// The kernel's side of the poll break, as the break protocol sees it (netpoll/wake.rs): the
/// poller's lock (every `epoll_wait` holds it; non-blocking pollers only try it) and the
/// eventfd's edge (pending until the first `epoll_wait` after the write consumes it).
struct Kernel {
    lock: loom::sync::Mutex<()>,
    edge: AtomicBool,
    shutdown: AtomicBool,
    signal: BreakSignal,
}

/// One run of the race: a non-blocking poller that passed its `blocking` check polls once;
/// shutdown begins and breaks the poll; the M that set `blocking` checks for shutdown, takes
/// the lock and blocks with no timer. `step2`: the blocking poller's check of `pending`
/// (false: the broken twin, today's code before the fix).
fn break_vs_nonblocking_poll(step2: bool) {
    let k = Arc::new(Kernel {
        lock: loom::sync::Mutex::new(()),
        edge: AtomicBool::new(false),
        shutdown: AtomicBool::new(false),
        signal: BreakSignal::new(),
    });
    let k1 = k.clone();
    let nonblocking = thread::spawn(move || {
        // `Poller::poll(Some(ZERO), false)`: try the lock; `epoll_wait(0)` eats any edge.
        if let Ok(_g) = k1.lock.try_lock() {
            k1.edge.store(false, Ordering::SeqCst);
        }
    });
    let k2 = k.clone();
    let breaker = thread::spawn(move || {
        // `begin_shutdown`, then `Poller::shutdown` → `break_poll`.
        k2.shutdown.store(true, Ordering::SeqCst);
        if k2.signal.request() {
            k2.edge.store(true, Ordering::SeqCst);
        }
    });
    // `block_in_poller`: shutdown already? Else `Poller::poll(None, true)`.
    if k.shutdown.load(Ordering::SeqCst) {
        nonblocking.join().unwrap();
        breaker.join().unwrap();
        return;
    }
    let _g = k.lock.lock().unwrap();
    if step2 && k.signal.before_block() {
        // Polls without blocking and returns: it sees the shutdown next.
        drop(_g);
        nonblocking.join().unwrap();
        breaker.join().unwrap();
        return;
    }
    // Blocks in `epoll_wait` with no timeout: it returns only on an edge. Holding the lock,
    // only the breaker can still act; once it is done the edge must be there.
    breaker.join().unwrap();
    let woken = k.edge.swap(false, Ordering::SeqCst);
    if woken {
        k.signal.woken();
    }
    drop(_g);
    nonblocking.join().unwrap();
    assert!(
        woken,
        "lost break: the blocking poll sleeps forever, its shutdown break eaten by a \
         non-blocking poll"
    );
}

#[test]
fn loom_netpoll_break_reaches_the_blocking_poller() {
    loom::model(|| break_vs_nonblocking_poll(true));
}

/// The model can fail: without step 2 a non-blocking poll that eats the edge before the
/// blocking poller takes the lock leaves it asleep.
#[test]
#[should_panic(expected = "lost break")]
fn loom_netpoll_break_without_the_pending_check_is_lost() {
    loom::model(|| break_vs_nonblocking_poll(false));
}
