//! `#[gosched::test(start_paused)]` in the use it is for: deterministic tests of timeout and
//! retry code that run in milliseconds, with `check_leaks` proving nothing was left behind,
//! and I/O readiness that still arrives in real time while the clock is paused.

use futures::{AsyncReadExt, AsyncWriteExt};
use gosched::time::{self, Duration, Instant};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// An operation that fails `failures` times, then succeeds; it takes 50 ms per attempt.
async fn flaky(attempts: &AtomicU32, failures: u32) -> Result<&'static str, &'static str> {
    time::sleep(Duration::from_millis(50)).await;
    if attempts.fetch_add(1, Ordering::SeqCst) < failures {
        Err("unavailable")
    } else {
        Ok("done")
    }
}

/// Retries with exponential backoff (100 ms, doubling), each attempt under a 1 s timeout.
async fn retry(
    attempts: &AtomicU32,
    failures: u32,
    log: &Mutex<Vec<Duration>>,
) -> Result<&'static str, &'static str> {
    let start = Instant::now();
    let mut backoff = Duration::from_millis(100);
    for _ in 0..6 {
        log.lock().unwrap().push(start.elapsed());
        // A failure and a timeout both mean: back off and try again.
        if let Ok(Ok(v)) = time::timeout(Duration::from_secs(1), flaky(attempts, failures)).await {
            return Ok(v);
        }
        time::sleep(backoff).await;
        backoff *= 2;
    }
    Err("gave up")
}

#[gosched::test(start_paused, check_leaks)]
async fn a_retry_loop_is_deterministic_under_paused_time() {
    let attempts = AtomicU32::new(0);
    let log = Mutex::new(Vec::new());
    let start = Instant::now();
    assert_eq!(retry(&attempts, 3, &log).await, Ok("done"));
    // Attempt k starts after k attempts of 50 ms and backoffs of 100, 200, 400 ms: exactly.
    let ms = |v: u64| Duration::from_millis(v);
    assert_eq!(*log.lock().unwrap(), [ms(0), ms(150), ms(400), ms(850)]);
    assert_eq!(start.elapsed(), ms(900));
    assert_eq!(attempts.load(Ordering::SeqCst), 4);
}

#[gosched::test(maxprocs = 2, start_paused, check_leaks)]
async fn retry_loops_in_many_tasks_see_exact_times_on_two_ps() {
    let handles: Vec<_> = (0..8u32)
        .map(|failures| {
            gosched::spawn(async move {
                let attempts = AtomicU32::new(0);
                let log = Mutex::new(Vec::new());
                let start = Instant::now();
                let r = retry(&attempts, failures.min(5), &log).await;
                (r, start.elapsed())
            })
        })
        .collect();
    for (failures, h) in handles.into_iter().enumerate() {
        let (r, took) = h.await.unwrap();
        let failures = failures.min(5) as u32;
        assert_eq!(r, Ok("done"));
        // failures + 1 attempts of 50 ms, backoffs 100 * (2^failures - 1) ms.
        let want = 50 * (failures as u64 + 1) + 100 * ((1u64 << failures) - 1);
        assert_eq!(took, Duration::from_millis(want), "{failures} failures");
    }
}

#[gosched::test(start_paused, check_leaks)]
async fn a_hung_call_times_out_at_exactly_its_deadline() {
    let start = Instant::now();
    let r = time::timeout(Duration::from_secs(30), std::future::pending::<()>()).await;
    assert!(r.is_err());
    assert_eq!(start.elapsed(), Duration::from_secs(30));
}

/// Loopback readiness arrives in real time: a reply already sent is seen before the paused
/// clock jumps to the read's timeout (the runtime polls the network before every jump).
#[gosched::test(maxprocs = 2, start_paused, check_leaks)]
async fn loopback_io_wins_over_a_paused_timeout() {
    let listener = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = gosched::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4];
        for _ in 0..20 {
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        }
    });
    let mut c = gosched::net::TcpStream::connect(addr).await.unwrap();
    let start = Instant::now();
    for i in 0..20u32 {
        c.write_all(&i.to_le_bytes()).await.unwrap();
        let mut buf = [0u8; 4];
        time::timeout(Duration::from_secs(5), c.read_exact(&mut buf))
            .await
            .expect("the echo arrives before a 5 s paused timeout")
            .unwrap();
        assert_eq!(u32::from_le_bytes(buf), i);
    }
    assert!(start.elapsed() < Duration::from_secs(5));
    server.await.unwrap();
}

/// Timers registered from several tasks fire in deadline order even when they all start at
/// once on two Ps.
#[gosched::test(maxprocs = 2, start_paused)]
async fn sleeps_from_many_tasks_finish_in_deadline_order() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let hs: Vec<_> = [9u64, 3, 7, 1, 5, 8, 2, 6, 4]
        .into_iter()
        .map(|s| {
            let order = order.clone();
            gosched::spawn(async move {
                time::sleep(Duration::from_secs(s)).await;
                order.lock().unwrap().push(s);
            })
        })
        .collect();
    for h in hs {
        h.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
}
