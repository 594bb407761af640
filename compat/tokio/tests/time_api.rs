//! tokio::time on gosched, under paused time: sleep, timeout, interval with each
//! MissedTickBehavior, reset, auto-advance.

use std::time::Duration;
use tokio::runtime::{Builder, Runtime};
use tokio::time::{self, Instant, MissedTickBehavior};

fn paused() -> Runtime {
    Builder::new_current_thread().start_paused(true).build().unwrap()
}

const MS: Duration = Duration::from_millis(1);

#[test]
fn sleep_auto_advances_under_paused_time() {
    let real = std::time::Instant::now();
    paused().block_on(async {
        let start = Instant::now();
        time::sleep(Duration::from_secs(3600)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3600));
        time::sleep_until(start + Duration::from_secs(7200)).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(7200));
    });
    assert!(real.elapsed() < Duration::from_secs(60));
}

#[test]
fn sleep_reset_through_a_pin_and_deadline() {
    paused().block_on(async {
        let start = Instant::now();
        let mut sleep = std::pin::pin!(time::sleep(Duration::from_secs(60)));
        assert_eq!(sleep.deadline(), start + Duration::from_secs(60));
        assert!(!sleep.is_elapsed());
        sleep.as_mut().reset(start + 10 * MS);
        sleep.as_mut().await;
        assert_eq!(Instant::now(), start + 10 * MS);
        assert!(sleep.is_elapsed());
    });
}

#[test]
fn timeout_elapses_and_passes_through() {
    paused().block_on(async {
        let start = Instant::now();
        let err = time::timeout(Duration::from_secs(5), std::future::pending::<()>())
            .await
            .unwrap_err();
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        let io: std::io::Error = err.into();
        assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
        let _: time::error::Elapsed = time::timeout(MS, std::future::pending::<()>()).await.unwrap_err();
        // A ready future wins even with a zero timeout.
        assert_eq!(time::timeout(Duration::ZERO, async { 3 }).await, Ok(3));
        let deadline = Instant::now() + Duration::from_secs(2);
        assert!(
            time::timeout_at(deadline, time::sleep(Duration::from_secs(3)))
                .await
                .is_err()
        );
        assert_eq!(Instant::now(), deadline);
        // IntoFuture is accepted.
        struct Later;
        impl std::future::IntoFuture for Later {
            type Output = u8;
            type IntoFuture = std::future::Ready<u8>;
            fn into_future(self) -> Self::IntoFuture {
                std::future::ready(8)
            }
        }
        let mut t = time::timeout(MS, Later);
        assert!(std::ptr::eq(t.get_ref(), t.get_mut()));
        assert_eq!(t.await, Ok(8));
        assert_eq!(time::timeout(MS, async { 1 }).into_inner().await, 1);
    });
}

/// Ticks an interval whose task was 35 ms late after its first tick (period 10 ms) and returns
/// when each of the next ticks came (due instant, now), relative to the start.
async fn late_ticks(behavior: MissedTickBehavior, n: usize) -> Vec<(u64, u64)> {
    let start = Instant::now();
    let mut iv = time::interval(10 * MS);
    assert_eq!(
        iv.missed_tick_behavior(),
        MissedTickBehavior::Burst,
        "tokio's default"
    );
    iv.set_missed_tick_behavior(behavior);
    assert_eq!(iv.tick().await, start, "the first tick is immediate");
    time::advance(35 * MS).await;
    let mut out = Vec::new();
    for _ in 0..n {
        let due = iv.tick().await;
        let ms = |i: Instant| (i - start).as_millis() as u64;
        out.push((ms(due), ms(Instant::now())));
    }
    out
}

#[test]
fn interval_burst_catches_up() {
    let ticks = paused().block_on(late_ticks(MissedTickBehavior::Burst, 4));
    assert_eq!(ticks, [(10, 35), (20, 35), (30, 35), (40, 40)]);
}

#[test]
fn interval_delay_shifts_the_schedule() {
    let ticks = paused().block_on(late_ticks(MissedTickBehavior::Delay, 3));
    assert_eq!(ticks, [(10, 35), (45, 45), (55, 55)]);
}

#[test]
fn interval_skip_drops_missed_ticks() {
    let ticks = paused().block_on(late_ticks(MissedTickBehavior::Skip, 3));
    assert_eq!(ticks, [(10, 35), (40, 40), (50, 50)]);
}

#[test]
fn interval_at_and_resets() {
    paused().block_on(async {
        let start = Instant::now();
        let mut iv = time::interval_at(start + 100 * MS, 10 * MS);
        assert_eq!(iv.period(), 10 * MS);
        assert_eq!(iv.tick().await, start + 100 * MS);
        iv.reset();
        assert_eq!(iv.tick().await, start + 110 * MS);
        iv.reset_after(50 * MS);
        assert_eq!(iv.tick().await, start + 160 * MS);
        iv.reset_at(start + 500 * MS);
        assert_eq!(iv.tick().await, start + 500 * MS);
        iv.reset_immediately();
        assert_eq!(iv.tick().await, start + 500 * MS);
        assert_eq!(iv.tick().await, start + 510 * MS);
        let at = std::future::poll_fn(|cx| iv.poll_tick(cx)).await;
        assert_eq!(at, start + 520 * MS);
    });
}

#[test]
#[should_panic(expected = "`period` must be non-zero.")]
fn interval_zero_period_panics() {
    time::interval(Duration::ZERO);
}

#[test]
fn pause_advance_resume() {
    let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
    rt.block_on(async {
        time::pause();
        let start = Instant::now();
        time::advance(Duration::from_secs(10)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        time::resume();
        time::sleep(MS).await;
    });
}

#[test]
fn instant_arithmetic() {
    let a = Instant::now();
    let b = a + Duration::from_secs(1);
    assert_eq!(b - a, Duration::from_secs(1));
    assert_eq!(b.duration_since(a), Duration::from_secs(1));
    assert_eq!(a.saturating_duration_since(b), Duration::ZERO);
    assert_eq!(a.checked_duration_since(b), None);
    assert_eq!(b.checked_sub(Duration::from_secs(1)), Some(a));
    assert!(a.checked_add(Duration::from_secs(1)).is_some());
    let std: std::time::Instant = b.into_std();
    assert_eq!(Instant::from_std(std), b);
    assert_eq!(Instant::from(std), b);
}

#[tokio::test(start_paused = true)]
async fn interval_under_the_start_paused_attribute() {
    let start = Instant::now();
    let mut iv = time::interval(Duration::from_secs(60));
    iv.set_missed_tick_behavior(MissedTickBehavior::Delay);
    for i in 0..3u32 {
        assert_eq!(iv.tick().await, start + Duration::from_secs(60) * i);
    }
    assert_eq!(start.elapsed(), Duration::from_secs(120));
}

#[test]
fn huge_durations_do_not_overflow() {
    paused().block_on(async {
        let start = Instant::now();
        // tokio's interval_doesnt_panic_max_duration_when_polling
        let mut iv = time::interval(Duration::MAX);
        assert_eq!(iv.tick().await, start);
        assert!(time::timeout(Duration::from_secs(1), iv.tick()).await.is_err());
        iv.reset();
        iv.reset_after(Duration::MAX);
        assert!(
            time::timeout(Duration::from_secs(1), time::sleep(Duration::MAX))
                .await
                .is_err()
        );
    });
}

#[test]
fn sleep_reset_after_firing_and_to_the_past() {
    paused().block_on(async {
        let start = Instant::now();
        let mut sleep = std::pin::pin!(time::sleep(10 * MS));
        sleep.as_mut().await;
        assert!(sleep.is_elapsed());
        sleep.as_mut().reset(Instant::now() + 10 * MS);
        assert!(!sleep.is_elapsed(), "pending again after a reset to the future");
        sleep.as_mut().await;
        assert_eq!(Instant::now(), start + 20 * MS);
        sleep.as_mut().reset(start);
        sleep.as_mut().await; // a deadline in the past fires at once
        assert_eq!(Instant::now(), start + 20 * MS);
    });
}
