//! sysmon's note (Go's `sysmonnote`): how sysmon sleeps, and the kicks that end a long sleep
//! early (Go's `sysmonwake`). Which kicks end which sleep is `SysmonNote::kick`'s table: a
//! sleep chosen while every P was idle (`QUIET`) ends when a P starts running or work is
//! queued globally; one chosen while Ms run and watch each other (`LAZY`) ends when an M saw a
//! P stuck, a P went idle leaving one running that may need sysmon, or work is queued globally
//! while no P is idle; a doze (`DOZE`: every P idle for a moment only, at most `DOZE_DELAY`)
//! ends when an M saw a P stuck (the Ms that start meanwhile watch each other) or for work
//! queued globally while no P is idle. The first kicker of a sleep marks it ended, so the others skip
//! the lock.

use super::KICKED_DELAY;
use std::sync::atomic::{AtomicU8, AtomicU64};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Wakes and stops sysmon; lives in `Shared` so the scheduler can kick it.
pub(crate) struct SysmonNote {
    state: Mutex<NoteState>,
    cv: Condvar,
    /// sysmon's sleep: `AWAKE` (or short), `QUIET` (long, every P idle), `DOZE` (every P idle
    /// for a moment) or `LAZY` (long, Ms running). Which kicks wake it depends on it (`Why`).
    deep: AtomicU8,
    /// Kicks that woke it (read by tests).
    notified: AtomicU64,
}

#[derive(Default)]
struct NoteState {
    stop: bool,
    kicked: bool,
    /// The kick came from an M that saw a P in one poll for `BLOCKED_RETAKE_AFTER`.
    stuck: bool,
}

/// `SysmonNote::deep`: awake, or in a sleep no kick cuts short (at most `KICKED_DELAY`).
const AWAKE: u8 = 0;
/// In a long sleep chosen while every P was idle (`quiet_until`).
const QUIET: u8 = 1;
/// In a long sleep chosen while Ms run and watch each other (`watch_from_m`).
const LAZY: u8 = 2;
/// In a doze: every P was idle, but one ran less than `QUIET_AFTER` ago.
const DOZE: u8 = 3;

/// Which kind of sleep sysmon chose (`SysmonNote::sleep`); it decides which kicks end it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// Every P idle for a while: until kicked (`QUIET`).
    Quiet,
    /// Every P idle for a moment: a short sleep (`DOZE`).
    Doze,
    /// Some P running (`LAZY` if long).
    Lazy,
}

/// What a kick reports (`SysmonNote::kick`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// A P started running (`take_idle_p`): ends a `QUIET` sleep.
    Started,
    /// Work was queued globally while no P is idle (every M may be stuck): ends any.
    Work,
    /// An M saw a P in one poll for `BLOCKED_RETAKE_AFTER` (`watch_from_m`): ends a `LAZY`
    /// sleep or a `DOZE`.
    Stuck,
    /// A P went idle, leaving one running that no other M watches now and that may need
    /// sysmon (`retake::left_alone`): ends a `LAZY` one.
    Lone,
}

/// Why sysmon woke before its sleep ran out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kick {
    /// Not kicked.
    None,
    /// A P started running, or work was queued globally while no P is idle.
    Work,
    /// An M saw a P in one poll for `BLOCKED_RETAKE_AFTER` (`watch_from_m`).
    Stuck,
}

impl SysmonNote {
    pub(crate) fn new() -> SysmonNote {
        SysmonNote {
            state: Mutex::new(NoteState::default()),
            cv: Condvar::new(),
            deep: AtomicU8::new(AWAKE),
            notified: AtomicU64::new(0),
        }
    }

    /// Wakes sysmon from a long sleep if `why` matters to that sleep (Go's `sysmonwake`).
    /// Called after the SeqCst change that `why` reports (`pidleget`/`pidleput` moved `npidle`,
    /// the global queue's push).
    pub(crate) fn kick(&self, why: Why) {
        // SeqCst: pairs with `sleep`'s store of `deep` and its SeqCst re-read (`woken`): either
        // this load sees the long sleep, or `sleep` sees the change and sleeps short.
        let deep = self.deep.load(std::sync::atomic::Ordering::SeqCst);
        let wakes = match deep {
            AWAKE => false,
            QUIET => matches!(why, Why::Started | Why::Work),
            DOZE => matches!(why, Why::Work | Why::Stuck),
            _ => !matches!(why, Why::Started),
        };
        // The first kicker of a sleep marks it ended, so that the Ms starting Ps meanwhile do
        // not each take the lock and signal (under load a P starts many times per sleep). A
        // `Stuck` kick that loses to another kind only loses its head start (`Kick::Stuck`):
        // sysmon then watches the poll from its own first look.
        if wakes
            && self
                .deep
                .compare_exchange(
                    deep,
                    AWAKE,
                    std::sync::atomic::Ordering::SeqCst,
                    std::sync::atomic::Ordering::Relaxed,
                )
                .is_ok()
        {
            self.notified.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            s.kicked = true;
            s.stuck |= why == Why::Stuck;
            drop(s);
            self.cv.notify_one();
        }
    }

    /// Sleeps `delay` (`None`: until kicked) or until kicked: why it woke early, `None` once
    /// stopped. A long sleep of `mode` is cut to `KICKED_DELAY` if what a kick reports
    /// happened meanwhile (`woken` re-reads it after `deep` is published, so a `kick` in
    /// between is never lost).
    pub(super) fn sleep(
        &self,
        delay: Option<Duration>,
        mode: Mode,
        woken: impl Fn() -> bool,
    ) -> Option<Kick> {
        let mut delay = delay;
        if delay.is_none_or(|d| d > KICKED_DELAY) {
            self.publish_long_sleep(mode);
            if woken() {
                delay = Some(KICKED_DELAY);
            }
        }
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while !s.stop && !s.kicked {
            match delay {
                Some(d) => {
                    s = self.cv.wait_timeout(s, d).unwrap_or_else(|e| e.into_inner()).0;
                    break;
                }
                None => s = self.cv.wait(s).unwrap_or_else(|e| e.into_inner()),
            }
        }
        let kick = match (std::mem::take(&mut s.kicked), std::mem::take(&mut s.stuck)) {
            (false, _) => Kick::None,
            (true, false) => Kick::Work,
            (true, true) => Kick::Stuck,
        };
        self.deep.store(AWAKE, std::sync::atomic::Ordering::Relaxed);
        (!s.stop).then_some(kick)
    }

    /// The first step of a long sleep of `mode`: from here on the kicks that matter to it
    /// wake sysmon (SeqCst: pairs with `kick`'s load).
    pub(crate) fn publish_long_sleep(&self, mode: Mode) {
        let deep = match mode {
            Mode::Quiet => QUIET,
            Mode::Doze => DOZE,
            Mode::Lazy => LAZY,
        };
        self.deep.store(deep, std::sync::atomic::Ordering::SeqCst);
    }

    /// Kicks that woke sysmon so far.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn notified(&self) -> u64 {
        self.notified.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether sysmon is in a long sleep or a doze, which the Ms that run cover by watching
    /// each other (`watch_from_m`).
    pub(super) fn is_lazy(&self) -> bool {
        matches!(self.deep.load(std::sync::atomic::Ordering::Relaxed), LAZY | DOZE)
    }

    pub(super) fn stop(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).stop = true;
        self.cv.notify_one();
    }
}
