//! Go's fairness rules: a ping-pong pair inheriting its time slice through runnext cannot starve
//! a third task (Go's TestPingPongHog), and yield_now loops interleave.

mod common;

use common::watchdog;
use gosched_executor::runtime::Builder;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

#[test]
fn ping_pong_pair_cannot_starve_a_third_task() {
    let _w = watchdog("ping_pong_hog", Duration::from_secs(60));
    let rt = Builder::new()
        .maxprocs(1)
        .preempt_slice(Duration::from_millis(5))
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (tx_a, rx_a) = futures::channel::mpsc::channel::<u32>(1);
    let (tx_b, rx_b) = futures::channel::mpsc::channel::<u32>(1);
    let pair = |mut rx: futures::channel::mpsc::Receiver<u32>,
                mut tx: futures::channel::mpsc::Sender<u32>,
                stop: Arc<AtomicBool>| async move {
        use futures::{SinkExt, StreamExt};
        let mut n = 0u64;
        while let Some(v) = rx.next().await {
            n += 1;
            if stop.load(Ordering::Relaxed) || tx.send(v + 1).await.is_err() {
                break;
            }
        }
        n
    };
    let a = rt.spawn(pair(rx_a, tx_b, stop.clone()));
    let b = rt.spawn(pair(rx_b, tx_a.clone(), stop.clone()));
    // Start the ball.
    let mut kick = tx_a;
    rt.block_on(async {
        use futures::SinkExt;
        kick.send(0).await.unwrap();
    });
    // The third task only needs to be polled once.
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let third = rt.spawn(async move { r.store(true, Ordering::SeqCst) });
    rt.block_on(third).unwrap();
    assert!(ran.load(Ordering::SeqCst));
    stop.store(true, Ordering::SeqCst);
    drop(kick);
    let rounds = rt.block_on(a).unwrap() + rt.block_on(b).unwrap();
    assert!(rounds > 0);
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
