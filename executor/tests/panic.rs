//! A panic in a task is caught and delivered through its JoinHandle; the runtime keeps going.

mod common;

use common::watchdog;
use gosched_executor::runtime::Builder;
use std::time::Duration;

#[test]
fn panic_is_delivered_as_join_error_and_workers_survive() {
    let _w = watchdog("panic_isolation", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    for i in 0..50 {
        let err = rt
            .block_on(rt.spawn(async move { panic!("boom {i}") }))
            .unwrap_err();
        assert!(err.is_panic() && !err.is_cancelled());
        assert!(err.to_string().contains(&format!("boom {i}")), "{err}");
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<String>().unwrap(), &format!("boom {i}"));
    }
    // Every worker is still alive and running tasks.
    let sum: u32 = rt.block_on(async {
        let hs: Vec<_> = (0..1000u32)
            .map(|i| gosched_executor::spawn(async move { i }))
            .collect();
        let mut s = 0;
        for h in hs {
            s += h.await.unwrap();
        }
        s
    });
    assert_eq!(sum, 999 * 1000 / 2);
    assert_eq!(rt.metrics().live_tasks, 0);
}

#[test]
fn a_panicking_drop_is_caught_too() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("drop boom");
        }
    }
    let _w = watchdog("panic_drop", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let err = rt
        .block_on(rt.spawn(async {
            let _p = PanicOnDrop;
            1
        }))
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(rt.block_on(rt.spawn(async { 2 })).unwrap(), 2);
}

#[test]
fn panic_in_block_on_propagates() {
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { panic!("outer") })
    }));
    assert!(r.is_err());
    // The runtime is still usable.
    assert_eq!(rt.block_on(rt.spawn(async { 3 })).unwrap(), 3);
}

#[test]
fn into_panic_on_a_cancellation_panics_and_try_into_panic_gives_it_back() {
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let h = rt.spawn(std::future::pending::<()>());
    h.abort();
    let err = rt.block_on(h).unwrap_err();
    let id = err.id();
    let err = err.try_into_panic().unwrap_err();
    assert_eq!(err.id(), id);
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::Other);
}
