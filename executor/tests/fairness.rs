//! Go's fairness rules: a ping-pong pair inheriting its time slice through runnext cannot starve
//! a third task (Go's TestPingPongHog), and yield_now loops interleave.

mod common;

use common::watchdog;
use gosched_executor::runtime::{Builder, Runtime};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

type Rx = futures::channel::mpsc::Receiver<u64>;
type Tx = futures::channel::mpsc::Sender<u64>;

/// One side of a ping-pong pair over `channel(1)`: each message wakes the other side, which
/// runs from `runnext` (the hand-off slot) and inherits the time slice. Counts round trips.
async fn ping_pong_side(mut rx: Rx, mut tx: Tx, stop: Arc<AtomicBool>, count: Arc<AtomicU64>) {
    use futures::{SinkExt, StreamExt};
    while let Some(v) = rx.next().await {
        count.fetch_add(1, Ordering::Relaxed);
        if stop.load(Ordering::Relaxed) || tx.send(v + 1).await.is_err() {
            break;
        }
    }
}

/// Starts a ping-pong pair on `rt` that runs until `stop`; returns its handles.
fn start_pair(
    rt: &Runtime,
    stop: &Arc<AtomicBool>,
    count: &Arc<AtomicU64>,
) -> [gosched_executor::JoinHandle<()>; 2] {
    let (tx_a, rx_a) = futures::channel::mpsc::channel(1);
    let (tx_b, rx_b) = futures::channel::mpsc::channel(1);
    let a = rt.spawn(ping_pong_side(rx_a, tx_b, stop.clone(), count.clone()));
    let b = rt.spawn(ping_pong_side(rx_b, tx_a.clone(), stop.clone(), count.clone()));
    let mut kick = tx_a;
    rt.block_on(async move {
        use futures::SinkExt;
        kick.send(0).await.unwrap();
    });
    [a, b]
}

/// Go's TestPingPongHog, counted: a pair that inherits its slice through `runnext` forever
/// must give the P back once the slice expires (the inheriting task goes to the global tail
/// and the global queue is read first), so a task spawned from a foreign thread that loops on
/// `yield_now` gets many polls, not one in 500 ms.
#[test]
fn ping_pong_pair_cannot_starve_a_yielding_task() {
    let _w = watchdog("ping_pong_hog", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU64::new(0));
    let pair = start_pair(&rt, &stop, &rounds);
    let iters = Arc::new(AtomicU64::new(0));
    let (s, i) = (stop.clone(), iters.clone());
    // Spawned from this (non-worker) thread: it starts in the global queue.
    let third = rt.spawn(async move {
        while !s.load(Ordering::Relaxed) {
            i.fetch_add(1, Ordering::Relaxed);
            gosched_executor::task::yield_now().await;
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    let (n, r) = (iters.load(Ordering::Relaxed), rounds.load(Ordering::Relaxed));
    stop.store(true, Ordering::SeqCst);
    rt.block_on(third).unwrap();
    for h in pair {
        rt.block_on(h).unwrap();
    }
    assert!(
        n > 10,
        "the yielding task ran {n} times in 500 ms while the pair did {r} round trips"
    );
    assert!(r > 10, "the pair must run too: {r} round trips");
}

/// Two ping-pong pairs on one P share it: the second starts (in the global queue) while the
/// first already holds the P; each expired slice sends the inheriting task to the global tail,
/// where the other pair's task waits, so their round-trip counts stay within 20×.
#[test]
fn two_ping_pong_pairs_share_one_p() {
    let _w = watchdog("two_pairs", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let counts = [Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))];
    let first = start_pair(&rt, &stop, &counts[0]);
    std::thread::sleep(Duration::from_millis(50));
    let second = start_pair(&rt, &stop, &counts[1]);
    let base = counts[0].load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(500));
    let a = counts[0].load(Ordering::Relaxed) - base;
    let b = counts[1].load(Ordering::Relaxed);
    stop.store(true, Ordering::SeqCst);
    for h in first.into_iter().chain(second) {
        rt.block_on(h).unwrap();
    }
    let (lo, hi) = (a.min(b), a.max(b));
    assert!(
        lo > 0 && hi <= 20 * lo,
        "round trips of the two pairs in the same 500 ms: {a} and {b}"
    );
}

/// A task that yielded is never where only its (now blocked) thread can see it: here it waits
/// in the local queue behind a task that blocks its thread for 1 s, and sysmon, seeing queued
/// work behind a blocked poll, hands the P to another thread.
#[test]
fn a_yielded_task_does_not_wait_behind_a_blocked_thread() {
    let _w = watchdog("yield_behind_block", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let (x, y) = rt
        .block_on(rt.spawn(async {
            // X lands in the ring, Y in `runnext`: Y runs first, yields, then X blocks.
            let x = gosched_executor::spawn(async {
                std::thread::sleep(Duration::from_secs(1));
            });
            let y = gosched_executor::spawn(async {
                let before = Instant::now();
                gosched_executor::task::yield_now().await;
                before.elapsed()
            });
            (x, y)
        }))
        .unwrap();
    let waited = rt.block_on(y).unwrap();
    rt.block_on(x).unwrap();
    assert!(
        waited < Duration::from_millis(300),
        "the yielded task resumed after {waited:?}, behind the blocked thread"
    );
}

/// The same for a task that sysmon preempted (its budget read zero mid-poll): it is requeued
/// where every thread sees it, not behind the thread that blocks next.
#[test]
fn a_preempted_task_does_not_wait_behind_a_blocked_thread() {
    let _w = watchdog("preempt_behind_block", Duration::from_secs(60));
    let rt = Builder::new()
        .maxprocs(1)
        .preempt_slice(Duration::from_millis(5))
        .build()
        .unwrap();
    let (x, y) = rt
        .block_on(rt.spawn(async {
            let x = gosched_executor::spawn(async {
                std::thread::sleep(Duration::from_secs(1));
            });
            let y = gosched_executor::spawn(async {
                // 1 ms of work per budget unit: one poll would last 128 ms, so sysmon's
                // preemption (after 5 ms) is what makes `consume_budget` yield first (or, if
                // its next round comes first, its retake). Returns the longest wait.
                let start = Instant::now();
                let mut longest = Duration::ZERO;
                while start.elapsed() < Duration::from_millis(400) {
                    let spin = Instant::now();
                    while spin.elapsed() < Duration::from_millis(1) {
                        std::hint::spin_loop();
                    }
                    let before = Instant::now();
                    gosched_executor::task::consume_budget().await;
                    longest = longest.max(before.elapsed());
                }
                longest
            });
            (x, y)
        }))
        .unwrap();
    let gap = rt.block_on(y).unwrap();
    rt.block_on(x).unwrap();
    assert!(
        gap < Duration::from_millis(300),
        "the budget loop waited {gap:?} at one yield, behind the blocked thread"
    );
}

#[test]
fn two_yield_loops_interleave_on_one_p() {
    let _w = watchdog("yield_interleave", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log2 = log.clone();
    let spawn_loop = move |name: char| {
        let log = log2.clone();
        gosched_executor::spawn(async move {
            for _ in 0..100 {
                log.lock().unwrap().push(name);
                gosched_executor::task::yield_now().await;
            }
        })
    };
    // Spawned from a task on the only P, so neither loop starts before both exist.
    rt.block_on(rt.spawn(async move {
        let a = spawn_loop('a');
        let b = spawn_loop('b');
        a.await.unwrap();
        b.await.unwrap();
    }))
    .unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 200);
    // After both started, they alternate: no run of more than 2 of the same letter.
    // (The last run is the loop that finished second, running alone.)
    let runs: Vec<usize> = log.chunk_by(|x, y| x == y).map(<[char]>::len).collect();
    let longest = runs[..runs.len() - 1].iter().copied().max().unwrap();
    assert!(
        longest <= 2,
        "yield_now must let the other loop run: {}",
        log.iter().collect::<String>()
    );
}

#[test]
fn a_task_that_wakes_itself_forever_does_not_starve_others() {
    let _w = watchdog("self_waker", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let spins = Arc::new(AtomicUsize::new(0));
    let (s, n) = (stop.clone(), spins.clone());
    let hog = rt.spawn(std::future::poll_fn(move |cx| {
        if s.load(Ordering::Relaxed) {
            return std::task::Poll::Ready(());
        }
        n.fetch_add(1, Ordering::Relaxed);
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }));
    let other = rt.spawn(async { 7 });
    assert_eq!(rt.block_on(other).unwrap(), 7);
    stop.store(true, Ordering::SeqCst);
    rt.block_on(hog).unwrap();
    assert!(spins.load(Ordering::SeqCst) > 0);
}

#[test]
fn consume_budget_loop_yields() {
    let _w = watchdog("consume_budget", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let hog = rt.spawn(async move {
        let mut n = 0u64;
        while !s.load(Ordering::Relaxed) {
            n += 1;
            gosched_executor::task::consume_budget().await;
        }
        n
    });
    // With one P, this only runs if the hog yields.
    rt.block_on(rt.spawn(async {})).unwrap();
    stop.store(true, Ordering::SeqCst);
    assert!(rt.block_on(hog).unwrap() > 0);
}

#[test]
fn yield_now_and_a_spent_budget_inside_combinators_wake_the_combinator() {
    // `yield_now` requeues its task without a wake when it holds the task's own waker; under a
    // combinator with its own wakers (FuturesUnordered) the sub-waker must still be woken, or
    // the combinator would never poll that branch again.
    use futures::stream::{FuturesUnordered, StreamExt};
    let _w = watchdog("yield_in_combinators", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let total = rt
        .block_on(rt.spawn(async {
            let mut branches: FuturesUnordered<_> = (0..8u64)
                .map(|i| async move {
                    for _ in 0..100 {
                        gosched_executor::task::yield_now().await;
                    }
                    for _ in 0..1_000 {
                        gosched_executor::task::consume_budget().await;
                    }
                    i
                })
                .collect();
            let mut total = 0;
            while let Some(i) = branches.next().await {
                total += i;
            }
            let (a, b) = futures::join!(
                async {
                    gosched_executor::task::yield_now().await;
                    1
                },
                async {
                    gosched_executor::task::yield_now().await;
                    2
                }
            );
            total + a + b
        }))
        .unwrap();
    assert_eq!(total, 28 + 3);
}
