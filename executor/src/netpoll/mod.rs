//! The netpoller (Go's `netpoll`): one edge-triggered `mio::Poll` per runtime, a readiness
//! record per source, and a `mio::Waker` to break a blocking poll.
//!
//! Who polls (the scheduler's side is `sched/poller.rs`; "find step N" is the list "Where
//! an M looks for work" in `sched/mod.rs`):
//! - any M in `findRunnable`, non-blocking, every 61st poll of that M (find step 2) and when
//!   its own queues and the global queue are empty (find step 5), unless an M is blocked in the
//!   poller;
//! - one M that found nothing at all, blocking until the nearest timer, only while every P is
//!   idle (or sysmon is off) (find step 8); a timer added meanwhile breaks its poll if it is
//!   earlier (the handshake on `Timekeeper::poll_until`, time/deadlines.rs);
//! - sysmon, if nobody polled for 1 ms.
//!
//! Tokens name a slot of the slab plus the slot's generation, so an event for a source that
//! was deregistered (and whose slot was reused) is recognised as stale and dropped.

mod interest;
pub(crate) mod record;
mod registration;
pub(crate) mod wake;

pub use interest::Interest;
pub use record::{Direction, ReadyEvent};
pub use registration::Registration;

use crate::loom::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use record::{ERROR, IoRecord, READ_CLOSED, READABLE, SHUTDOWN, WRITABLE, WRITE_CLOSED};
use std::io;
use std::sync::{Arc, Mutex, RwLock};
use std::task::Waker;
use std::time::Duration;

/// The token of the poll-break waker.
const WAKE_TOKEN: mio::Token = mio::Token(usize::MAX);
/// Events read per `epoll_wait`.
const EVENTS_CAPACITY: usize = 1024;
/// Low bits of a token: the slab index; the generation sits above.
const INDEX_BITS: u32 = if usize::BITS >= 64 { 32 } else { 20 };
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;

struct Slot {
    generation: usize,
    record: Option<Arc<IoRecord>>,
}

#[derive(Default)]
struct Slab {
    slots: Vec<Slot>,
    free: Vec<usize>,
    /// Set by `shutdown`.
    closed: bool,
}

struct PollState {
    /// `None` once the runtime shut down (the epoll fd is closed).
    poll: Option<mio::Poll>,
    events: mio::Events,
}

/// The poller's other two fds: a clone of the epoll fd to register with, and the eventfd that
/// breaks a blocking poll.
struct Fds {
    registry: mio::Registry,
    waker: mio::Waker,
}

/// # Fields
/// - `state`: the `mio::Poll`; whoever polls holds the lock (non-blocking pollers only try it).
/// - `fds`: registers sources and breaks polls; read-locked for each (a system call anyway),
///   write-locked once, by `close`.
/// - `slab`: token → record; locked to register, release, and once per batch of events. Its
///   `closed` flag is set at shutdown: no registration succeeds after it.
/// - `sources`: registered sources (Go's `netpollAnyWaiters`, coarser).
/// - `blocking`: an M is in the blocking poll (Go's `sched.lastpoll == 0`). Taken by CAS.
/// - `wake`: a break requested and not yet consumed by a blocking poll (wake.rs: a
///   non-blocking poll must not eat the break meant for the blocking one).
/// - `last_poll`: when the poller last ran (`monotonic::precise_now_ns`), for sysmon.
///
/// # Shutdown
/// `shutdown` closes the slab and wakes every waiting task with an error; `close`, once no M
/// is left to poll, closes the three fds, so a `Handle` that outlives its runtime does not
/// keep them open.
pub(crate) struct Poller {
    state: Mutex<PollState>,
    fds: RwLock<Option<Fds>>,
    slab: Mutex<Slab>,
    sources: AtomicUsize,
    pub(crate) blocking: AtomicBool,
    wake: wake::BreakSignal,
    pub(crate) last_poll: AtomicU64,
}

/// The error of I/O registered after the runtime shut down.
fn shut_down_error() -> io::Error {
    io::Error::other("gosched: cannot register the I/O source: its runtime has shut down")
}

impl Poller {
    pub(crate) fn new() -> io::Result<Poller> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKE_TOKEN)?;
        Ok(Poller {
            state: Mutex::new(PollState {
                poll: Some(poll),
                events: mio::Events::with_capacity(EVENTS_CAPACITY),
            }),
            fds: RwLock::new(Some(Fds { registry, waker })),
            slab: Mutex::new(Slab::default()),
            sources: AtomicUsize::new(0),
            blocking: AtomicBool::new(false),
            wake: wake::BreakSignal::new(),
            last_poll: AtomicU64::new(0),
        })
    }

    fn fds(&self) -> std::sync::RwLockReadGuard<'_, Option<Fds>> {
        self.fds.read().unwrap_or_else(|e| e.into_inner())
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
            if slab.closed {
                // Checked under the slab lock, which `shutdown` holds to set it: a record
                // inserted before is in the slab it then sweeps, so its waiters get the error.
                return Err(shut_down_error());
            }
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
        let registered = match &*self.fds() {
            Some(fds) => fds.registry.register(source, token, interest),
            None => Err(shut_down_error()),
        };
        if let Err(e) = registered {
            self.free_slot(token);
            return Err(e);
        }
        self.sources.fetch_add(1, Ordering::Relaxed);
        Ok((record, token))
    }

    /// After `close` the epoll fd is gone, and with it every registration: nothing to undo.
    fn deregister(&self, source: &mut impl mio::event::Source) -> io::Result<()> {
        match &*self.fds() {
            Some(fds) => fds.registry.deregister(source),
            None => Ok(()),
        }
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
        let Some(poll) = poll else {
            // Closed: the runtime is gone and so is every source.
            return Some(0);
        };
        // Step 2 of wake.rs: a break that a non-blocking poll consumed is still pending.
        let timeout = if block && self.wake.before_block() {
            Some(Duration::ZERO)
        } else {
            timeout
        };
        if let Err(e) = poll.poll(events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                eprintln!("gosched: netpoll failed: {e}");
            }
        }
        self.last_poll
            .store(crate::time::monotonic::precise_now_ns(), Ordering::Relaxed);
        let mut wake = Vec::new();
        {
            let slab = self.slab.lock().unwrap_or_else(|e| e.into_inner());
            for event in events.iter() {
                let token = event.token();
                if token == WAKE_TOKEN {
                    if block {
                        // Step 3 of wake.rs.
                        self.wake.woken();
                    }
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

    /// Go's `netpollBreak`: makes a blocking poll return now, or the next one at once if none
    /// is in progress (wake.rs).
    pub(crate) fn break_poll(&self) {
        if !self.wake.request() {
            // A break is outstanding; the blocking poll that consumes it has not begun.
            return;
        }
        if let Some(fds) = &*self.fds() {
            if let Err(e) = fds.waker.wake() {
                eprintln!("gosched: cannot break the netpoller: {e}");
            }
        }
    }

    /// Shutdown: no registration succeeds from now on, and every waiting task is woken with
    /// an error.
    pub(crate) fn shutdown(&self) {
        let records: Vec<Arc<IoRecord>> = {
            let mut slab = self.slab.lock().unwrap_or_else(|e| e.into_inner());
            slab.closed = true;
            slab.slots.iter().filter_map(|s| s.record.clone()).collect()
        };
        let mut wake = Vec::new();
        for r in &records {
            r.set_ready(SHUTDOWN, &mut wake);
        }
        wake.into_iter().for_each(Waker::wake);
        self.break_poll();
    }

    /// Closes the poller's fds. Called by the runtime's shutdown after its Ms were joined; if
    /// a thread left behind (`shutdown_timeout`) still holds the poll, its epoll fd closes
    /// with the runtime's last reference instead.
    pub(crate) fn close(&self) {
        *self.fds.write().unwrap_or_else(|e| e.into_inner()) = None;
        if let Ok(mut state) = self.state.try_lock() {
            state.poll = None;
        }
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
