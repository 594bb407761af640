//! The services API (task-locals, `JoinSet`, signals) through the `gosched` facade, the way an application uses it:
//! `gosched::task_local!`, `gosched::task::JoinSet`, `gosched::signal`, under
//! `#[gosched::test]` (the executor's own tests cover each in depth).

use gosched::signal::unix::{Signal, SignalKind, signal};
use gosched::task::{AccessError, JoinSet, LocalKey};
use std::time::Duration;

gosched::task_local! {
    static REQUEST_ID: u64;
}

/// A handler that logs with the request id of whichever request it serves.
async fn handler(delay_ms: u64) -> (u64, u64) {
    gosched::time::sleep(Duration::from_millis(delay_ms)).await;
    gosched::task::yield_now().await;
    (REQUEST_ID.get(), delay_ms)
}

#[gosched::test(maxprocs = 2)]
async fn a_join_set_of_scoped_requests() {
    let mut set = JoinSet::new();
    for id in 1..=20u64 {
        set.spawn(REQUEST_ID.scope(id, handler(id % 5)));
    }
    let mut seen = Vec::new();
    while let Some(res) = set.join_next().await {
        let (id, delay) = res.unwrap();
        assert_eq!(delay, id % 5, "request {id} saw another request's id");
        seen.push(id);
    }
    seen.sort();
    assert_eq!(seen, (1..=20).collect::<Vec<_>>());
    assert!(REQUEST_ID.try_with(|_| ()).is_err());
}

#[gosched::test(check_leaks)]
async fn dropping_a_join_set_leaves_no_task_behind() {
    let mut set = JoinSet::new();
    for _ in 0..10 {
        set.spawn(std::future::pending::<()>());
    }
    drop(set);
}

#[gosched::test]
async fn a_signal_listener_through_the_facade() {
    let mut usr2: Signal = signal(SignalKind::user_defined2()).unwrap();
    // SAFETY: a SIGUSR2 listener is installed, so this does not take the default action.
    unsafe { libc_raise(SignalKind::user_defined2().as_raw_value()) };
    let got = gosched::time::timeout(Duration::from_secs(10), usr2.recv()).await;
    assert_eq!(got.unwrap(), Some(()));
    // 9: SIGKILL.
    let err = signal(SignalKind::from_raw(9)).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn the_services_types_keep_their_auto_trait_promises() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<JoinSet<u8>>();
    send_sync::<Signal>();
    send_sync::<&'static LocalKey<u8>>();
    send_sync::<AccessError>();
    fn debug<T: std::fmt::Debug>() {}
    debug::<JoinSet<u8>>();
    debug::<Signal>();
    debug::<LocalKey<u8>>();
    debug::<SignalKind>();
    let _: JoinSet<u8> = Default::default();
}

// The root crate has no libc dependency; `raise` is all this file needs of it.
unsafe extern "C" {
    #[link_name = "raise"]
    fn libc_raise(sig: i32) -> i32;
}
