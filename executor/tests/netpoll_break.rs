//! The poll break reaches the M blocked in the poller (netpoll/wake.rs): runtimes are dropped
//! while their Ms race between non-blocking polls (a registered socket makes every M that
//! runs dry poll the network) and the blocking poll, with timers added meanwhile (each may
//! break the poll). A lost shutdown break would hang the drop: the watchdog fails it.
//! (The protocol itself is checked by the loom model in src/tests/loom_break.rs; this is the
//! real thing, which loses the race only rarely.)

mod common;

use common::watchdog;
use gosched_executor::netpoll::{Direction, Interest, Registration};
use gosched_executor::runtime::Builder;
use gosched_executor::task::yield_now;
use gosched_executor::time::sleep;
use std::time::{Duration, Instant};

#[test]
fn dropping_runtimes_while_pollers_race_never_hangs() {
    let _w = watchdog(
        "dropping_runtimes_while_pollers_race_never_hangs",
        Duration::from_secs(60),
    );
    let start = Instant::now();
    let mut rounds = 0u64;
    // Bounded both ways: a few seconds, and at most 400 runtimes.
    while start.elapsed() < Duration::from_secs(3) && rounds < 400 {
        // Without sysmon an M blocks in the poller even while the other P runs, so blocking
        // and non-blocking pollers meet more often; with it, only once every P is idle.
        let rt = Builder::new()
            .maxprocs(2)
            .sysmon(rounds % 2 == 0)
            .build()
            .unwrap();
        let sock = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        rt.spawn(async move {
            let reg = Registration::new(&sock, Interest::READABLE).unwrap();
            // Nothing is ever sent: this waits until the shutdown wakes it.
            let _ = reg.readiness(Direction::Read).await;
        });
        for i in 0..4u64 {
            rt.spawn(async move {
                for _ in 0..(i + rounds) % 5 {
                    yield_now().await;
                }
                sleep(Duration::from_micros(50 * (i + 1))).await;
            });
        }
        std::thread::sleep(Duration::from_micros(40 * (rounds % 9)));
        drop(rt);
        rounds += 1;
    }
    eprintln!("{rounds} runtimes dropped");
}
