//! loom model of a source's readiness record (netpoll/record.rs): an operation that saw
//! `WouldBlock` clears the readiness it acted on while the poller reports a new edge. The
//! poller is edge-triggered, so if the clear erased the new edge, or the task registered its
//! waker after the poller took the waiters without re-reading, the task would sleep forever.
//! (A `clear` that ignores the tick fails this model: checked by hand when it was written.)
//! The second model starts from an error edge that an earlier read already reported: the
//! `WouldBlock` that follows clears the error too, so the task never spins on it, and the
//! later data still wakes it; keeping the error (the old clear) spins, which its twin shows.

use crate::netpoll::record::{Direction, ERROR, IoRecord, READABLE, ReadyEvent};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;
use std::sync::Arc;
use std::task::{Wake, Waker};

/// A waker that records that it was woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn loom_netpoll_an_edge_during_a_would_block_is_never_lost() {
    loom::model(|| {
        let rec = Arc::new(IoRecord::new());
        // The socket's receive buffer, as the kernel sees it.
        let data = Arc::new(AtomicBool::new(false));
        // An earlier edge, whose data the task already read: its next read will block.
        rec.set_ready(READABLE, &mut Vec::new());
        let (rec2, data2) = (rec.clone(), data.clone());
        let poller = thread::spawn(move || {
            // The peer writes, then the poller reports the edge and wakes the waiters.
            data2.store(true, Ordering::Release);
            let mut wake = Vec::new();
            rec2.set_ready(READABLE, &mut wake);
            wake.into_iter().for_each(Waker::wake);
        });
        let woken = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(woken.clone());
        // The task: `poll_io` — read while ready; on `WouldBlock` clear that readiness; when
        // not ready, register and re-read before sleeping (`poll_ready`).
        let mut slept = false;
        loop {
            let Some(event) = rec.ready(Direction::Read) else {
                rec.register(Direction::Read, &waker);
                if rec.ready(Direction::Read).is_some() {
                    continue;
                }
                slept = true;
                break;
            };
            if data.load(Ordering::Acquire) {
                break; // the read succeeded
            }
            rec.clear(event); // WouldBlock
        }
        poller.join().unwrap();
        if slept {
            assert!(
                woken.0.load(Ordering::SeqCst),
                "lost edge: the task sleeps with data in the socket and nobody to wake it"
            );
        }
    });
}

/// One run of the error-edge model; `clear` is what a `WouldBlock` clears.
fn error_edge_then_would_block(clear: fn(&IoRecord, ReadyEvent)) {
    /// More `WouldBlock`s than edges (the error edge and the data's) means a spin.
    const MAX_WOULD_BLOCKS: usize = 2;
    loom::model(move || {
        let rec = Arc::new(IoRecord::new());
        let data = Arc::new(AtomicBool::new(false));
        // An error edge; the read it woke returned the error (ECONNREFUSED, say).
        rec.set_ready(READABLE | ERROR, &mut Vec::new());
        let (rec2, data2) = (rec.clone(), data.clone());
        let poller = thread::spawn(move || {
            data2.store(true, Ordering::Release);
            let mut wake = Vec::new();
            rec2.set_ready(READABLE, &mut wake);
            wake.into_iter().for_each(Waker::wake);
        });
        let woken = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(woken.clone());
        let (mut would_blocks, mut slept) = (0, false);
        loop {
            let Some(event) = rec.ready(Direction::Read) else {
                rec.register(Direction::Read, &waker);
                if rec.ready(Direction::Read).is_some() {
                    continue;
                }
                slept = true;
                break;
            };
            if data.load(Ordering::Acquire) {
                break;
            }
            would_blocks += 1;
            assert!(
                would_blocks <= MAX_WOULD_BLOCKS,
                "spin: ready, WouldBlock, still ready, with nothing to read"
            );
            clear(&rec, event);
        }
        poller.join().unwrap();
        if slept {
            assert!(woken.0.load(Ordering::SeqCst), "lost edge after an error");
        }
    });
}

#[test]
fn loom_netpoll_an_error_edge_never_makes_a_read_spin() {
    error_edge_then_would_block(IoRecord::clear);
}

/// The model can fail: a `WouldBlock` that clears only the readable bit (the old clear, which
/// is now the short-read clear) leaves the error set, and the read spins.
#[test]
#[should_panic(expected = "spin")]
fn loom_netpoll_an_error_kept_after_would_block_spins() {
    error_edge_then_would_block(IoRecord::clear_drained);
}
