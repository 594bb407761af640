//! The netpoller (Go's `netpoll`, DESIGN.md "Netpoller"): one edge-triggered `mio::Poll` per
//! runtime, a readiness record per source, and a `mio::Waker` to break a blocking poll.
//!
//! Who polls (the scheduler side is in `sched/netpoll.rs`; step numbers are the list "Where an M
//! looks for work" in `sched/mod.rs`):
//! - any M in `findRunnable`, non-blocking, every 61st poll of that M (step 2) and when its own
//!   queues and the global queue are empty (step 5), unless an M is blocked in the poller;
//! - one M that found nothing at all, blocking until the nearest timer, only while every P is
//!   idle (or sysmon is off) (step 8);
//! - sysmon, if nobody polled for 1 ms.
//!
//! Tokens name a slot of the slab plus the slot's generation, so an event for a source that
//! was deregistered (and whose slot was reused) is recognised as stale and dropped.

pub(crate) mod record;
mod registration;

pub use record::{Direction, ReadyEvent};
pub use registration::Registration;

use record::{ERROR, IoRecord, READ_CLOSED, READABLE, SHUTDOWN, WRITABLE, WRITE_CLOSED};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::Duration;

/// The token of the poll-break waker.
const WAKE_TOKEN: mio::Token = mio::Token(usize::MAX);
/// Events read per `epoll_wait`.
const EVENTS_CAPACITY: usize = 1024;
/// Low bits of a token: the slab index; the generation sits above.
const INDEX_BITS: u32 = if usize::BITS >= 64 { 32 } else { 20 };
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// `poll_until` when nobody is blocked in the poller.
pub(crate) const NOT_POLLING: u64 = 0;

struct Slot {
    generation: usize,
    record: Option<Arc<IoRecord>>,
}

#[derive(Default)]
struct Slab {
    slots: Vec<Slot>,
    free: Vec<usize>,
}

struct PollState {
    poll: mio::Poll,
    events: mio::Events,
}

/// # Fields
/// - `state`: the `mio::Poll`; whoever polls holds the lock (non-blocking pollers only try it).
/// - `registry`: registers sources without the lock.
/// - `slab`: token → record; locked to register, release, and once per batch of events.
/// - `sources`: registered sources (Go's `netpollAnyWaiters`, coarser).
/// - `blocking`: an M is in the blocking poll (Go's `sched.lastpoll == 0`). Taken by CAS.
/// - `poll_until`: when that poll times out by itself, in ns since the runtime started
///   (`u64::MAX`: never); a timer added before it breaks the poll.
/// - `last_poll`: when the poller last ran (`clock::precise_now_ns`), for sysmon.
pub(crate) struct Poller {
    state: Mutex<PollState>,
    registry: mio::Registry,
    waker: mio::Waker,
    slab: Mutex<Slab>,
    sources: AtomicUsize,
    pub(crate) blocking: AtomicBool,
    pub(crate) poll_until: AtomicU64,
    pub(crate) last_poll: AtomicU64,
}

impl Poller {
    pub(crate) fn new() -> io::Result<Poller> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKE_TOKEN)?;
        Ok(Poller {
            state: Mutex::new(PollState {
                poll,
                events: mio::Events::with_capacity(EVENTS_CAPACITY),
            }),
            registry,
            waker,
            slab: Mutex::new(Slab::default()),
            sources: AtomicUsize::new(0),
            blocking: AtomicBool::new(false),
            poll_until: AtomicU64::new(NOT_POLLING),
            last_poll: AtomicU64::new(0),
        })
    }

    /// Whether any source is registered (else a non-blocking poll cannot find anything).
    pub(crate) fn has_sources(&self) -> bool {
        self.sources.load(Ordering::Relaxed) != 0
    }

    fn register(
        &self,
        source: &mut impl mio::event::Source,
        interest: mio::Interest,
    ) -> io::Result<(Arc<IoRecord>, mio::Token)> {
        let record = Arc::new(IoRecord::new());
        let token = {
            let mut slab = self.slab.lock().unwrap_or_else(|e| e.into_inner());
            let index = match slab.free.pop() {
                Some(i) => i,
                None => {
                    if slab.slots.len() > INDEX_MASK {
                        return Err(io::Error::other("gosched: too many sockets registered"));
                    }
                    slab.slots.push(Slot {
                        generation: 0,
                        record: None,
                    });
                    slab.slots.len() - 1
                }
            };
            let slot = &mut slab.slots[index];
            slot.record = Some(record.clone());
            mio::Token((slot.generation << INDEX_BITS) | index)
        };
        if let Err(e) = self.registry.register(source, token, interest) {
            self.free_slot(token);
            return Err(e);
        }
        self.sources.fetch_add(1, Ordering::Relaxed);
        Ok((record, token))
    }

    fn deregister(&self, source: &mut impl mio::event::Source) -> io::Result<()> {
        self.registry.deregister(source)
    }

    /// The registration is dropped: free its slot and wake anyone still waiting on it (with an
    /// error: the readiness says `SHUTDOWN`).
    fn release(&self, token: mio::Token, record: &IoRecord) {
        self.free_slot(token);
        self.sources.fetch_sub(1, Ordering::Relaxed);
        let mut wake = Vec::new();
        record.set_ready(SHUTDOWN, &mut wake);
        wake.into_iter().for_each(Waker::wake);
    }

    fn free_slot(&self, token: mio::Token) {
        let index = token.0 & INDEX_MASK;
        let mut slab = self.slab.lock().unwrap_or_else(|e| e.into_inner());
        let slot = &mut slab.slots[index];
        slot.record = None;
        // The next registration of this slot gets a new generation: events for this one are
        // stale from now on.
        slot.generation = (slot.generation + 1) & (usize::MAX >> INDEX_BITS);
        slab.free.push(index);
    }

    /// Polls once: `timeout` `Some(ZERO)` does not block, `None` blocks until an event or a
    /// break. Wakes every task whose source became ready (the caller chooses where the wakes
    /// land by its thread's routing mode). Returns the number of tasks woken, or `None` if
    /// another thread holds the poller (only when `block` is false).
    pub(crate) fn poll(&self, timeout: Option<Duration>, block: bool) -> Option<usize> {
        let mut state = if block {
            self.state.lock().unwrap_or_else(|e| e.into_inner())
        } else {
            match self.state.try_lock() {
                Ok(s) => s,
                Err(std::sync::TryLockError::WouldBlock) => return None,
                Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            }
        };
        let PollState { poll, events } = &mut *state;
        if let Err(e) = poll.poll(events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                eprintln!("gosched: netpoll failed: {e}");
            }
        }
        self.last_poll
            .store(crate::clock::precise_now_ns(), Ordering::Relaxed);
        let mut wake = Vec::new();
        {
            let slab = self.slab.lock().unwrap_or_else(|e| e.into_inner());
            for event in events.iter() {
                let token = event.token();
                if token == WAKE_TOKEN {
                    continue;
                }
                let Some(slot) = slab.slots.get(token.0 & INDEX_MASK) else {
                    continue;
                };
                if slot.generation != token.0 >> INDEX_BITS {
                    continue;
                }
                let Some(record) = &slot.record else { continue };
                record.set_ready(bits_of(event), &mut wake);
            }
        }
        drop(state);
        let n = wake.len();
        // Woken outside every lock: a wake may drop the last reference to a task, whose future
        // may drop a registration, which takes the slab lock.
        wake.into_iter().for_each(Waker::wake);
        Some(n)
    }

    /// Go's `netpollBreak`: makes a blocking poll return now.
    pub(crate) fn break_poll(&self) {
        if let Err(e) = self.waker.wake() {
            eprintln!("gosched: cannot break the netpoller: {e}");
        }
    }

    /// Shutdown: every waiting task is woken with an error.
    pub(crate) fn shutdown(&self) {
        let records: Vec<Arc<IoRecord>> = {
            let slab = self.slab.lock().unwrap_or_else(|e| e.into_inner());
            slab.slots.iter().filter_map(|s| s.record.clone()).collect()
        };
        let mut wake = Vec::new();
        for r in &records {
            r.set_ready(SHUTDOWN, &mut wake);
        }
        wake.into_iter().for_each(Waker::wake);
        self.break_poll();
    }
}

/// The readiness bits a mio event carries.
fn bits_of(event: &mio::event::Event) -> u64 {
    let mut bits = 0;
    if event.is_readable() {
        bits |= READABLE;
    }
    if event.is_writable() {
        bits |= WRITABLE;
    }
    if event.is_read_closed() {
        bits |= READ_CLOSED;
    }
    if event.is_write_closed() {
        bits |= WRITE_CLOSED;
    }
    if event.is_error() {
        bits |= ERROR;
    }
    bits
}
