//! `TOKIO_WORKER_THREADS` sets the default worker count of a multi-thread runtime, as in
//! tokio. One test in its own binary: it changes the process environment.

use tokio::runtime::Builder;

#[test]
fn tokio_worker_threads_env() {
    // SAFETY: this binary runs this one test, and no other thread reads the environment now.
    unsafe { std::env::set_var("TOKIO_WORKER_THREADS", "3") };
    let rt = Builder::new_multi_thread().build().unwrap();
    assert_eq!(rt.metrics().num_workers(), 3);
    // `worker_threads` wins over the variable; a current-thread runtime ignores it.
    let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
    assert_eq!(rt.metrics().num_workers(), 2);
    let rt = Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.metrics().num_workers(), 1);
    // SAFETY: as above.
    unsafe { std::env::set_var("TOKIO_WORKER_THREADS", "zero") };
    let err = Builder::new_multi_thread().build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("TOKIO_WORKER_THREADS"), "{err}");
    // SAFETY: as above.
    unsafe { std::env::set_var("TOKIO_WORKER_THREADS", " ") };
    assert!(Builder::new_multi_thread().build().is_ok(), "blank means unset");
    // SAFETY: as above.
    unsafe { std::env::remove_var("TOKIO_WORKER_THREADS") };
}
