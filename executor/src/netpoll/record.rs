//! A source's readiness record (Go's `pollDesc`): what the poller has seen of one socket, and
//! the tasks waiting for it.
//!
//! The readiness word holds the ready bits of both directions and a tick that counts events, so
//! an operation that saw `WouldBlock` clears only the readiness it acted on, never a newer event
//! that arrived meanwhile (the poller is edge-triggered: a lost edge is a hang). An error or
//! hang-up is readiness like the rest: the operation it makes ready reports it, and the first
//! `WouldBlock` after that clears it with the direction's readiness, so it never makes a later
//! operation spin (ready → `WouldBlock` → still ready). The loom model
//! `loom_netpoll` checks both halves: the tick-checked clear, and register-then-re-read.

use crate::loom::Mutex;
use crate::loom::atomic::{AtomicU64, Ordering};
use std::task::Waker;

/// The source can be read (or accepted from).
pub(crate) const READABLE: u64 = 1;
/// The source can be written.
pub(crate) const WRITABLE: u64 = 1 << 1;
/// The peer closed its write half: reads return 0 from now on.
pub(crate) const READ_CLOSED: u64 = 1 << 2;
/// The peer closed its read half (or the connection is gone): writes fail from now on.
pub(crate) const WRITE_CLOSED: u64 = 1 << 3;
/// The socket has a pending error; the next operation returns it.
pub(crate) const ERROR: u64 = 1 << 4;
/// The registration is gone (the socket was deregistered or the runtime shut down).
pub(crate) const SHUTDOWN: u64 = 1 << 5;
/// The tick sits above the flag bits.
const TICK_SHIFT: u32 = 16;
const FLAGS: u64 = (1 << TICK_SHIFT) - 1;

/// Which half of a socket an operation uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Reading, accepting, receiving.
    Read,
    /// Writing, connecting, sending.
    Write,
}

impl Direction {
    /// The bits that make this direction ready (a closed half and an error count: the next
    /// operation returns at once).
    pub(crate) fn mask(self) -> u64 {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR | SHUTDOWN,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR | SHUTDOWN,
        }
    }

    /// The bits an operation clears when it sees `WouldBlock`: the direction's readiness, and
    /// any error or hang-up seen with it. The kernel has just said there is nothing to report
    /// (an error was returned by an earlier operation, which took it), so keeping them would
    /// make every later operation of this direction ready → `WouldBlock` → ready forever. An
    /// error or hang-up that happens later raises a new event with a newer tick.
    fn clearable(self) -> u64 {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }

    /// The bits a short read or write clears (`Registration::poll_io_drained`): only the
    /// direction's readiness, since the operation returned data, not the kernel's "nothing".
    fn drained(self) -> u64 {
        match self {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        }
    }
}

/// Readiness seen by one `poll_ready`: the bits and the tick they were read at.
#[derive(Clone, Copy, Debug)]
pub struct ReadyEvent {
    pub(crate) tick: u64,
    pub(crate) bits: u64,
    pub(crate) dir: Direction,
}

impl ReadyEvent {
    /// Whether the peer closed the half this event is about.
    pub fn is_closed(&self) -> bool {
        let closed = match self.dir {
            Direction::Read => READ_CLOSED,
            Direction::Write => WRITE_CLOSED,
        };
        self.bits & closed != 0
    }
}

/// Tasks waiting on one direction. Usually one; a `&T` shared by several tasks (several
/// acceptors on one listener, say) may have more, and each of them must be woken.
#[derive(Default)]
struct Waiters {
    read: Vec<Waker>,
    write: Vec<Waker>,
}

/// # Fields
/// - `readiness`: flag bits and tick; set by the poller (`set_ready`), cleared by operations
///   (`clear`) with a CAS that checks the tick.
/// - `waiters`: taken by the poller after it set the bits; a task registers, then re-reads the
///   readiness, so an event between its read and its registration is never lost.
pub(crate) struct IoRecord {
    readiness: AtomicU64,
    waiters: Mutex<Waiters>,
}

impl IoRecord {
    pub(crate) fn new() -> IoRecord {
        IoRecord {
            readiness: AtomicU64::new(0),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// The readiness for `dir` now, if any.
    pub(crate) fn ready(&self, dir: Direction) -> Option<ReadyEvent> {
        // Acquire: pairs with the poller's AcqRel update, so the data the event announces is
        // visible (the kernel orders the socket itself; this orders our own flags).
        let word = self.readiness.load(Ordering::Acquire);
        (word & dir.mask() != 0).then_some(ReadyEvent {
            tick: word >> TICK_SHIFT,
            bits: word & FLAGS,
            dir,
        })
    }

    /// Registers `waker` for `dir`, replacing an earlier waker of the same task.
    pub(crate) fn register(&self, dir: Direction, waker: &Waker) {
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        let list = match dir {
            Direction::Read => &mut waiters.read,
            Direction::Write => &mut waiters.write,
        };
        if !list.iter().any(|w| w.will_wake(waker)) {
            list.push(waker.clone());
        }
    }

    /// The operation saw `WouldBlock` after `event`: clear that readiness (with any error or
    /// hang-up, see `Direction::clearable`) unless a newer event arrived since.
    pub(crate) fn clear(&self, event: ReadyEvent) {
        self.clear_bits(event, event.dir.clearable());
    }

    /// The operation drained the socket after `event` (a short read or write): clear the
    /// direction's readiness only, unless a newer event arrived since.
    pub(crate) fn clear_drained(&self, event: ReadyEvent) {
        self.clear_bits(event, event.dir.drained());
    }

    fn clear_bits(&self, event: ReadyEvent, clear: u64) {
        let _ = self
            .readiness
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                (word >> TICK_SHIFT == event.tick && word & clear != 0).then_some(word & !clear)
            });
    }

    /// The poller saw `bits`: set them, bump the tick, and move the wakers of every direction
    /// that became ready into `wake` (woken by the caller, outside any lock).
    pub(crate) fn set_ready(&self, bits: u64, wake: &mut Vec<Waker>) {
        let mut word = self.readiness.load(Ordering::Relaxed);
        loop {
            let tick = ((word >> TICK_SHIFT) + 1) & (u64::MAX >> TICK_SHIFT);
            let new = (tick << TICK_SHIFT) | (word & FLAGS) | bits;
            match self
                .readiness
                .compare_exchange_weak(word, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(actual) => word = actual,
            }
        }
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        if bits & Direction::Read.mask() != 0 {
            wake.append(&mut waiters.read);
        }
        if bits & Direction::Write.mask() != 0 {
            wake.append(&mut waiters.write);
        }
    }
}
