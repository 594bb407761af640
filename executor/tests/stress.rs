//! Stress: a million wakes from foreign threads, and tasks waking each other across Ps. Every
//! task must be polled to completion exactly once, never by two threads at once, and its output
//! must reach its `JoinHandle` exactly once.
//!
//! Sized to stay within a few seconds per test in a debug build on 2 cores.

mod common;

use common::watchdog;
use gosched_executor::runtime::Builder;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Tasks woken by the foreign threads.
const TASKS: usize = 1_000;
/// Foreign waking threads.
const WAKERS: usize = 4;
/// Wakes per foreign thread.
const WAKES_PER_THREAD: usize = 250_000;

/// Shared between one task and the threads that wake it.
#[derive(Default)]
struct Slot {
    /// The waker of the task's last poll.
    waker: Mutex<Option<Waker>>,
    /// Set by the test: the next poll completes.
    stop: AtomicBool,
    /// Set while the task is being polled: catches two threads polling it at once.
    in_poll: AtomicBool,
    polls: AtomicU64,
    completions: AtomicUsize,
}

/// Pending until `stop`, registering its waker each poll.
struct Wakeable {
    index: usize,
    slot: Arc<Slot>,
    registered: Arc<AtomicUsize>,
    done: bool,
}

impl Future for Wakeable {
    type Output = usize;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        assert!(!self.done, "task {} polled after it returned Ready", self.index);
        let slot = self.slot.clone();
        assert!(
            !slot.in_poll.swap(true, Ordering::SeqCst),
            "task {} polled by two threads at once",
            self.index
        );
        let first = slot.polls.fetch_add(1, Ordering::SeqCst) == 0;
        let out = if slot.stop.load(Ordering::SeqCst) {
            slot.completions.fetch_add(1, Ordering::SeqCst);
            self.done = true;
            Poll::Ready(self.index)
        } else {
            let mut w = slot.waker.lock().unwrap();
            match &*w {
                Some(old) if old.will_wake(cx.waker()) => {}
                _ => *w = Some(cx.waker().clone()),
            }
            drop(w);
            if first {
                self.registered.fetch_add(1, Ordering::SeqCst);
            }
            Poll::Pending
        };
        slot.in_poll.store(false, Ordering::SeqCst);
        out
    }
}

#[test]
fn a_million_foreign_wakes_complete_every_task_exactly_once() {
    let _w = watchdog("foreign_wakes", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let registered = Arc::new(AtomicUsize::new(0));
    let slots: Arc<Vec<Arc<Slot>>> = Arc::new((0..TASKS).map(|_| Arc::default()).collect());
    let handles: Vec<_> = (0..TASKS)
        .map(|index| {
            rt.spawn(Wakeable {
                index,
                slot: slots[index].clone(),
                registered: registered.clone(),
                done: false,
            })
        })
        .collect();
    while registered.load(Ordering::SeqCst) < TASKS {
        std::thread::yield_now();
    }

    let threads: Vec<_> = (0..WAKERS)
        .map(|t| {
            let slots = slots.clone();
            std::thread::spawn(move || {
                // A different stride per thread, so threads hit the same task at different times.
                let stride = [1, 7, 13, 31][t];
                let mut j = t;
                for k in 0..WAKES_PER_THREAD {
                    j = (j + stride) % TASKS;
                    let waker = slots[j].waker.lock().unwrap().clone().expect("registered");
                    if k % 2 == 0 {
                        waker.wake();
                    } else {
                        waker.wake_by_ref();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }

    for slot in slots.iter() {
        slot.stop.store(true, Ordering::SeqCst);
        let waker = slot.waker.lock().unwrap().clone().unwrap();
        waker.wake();
    }
    let outputs: Vec<usize> = rt.block_on(async {
        let mut out = Vec::with_capacity(TASKS);
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    });
    assert_eq!(outputs, (0..TASKS).collect::<Vec<_>>());
    let polls: u64 = slots.iter().map(|s| s.polls.load(Ordering::SeqCst)).sum();
    for (i, slot) in slots.iter().enumerate() {
        assert_eq!(slot.completions.load(Ordering::SeqCst), 1, "task {i}");
        assert!(slot.polls.load(Ordering::SeqCst) >= 2, "task {i}");
    }
    assert!(polls >= 2 * TASKS as u64, "{polls}");

    // Wakers that outlive their task: waking a completed task does nothing.
    for slot in slots.iter() {
        let waker = slot.waker.lock().unwrap().take().unwrap();
        waker.wake_by_ref();
        #[allow(clippy::waker_clone_wake)] // on purpose: a wake by value of a clone
        waker.clone().wake();
        drop(waker);
    }
    assert_eq!(rt.metrics().live_tasks, 0);
    let total: usize = slots.iter().map(|s| s.completions.load(Ordering::SeqCst)).sum();
    assert_eq!(total, TASKS);
}

/// A counting semaphore with one waiter: the ring's link between neighbours.
#[derive(Default)]
struct Mailbox {
    tokens: AtomicU64,
    waker: Mutex<Option<Waker>>,
}

impl Mailbox {
    fn send(&self) {
        self.tokens.fetch_add(1, Ordering::SeqCst);
        let waker = self.waker.lock().unwrap().take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn recv(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            loop {
                let n = self.tokens.load(Ordering::SeqCst);
                if n == 0 {
                    break;
                }
                if self
                    .tokens
                    .compare_exchange(n, n - 1, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
                {
                    return Poll::Ready(());
                }
            }
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            // Re-check after registering, so a send between the load and the store is not lost.
            if self.tokens.load(Ordering::SeqCst) > 0 {
                cx.waker().wake_by_ref();
            }
            Poll::Pending
        })
    }
}

#[test]
fn tasks_waking_each_other_across_ps_run_every_round() {
    const RING: usize = 256;
    const ROUNDS: u64 = 1_000;
    const TOKENS: usize = 32;
    let _w = watchdog("ring_wakes", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(4).build().unwrap();
    let boxes: Arc<Vec<Mailbox>> = Arc::new((0..RING).map(|_| Mailbox::default()).collect());
    for i in 0..TOKENS {
        boxes[i * (RING / TOKENS)].tokens.fetch_add(1, Ordering::SeqCst);
    }
    let completions = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..RING)
        .map(|i| {
            let boxes = boxes.clone();
            let completions = completions.clone();
            rt.spawn(async move {
                for _ in 0..ROUNDS {
                    boxes[i].recv().await;
                    boxes[(i + 1) % RING].send();
                }
                completions.fetch_add(1, Ordering::SeqCst);
                i
            })
        })
        .collect();
    let outputs: Vec<usize> = rt.block_on(async {
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    });
    assert_eq!(outputs, (0..RING).collect::<Vec<_>>());
    assert_eq!(completions.load(Ordering::SeqCst), RING);
    // Tokens are conserved: each task took ROUNDS and passed ROUNDS on.
    let left: u64 = boxes.iter().map(|b| b.tokens.load(Ordering::SeqCst)).sum();
    assert_eq!(left, TOKENS as u64);
    let m = rt.metrics();
    // Most receives find a token without parking, so polls are fewer than rounds.
    assert!(m.polls_total >= RING as u64, "{m:?}");
    assert_eq!(m.live_tasks, 0, "{m:?}");
}

#[test]
fn wakes_racing_with_completion_and_handle_drop() {
    const ROUNDS: usize = 20_000;
    let _w = watchdog("wake_vs_complete", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let completions = Arc::new(AtomicUsize::new(0));
    let mut pending_handles = Vec::new();
    for round in 0..ROUNDS {
        // A task that completes on its second poll, woken from this thread while it may be
        // running, completing, or already freed; half the handles are dropped right away.
        let (tx, rx) = std::sync::mpsc::channel::<Waker>();
        let c = completions.clone();
        let mut polled = false;
        let h = rt.spawn(std::future::poll_fn(move |cx| {
            if polled {
                c.fetch_add(1, Ordering::SeqCst);
                return Poll::Ready(round);
            }
            polled = true;
            tx.send(cx.waker().clone()).unwrap();
            Poll::Pending
        }));
        let waker = rx.recv().unwrap();
        let extra = waker.clone();
        waker.wake();
        extra.wake_by_ref();
        if round % 2 == 0 {
            drop(h);
        } else {
            pending_handles.push((round, h));
        }
        drop(extra);
    }
    rt.block_on(async {
        for (round, h) in pending_handles {
            assert_eq!(h.await.unwrap(), round);
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while completions.load(Ordering::SeqCst) < ROUNDS && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(completions.load(Ordering::SeqCst), ROUNDS);
}
