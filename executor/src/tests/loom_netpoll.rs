//! loom model of a source's readiness record (netpoll/record.rs): an operation that saw
//! `WouldBlock` clears the readiness it acted on while the poller reports a new edge. The
//! poller is edge-triggered, so if the clear erased the new edge, or the task registered its
//! waker after the poller took the waiters without re-reading, the task would sleep forever.
//! (A `clear` that ignores the tick fails this model: checked by hand when it was written.)

use crate::netpoll::record::{Direction, IoRecord, READABLE};
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
