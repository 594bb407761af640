//! The blocking pool's queue and thread accounting, generic over the job so that the loom model
//! (`tests/loom_blocking.rs`) runs this very code with plain integers for jobs.
//!
//! # The rule
//! A thread is counted in `idle` exactly while it waits on `cv`: it adds itself just before the
//! wait and takes itself off just after, whatever woke it. A submitter that wants a waiting
//! thread adds one to `notified` (a wake-up that some waiter has yet to consume) and notifies;
//! the next waiter to wake, for whatever reason, consumes one. So `notified <= idle` always,
//! and `idle - notified` is the number of waiters nobody has asked for yet: a submitter
//! notifies only while that is positive, and starts a thread otherwise (below the cap).
//!
//! Why no job is ever stranded: every thread that wakes looks at the queue before it waits
//! again or exits, and a thread exits only when it finds the queue empty. A notification may
//! reach a thread that another one beat to the job, or nobody at all (every counted waiter was
//! already waking): either way some counted waiter is about to look at the queue.
//!
//! The earlier scheme let the submitter take the woken thread off `idle` and the woken thread
//! take itself off again when it found the queue empty (another thread took the job first, or
//! the wake-up was spurious): `idle` wrapped, and the pool then neither notified nor started a
//! thread. `Pool::old_double_count` keeps that scheme for the loom model's broken twin.
//!
//! # Fields
//! `synced` (under its mutex) holds the queue and every count; `cv` is where idle threads
//! wait, `gone` where shutdown waits for them to exit; the rest is fixed at build.

use crate::loom::{Condvar, Mutex, MutexGuard};
use std::collections::VecDeque;
use std::time::Duration;

pub(crate) struct Pool<T> {
    synced: Mutex<Synced<T>>,
    cv: Condvar,
    /// Where `wait_for_idle_threads` waits for `thread_gone` after shutdown.
    gone: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    /// The loom model's broken twin: the submitter takes the woken thread off `idle` and the
    /// woken thread takes itself off again when the queue is empty. Always false outside it.
    old_double_count: bool,
}

struct Synced<T> {
    queue: VecDeque<T>,
    /// Threads started and not yet gone (`thread_gone`): the cap counts these.
    threads: usize,
    /// Threads waiting on `cv` (from just before the wait to just after it).
    idle: usize,
    /// Wake-ups asked for and not yet consumed by a waking thread; never more than `idle`.
    notified: usize,
    /// Threads running a job.
    running: usize,
    shutdown: bool,
}

/// What `Pool::submit` did with a job.
#[must_use]
pub(crate) enum Submit<T> {
    /// Queued; an idle thread was asked to take it, or every thread is busy and will.
    Queued,
    /// Queued, and the caller must start a thread (already counted; on failure call
    /// `start_failed`).
    StartThread,
    /// The pool is shut down: the job is handed back.
    Rejected(T),
}

impl<T> Pool<T> {
    pub(crate) fn new(max_threads: usize, keep_alive: Duration) -> Pool<T> {
        Pool {
            synced: Mutex::new(Synced {
                queue: VecDeque::new(),
                threads: 0,
                idle: 0,
                notified: 0,
                running: 0,
                shutdown: false,
            }),
            cv: Condvar::new(),
            gone: Condvar::new(),
            max_threads,
            keep_alive,
            old_double_count: false,
        }
    }

    /// The broken twin of the loom model (see the module doc).
    #[cfg(all(loom, test))]
    pub(crate) fn with_old_double_count(max_threads: usize) -> Pool<T> {
        Pool {
            old_double_count: true,
            ..Pool::new(max_threads, Duration::from_secs(1))
        }
    }

    fn lock(&self) -> MutexGuard<'_, Synced<T>> {
        self.synced.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `job` and asks a waiting thread for it, or says to start one.
    pub(crate) fn submit(&self, job: T) -> Submit<T> {
        let mut s = self.lock();
        if s.shutdown {
            return Submit::Rejected(job);
        }
        s.queue.push_back(job);
        if self.old_double_count && s.idle > 0 {
            s.idle -= 1;
        } else if s.idle > s.notified {
            s.notified += 1;
        } else if s.threads < self.max_threads {
            s.threads += 1;
            return Submit::StartThread;
        } else {
            return Submit::Queued;
        }
        drop(s);
        self.cv.notify_one();
        Submit::Queued
    }

    /// Undoes `Submit::StartThread`'s count when the thread could not be started.
    pub(crate) fn start_failed(&self) {
        self.thread_gone();
    }

    /// A pool thread's life: runs queued jobs with `run`, waits up to the keep-alive for more,
    /// returns when it waited that long for nothing or the pool shut down. The caller then
    /// lets go of what it holds and calls `thread_gone`.
    pub(crate) fn run_thread(&self, mut run: impl FnMut(T)) {
        let mut s = self.lock();
        loop {
            if let Some(job) = s.queue.pop_front() {
                s.running += 1;
                drop(s);
                run(job);
                s = self.lock();
                s.running -= 1;
                continue;
            }
            if s.shutdown {
                return;
            }
            s.idle += 1;
            let (guard, timeout) = self
                .cv
                .wait_timeout(s, self.keep_alive)
                .unwrap_or_else(|e| e.into_inner());
            s = guard;
            self.woke(&mut s);
            if timeout.timed_out() && s.queue.is_empty() {
                return;
            }
        }
    }

    /// Takes a thread that just woke (notified, timed out or spuriously) off `idle` and
    /// consumes one wake-up if any is pending.
    fn woke(&self, s: &mut Synced<T>) {
        if self.old_double_count {
            if s.queue.is_empty() {
                s.idle -= 1;
            }
            return;
        }
        s.idle -= 1;
        s.notified = s.notified.saturating_sub(1);
        debug_assert!(s.notified <= s.idle, "a wake-up counted for no waiter");
    }

    /// A thread that returned from `run_thread` has let go of everything it held.
    pub(crate) fn thread_gone(&self) {
        let mut s = self.lock();
        s.threads -= 1;
        let shutdown = s.shutdown;
        drop(s);
        if shutdown {
            self.gone.notify_all();
        }
    }

    /// Marks the pool shut down, wakes every waiting thread and hands back the queued jobs.
    pub(crate) fn shutdown(&self) -> VecDeque<T> {
        let queued = {
            let mut s = self.lock();
            s.shutdown = true;
            std::mem::take(&mut s.queue)
        };
        self.cv.notify_all();
        queued
    }

    /// After `shutdown`: waits until every thread that is not running a job is gone (idle ones
    /// exit at once), or until `deadline`.
    pub(crate) fn wait_for_idle_threads(&self, deadline: Option<std::time::Instant>) {
        let mut s = self.lock();
        while s.threads > s.running {
            let wait = match deadline {
                Some(d) => match d.checked_duration_since(std::time::Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return,
                },
                None => self.keep_alive.max(Duration::from_millis(10)),
            };
            s = self
                .gone
                .wait_timeout(s, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// `(threads alive, threads waiting)`.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let s = self.lock();
        (s.threads, s.idle)
    }

    /// `(threads, idle, notified, running, queued)`, for the loom model's final check.
    #[cfg(all(loom, test))]
    pub(crate) fn all_counts(&self) -> (usize, usize, usize, usize, usize) {
        let s = self.lock();
        (s.threads, s.idle, s.notified, s.running, s.queue.len())
    }

    /// Wakes every waiting thread as if spuriously (the loom model's stand-in for spurious
    /// wake-ups and timeouts, which loom does not produce).
    #[cfg(all(loom, test))]
    pub(crate) fn wake_all_spuriously(&self) {
        self.cv.notify_all();
    }
}
