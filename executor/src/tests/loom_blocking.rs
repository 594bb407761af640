//! loom model of the blocking pool's accounting (blocking/pool.rs, "The rule"), on the real
//! `Pool`: a submitter queues jobs into a pool while its threads run, wait and wake; in the
//! second model another thread wakes every waiter at any moment (loom produces neither
//! timeouts nor spurious wake-ups; this stands in for both). Every job runs (a stranded job
//! deadlocks the model), and once the pool is shut down and its threads are gone every count
//! is back to zero (a wrapped `idle` panics on the way in a debug build).

use crate::blocking::{Pool, Submit};
use loom::sync::{Condvar, Mutex};
use loom::thread;
use std::sync::Arc;

/// Bounds the preemptions loom explores per execution (the models are too big otherwise);
/// the broken twin fails within it.
const PREEMPTIONS: usize = 3;

/// Jobs run so far, and where the submitter waits for all of them.
struct Done {
    count: Mutex<usize>,
    cv: Condvar,
}

fn pool_thread(pool: Arc<Pool<usize>>, done: Arc<Done>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        pool.run_thread(|_job| {
            *done.count.lock().unwrap() += 1;
            done.cv.notify_all();
        });
        pool.thread_gone();
    })
}

/// Submits `jobs` jobs, waits until all ran, shuts the pool down and checks the counts;
/// `spurious`: a thread wakes every waiter once, at any point.
fn bursts(pool: Pool<usize>, jobs: usize, spurious: bool) {
    let pool = Arc::new(pool);
    let done = Arc::new(Done {
        count: Mutex::new(0),
        cv: Condvar::new(),
    });
    let p = pool.clone();
    let waker = spurious.then(|| thread::spawn(move || p.wake_all_spuriously()));
    let mut threads = Vec::new();
    for job in 0..jobs {
        match pool.submit(job) {
            Submit::Queued => {}
            Submit::StartThread => threads.push(pool_thread(pool.clone(), done.clone())),
            Submit::Rejected(_) => unreachable!("the pool is not shut down"),
        }
    }
    let mut count = done.count.lock().unwrap();
    while *count < jobs {
        count = done.cv.wait(count).unwrap();
    }
    drop(count);
    assert!(pool.shutdown().is_empty(), "a job ran and is still queued");
    if let Some(waker) = waker {
        waker.join().unwrap();
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(pool.all_counts(), (0, 0, 0, 0, 0), "counts left behind");
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(PREEMPTIONS);
    b.check(f);
}

/// Three jobs, at most two threads: a thread that waits may be asked for a job that the other
/// thread, just done with its own, takes first.
#[test]
fn loom_blocking_pool_accounting() {
    model(|| bursts(Pool::new(2, std::time::Duration::from_secs(1)), 3, false));
}

/// Two jobs, one thread, and wake-ups nobody asked for.
#[test]
fn loom_blocking_pool_accounting_with_spurious_wake_ups() {
    model(|| bursts(Pool::new(1, std::time::Duration::from_secs(1)), 2, true));
}

/// The model can fail: the old scheme (the submitter and the woken thread both take the
/// thread off `idle`) wraps `idle` when a thread wakes to find its job taken by another.
#[test]
#[should_panic(expected = "overflow")]
fn loom_blocking_pool_accounting_with_the_old_double_count_wraps() {
    model(|| bursts(Pool::with_old_double_count(2), 3, false));
}
