//! The gosched side of the scheduler workloads, shared by `scheduler.rs` (criterion, against
//! tokio, at tokio's sizes) and `diag_cost.rs` (instruction counts, smaller): one definition,
//! so both measure the same code. The sizes are the callers'.

use std::future::Future;

/// `tasks` tasks that each `yield_now` `yields` times; returns when all have finished.
pub async fn yield_many(tasks: usize, yields: usize) {
    let hs: Vec<_> = (0..tasks)
        .map(|_| {
            gosched::spawn(async move {
                for _ in 0..yields {
                    gosched::task::yield_now().await;
                }
            })
        })
        .collect();
    for h in hs {
        h.await.unwrap();
    }
}

/// One ping-pong pair: `round_trips` messages there and back over two `bounded(1)` channels.
/// Returns the two halves, to be spawned as tasks (on either runtime).
pub fn ping_pong_pair(
    round_trips: usize,
) -> (impl Future<Output = ()> + Send, impl Future<Output = ()> + Send) {
    let (ping_tx, ping_rx) = async_channel::bounded::<usize>(1);
    let (pong_tx, pong_rx) = async_channel::bounded::<usize>(1);
    let pinger = async move {
        for i in 0..round_trips {
            ping_tx.send(i).await.unwrap();
            assert_eq!(pong_rx.recv().await.unwrap(), i);
        }
    };
    let ponger = async move {
        while let Ok(i) = ping_rx.recv().await {
            pong_tx.send(i).await.unwrap();
        }
    };
    (pinger, ponger)
}

/// `pairs` ping-pong pairs as gosched tasks; returns when all have finished.
pub async fn ping_pong(pairs: usize, round_trips: usize) {
    let mut hs = Vec::with_capacity(2 * pairs);
    for _ in 0..pairs {
        let (a, b) = ping_pong_pair(round_trips);
        hs.push(gosched::spawn(a));
        hs.push(gosched::spawn(b));
    }
    for h in hs {
        h.await.unwrap();
    }
}

/// Each task spawns the next, `depth` deep; returns when the last has run.
pub async fn chained_spawn(depth: usize) {
    let (tx, rx) = async_channel::bounded(1);
    drop(gosched::spawn(async move { chain(tx, depth) }));
    rx.recv().await.unwrap();
}

fn chain(done: async_channel::Sender<()>, n: usize) {
    if n == 0 {
        done.try_send(()).unwrap();
    } else {
        drop(gosched::spawn(async move { chain(done, n - 1) }));
    }
}
