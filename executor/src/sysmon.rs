//! sysmon: the monitor thread, without a P (Go's `sysmon`).
//!
//! Each round it looks at every P: a P whose `schedtick` has not moved for `preempt_slice` is
//! running one time slice too long (a task that never yields, or a ping-pong pair inheriting the
//! slice through `runnext`), so sysmon sets the P's `preempt` flag (the worker then skips
//! `runnext` once) and the M's (the task's budget reads zero). It also prints the schedtrace
//! line when asked.
//!
//! Sleep: 20 µs, doubling after 50 rounds without anything to do, up to 10 ms (Go's values).

use crate::loom::Arc;
use crate::loom::atomic::Ordering;
use crate::sched::Shared;
use crate::sched::p::PStatus;
use std::io;
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Go's sysmon: first sleep.
const MIN_DELAY: Duration = Duration::from_micros(20);
/// Go's sysmon: longest sleep.
const MAX_DELAY: Duration = Duration::from_millis(10);
/// Go's sysmon: idle rounds before the sleep starts doubling.
const IDLE_ROUNDS_BEFORE_BACKOFF: u32 = 50;

/// The running monitor; `stop` ends and joins it.
pub(crate) struct Sysmon {
    stop: std::sync::Arc<(Mutex<bool>, Condvar)>,
    thread: thread::JoinHandle<()>,
}

/// What sysmon remembers of one P between rounds (Go's `sysmontick`).
#[derive(Clone, Copy)]
struct PWatch {
    schedtick: u32,
    since: Instant,
}

impl Sysmon {
    pub(crate) fn start(shared: Arc<Shared>) -> io::Result<Sysmon> {
        let stop = std::sync::Arc::new((Mutex::new(false), Condvar::new()));
        let stop2 = stop.clone();
        let thread = thread::Builder::new()
            .name("gosched-sysmon".into())
            .spawn(move || run(&shared, &stop2))?;
        Ok(Sysmon { stop, thread })
    }

    pub(crate) fn stop(self) {
        *self.stop.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.stop.1.notify_one();
        let _ = self.thread.join();
    }
}

fn run(shared: &Shared, stop: &(Mutex<bool>, Condvar)) {
    let now = Instant::now();
    let mut watch = vec![
        PWatch {
            schedtick: 0,
            since: now
        };
        shared.ps.len()
    ];
    let mut delay = MIN_DELAY;
    let mut idle_rounds = 0u32;
    let mut next_trace = shared.config.schedtrace.map(|d| now + d);
    loop {
        {
            let stopped = stop.0.lock().unwrap_or_else(|e| e.into_inner());
            if *stopped {
                return;
            }
            let (stopped, _) = stop
                .1
                .wait_timeout(stopped, delay)
                .unwrap_or_else(|e| e.into_inner());
            if *stopped {
                return;
            }
        }
        let now = Instant::now();
        let acted = shared.config.sysmon
            && (retake(shared, &mut watch, now) | crate::sched::netpoll::sysmon_poll(shared));
        if let Some(at) = next_trace.filter(|at| now >= *at) {
            crate::trace::schedtrace(shared, now);
            next_trace = shared.config.schedtrace.map(|d| at.max(now - d) + d);
        }
        if acted {
            idle_rounds = 0;
            delay = MIN_DELAY;
        } else {
            idle_rounds += 1;
            if idle_rounds > IDLE_ROUNDS_BEFORE_BACKOFF {
                delay = (delay * 2).min(MAX_DELAY);
            }
        }
        if let Some(at) = next_trace {
            delay = delay.min(at.saturating_duration_since(now).max(MIN_DELAY));
        }
    }
}

/// Go's `retake`, the preemption half: flags Ps whose slice ran out. Returns whether it did.
fn retake(shared: &Shared, watch: &mut [PWatch], now: Instant) -> bool {
    let slice = shared.config.preempt_slice;
    let mut acted = false;
    for (p, w) in shared.ps.iter().zip(watch.iter_mut()) {
        let status = p.status();
        if status == PStatus::Idle {
            continue;
        }
        let tick = p.schedtick();
        if tick != w.schedtick {
            *w = PWatch {
                schedtick: tick,
                since: now,
            };
            continue;
        }
        if now.duration_since(w.since) < slice {
            continue;
        }
        // One slice is over: ask for a new one (Go's `preemptone`).
        p.preempt.store(true, Ordering::Relaxed);
        if let (PStatus::InPoll(_), Some(m)) = (status, p.m()) {
            m.preempt.store(true, Ordering::Relaxed);
        }
        w.since = now;
        acted = true;
    }
    acted
}
