//! loom models of a P's run queue (`sched/runq.rs`): the owner's `put`/`get` and `runnext`
//! against thieves' `steal_into`. Under loom the ring holds 4, so a few puts overflow half of
//! it to the global queue (`put_slow`), racing the thief's CAS on `head`.
//!
//! Every model checks that each item put is delivered exactly once: to the owner, to a thief
//! (returned or copied into its own queue) or to the overflow queue.
//!
//! The main thread is each queue's owner (its `Local` view), thieves take the `Steal` view.

use crate::loom::Mutex;
use crate::sched::runq::{LOCAL_QUEUE_CAPACITY, Link, Local, Overflow, RunQueue};
use loom::thread;
use std::ptr::NonNull;
use std::sync::Arc;

/// An owned item: a boxed number, so a double delivery is a double free and a lost one a leak.
#[derive(Debug)]
pub(super) struct Item(pub(super) Box<usize>);

impl Link for Item {
    fn into_ptr(self) -> NonNull<()> {
        NonNull::from(Box::leak(self.0)).cast()
    }

    unsafe fn from_ptr(ptr: NonNull<()>) -> Self {
        // SAFETY: `ptr` came from `into_ptr` (a leaked `Box<usize>`), handed back once.
        Item(unsafe { Box::from_raw(ptr.cast::<usize>().as_ptr()) })
    }
}

/// The global queue stand-in.
struct Global(Mutex<Vec<Item>>);

impl Overflow<Item> for Global {
    fn push_batch(&self, batch: impl IntoIterator<Item = Item>) {
        self.0.lock().unwrap().extend(batch);
    }
}

impl Global {
    fn new() -> Arc<Global> {
        Arc::new(Global(Mutex::new(Vec::new())))
    }

    fn take(&self) -> Vec<usize> {
        self.0.lock().unwrap().drain(..).map(|i| *i.0).collect()
    }
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    // Unbounded: every model here explores all its interleavings in well under a second.
    // `LOOM_MAX_PREEMPTIONS=N` bounds it, should a model ever grow too large.
    loom::model::Builder::new().check(f);
}

/// The owner's view of `q`, for the model's owner thread.
fn owner(q: &RunQueue<Item>) -> Local<'_, Item> {
    // SAFETY: each model calls this only on the thread that owns `q` (the main thread for a
    // shared queue, the thief for its own `dst`), so each queue has one producer.
    unsafe { q.local() }
}

/// Everything a queue still holds, as numbers (the caller owns `q`).
fn drain(q: &Local<'_, Item>) -> Vec<usize> {
    q.drain().into_iter().map(|i| *i.0).collect()
}

/// A thief's take: what `steal_into` returned plus what it copied into its own queue.
fn steal(victim: &RunQueue<Item>, steal_runnext: bool) -> Vec<usize> {
    let dst = RunQueue::new();
    let dst = owner(&dst);
    let mut got: Vec<usize> = victim
        .steal()
        .steal_into(&dst, steal_runnext, false)
        .map(|i| *i.0)
        .into_iter()
        .collect();
    got.extend(drain(&dst));
    got
}

/// Asserts that `parts` together hold `0..n`, each exactly once.
fn assert_exactly_once(n: usize, parts: &[&[usize]]) {
    let mut all: Vec<usize> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    all.sort_unstable();
    assert_eq!(all, (0..n).collect::<Vec<_>>(), "delivered: {parts:?}");
}

#[test]
fn loom_runq_capacity_is_small() {
    assert_eq!(LOCAL_QUEUE_CAPACITY, 4);
}

#[test]
fn loom_runq_push_pop_vs_steal() {
    model(|| {
        let q = Arc::new(RunQueue::<Item>::new());
        let local = owner(&q);
        let global = Global::new();
        for i in 0..3 {
            local.put(Item(Box::new(i)), false, &*global);
        }
        let victim = q.clone();
        let thief = thread::spawn(move || steal(&victim, false));
        let mut owner = Vec::new();
        while let Some((item, inherit)) = local.get() {
            assert!(!inherit, "nothing was put in runnext");
            owner.push(*item.0);
        }
        let stolen = thief.join().unwrap();
        let rest = drain(&local);
        assert_exactly_once(3, &[&owner, &stolen, &rest, &global.take()]);
        // FIFO for the owner: what it popped is in order.
        assert!(owner.windows(2).all(|w| w[0] < w[1]), "{owner:?}");
    });
}

#[test]
fn loom_runq_overflow_to_global_vs_steal() {
    model(|| {
        let q = Arc::new(RunQueue::<Item>::new());
        let local = owner(&q);
        let global = Global::new();
        // Fill the ring, so the next put overflows while the thief steals.
        for i in 0..LOCAL_QUEUE_CAPACITY {
            local.put(Item(Box::new(i)), false, &*global);
        }
        let victim = q.clone();
        let thief = thread::spawn(move || steal(&victim, false));
        let n = LOCAL_QUEUE_CAPACITY + 2;
        for i in LOCAL_QUEUE_CAPACITY..n {
            local.put(Item(Box::new(i)), false, &*global);
        }
        let stolen = thief.join().unwrap();
        let owner = drain(&local);
        let overflow = global.take();
        assert_exactly_once(n, &[&owner, &stolen, &overflow]);
        // Overflow keeps order: a batch of the ring's head, then the new item.
        assert!(overflow.windows(2).all(|w| w[0] < w[1]), "{overflow:?}");
    });
}

#[test]
fn loom_runq_runnext_vs_steal() {
    model(|| {
        let q = Arc::new(RunQueue::<Item>::new());
        let local = owner(&q);
        let global = Global::new();
        local.put(Item(Box::new(0)), true, &*global);
        let victim = q.clone();
        // The ring is empty or nearly so: the thief may take runnext.
        let thief = thread::spawn(move || steal(&victim, true));
        // Each put(next) kicks the previous runnext to the tail (Go's runqput(next=true)).
        local.put(Item(Box::new(1)), true, &*global);
        local.put(Item(Box::new(2)), true, &*global);
        let mut owner = Vec::new();
        while let Some((item, inherit)) = local.get() {
            owner.push((*item.0, inherit));
        }
        let stolen = thief.join().unwrap();
        let rest = drain(&local);
        let owned: Vec<usize> = owner.iter().map(|&(v, _)| v).collect();
        assert_exactly_once(3, &[&owned, &stolen, &rest, &global.take()]);
        // Item 2 was put last with next=true: if the owner got it, it came from runnext.
        if let Some(&(_, inherit)) = owner.iter().find(|&&(v, _)| v == 2) {
            assert!(inherit, "the last runnext put is taken from runnext: {owner:?}");
        }
    });
}

#[test]
fn loom_runq_expired_slice_runnext_to_global_vs_steal() {
    model(|| {
        let q = Arc::new(RunQueue::<Item>::new());
        let local = owner(&q);
        let global = Global::new();
        local.put(Item(Box::new(0)), false, &*global);
        local.put(Item(Box::new(1)), true, &*global);
        let victim = q.clone();
        let thief = thread::spawn(move || steal(&victim, true));
        // The slice expired: runnext goes to the global tail (find.rs, `expire_slice`) while a
        // thief in its last round may be taking it too.
        if let Some(t) = local.take_runnext() {
            global.push_batch([t]);
        }
        let owner = drain(&local);
        let stolen = thief.join().unwrap();
        let rest = drain(&local);
        assert_exactly_once(2, &[&owner, &stolen, &rest, &global.take()]);
    });
}

#[test]
fn loom_runq_two_thieves() {
    model(|| {
        let q = Arc::new(RunQueue::<Item>::new());
        let local = owner(&q);
        let global = Global::new();
        for i in 0..3 {
            local.put(Item(Box::new(i)), false, &*global);
        }
        let (v1, v2) = (q.clone(), q.clone());
        let t1 = thread::spawn(move || steal(&v1, false));
        let t2 = thread::spawn(move || steal(&v2, true));
        let s1 = t1.join().unwrap();
        let s2 = t2.join().unwrap();
        let rest = drain(&local);
        assert_exactly_once(3, &[&s1, &s2, &rest, &global.take()]);
    });
}
