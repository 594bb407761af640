//! Sockets keep moving while another task holds a P computing: no M blocks in the poller while
//! a P runs, so the running Ms, then sysmon, must poll the network.

mod common;

use common::{rt, watchdog};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use gosched_net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Round trips over a socket pair (one echo task, one client) counted while `busy` runs.
fn round_trips_during(rt: gosched_executor::runtime::Runtime, busy: Duration) -> usize {
    let trips = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (a, b) = rt.block_on(async { UnixStream::pair().unwrap() });
    let echo = rt.spawn(async move {
        let mut b = b;
        let mut buf = [0u8; 16];
        loop {
            match b.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => b.write_all(&buf[..n]).await.unwrap(),
            }
        }
    });
    let (t2, s2) = (trips.clone(), stop.clone());
    let client = rt.spawn(async move {
        let mut a = a;
        let mut back = [0u8; 16];
        while !s2.load(Ordering::Relaxed) {
            a.write_all(&[7u8; 16]).await.unwrap();
            a.read_exact(&mut back).await.unwrap();
            t2.fetch_add(1, Ordering::Relaxed);
        }
    });
    // Let the pair get going, then hog a P with a computation that never yields.
    std::thread::sleep(Duration::from_millis(50));
    let before = trips.load(Ordering::Relaxed);
    let t3 = trips.clone();
    let during = rt
        .block_on(rt.spawn(async move {
            let start = Instant::now();
            let mut x = 0u64;
            while start.elapsed() < busy {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
            }
            t3.load(Ordering::Relaxed)
        }))
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    rt.block_on(client).unwrap();
    echo.abort();
    during - before
}

#[test]
fn a_socket_pair_keeps_moving_next_to_a_computing_task() {
    let _w = watchdog("busy_socket", Duration::from_secs(60));
    for maxprocs in [1, 2] {
        let trips = round_trips_during(rt(maxprocs), Duration::from_millis(300));
        eprintln!("maxprocs {maxprocs}: {trips} round trips during 300 ms of computation");
        // Thousands when the network is watched; a stalled poller gives 0 to a handful.
        assert!(
            trips >= 50,
            "maxprocs {maxprocs}: only {trips} round trips during a 300 ms computation"
        );
    }
}

/// Without sysmon nobody else watches the network while one P computes: the idle M must then
/// block in the poller (Go's rule), so a connection from outside is served at once, not after
/// the computation.
#[test]
fn without_sysmon_an_idle_m_blocks_in_the_poller_while_a_p_computes() {
    let _w = watchdog("busy_socket_no_sysmon", Duration::from_secs(60));
    let rt = gosched_executor::runtime::Builder::new()
        .maxprocs(2)
        .sysmon(false)
        .build()
        .unwrap();
    let listener = rt
        .block_on(gosched_net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let server = rt.spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).await.unwrap();
        (Instant::now(), buf)
    });
    let hog = rt.spawn(async {
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(1500) {
            std::hint::spin_loop();
        }
    });
    // The hog holds one P, the other P is idle: the event comes from outside the runtime.
    std::thread::sleep(Duration::from_millis(100));
    let sent = Instant::now();
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(&mut client, b"hello").unwrap();
    let (done, buf) = rt.block_on(server).unwrap();
    rt.block_on(hog).unwrap();
    assert_eq!(&buf, b"hello");
    let waited = done.duration_since(sent);
    assert!(
        waited < Duration::from_millis(700),
        "sysmon off: the connection was served {waited:?} after it was sent, behind the hog"
    );
}
