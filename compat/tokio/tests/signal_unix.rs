//! tokio::signal on gosched: a SIGUSR1 raised by the process reaches a listener.
#![cfg(unix)]

use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};

#[test]
fn sigusr1_to_self_is_received() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
        // SAFETY: raise has no memory-safety preconditions; this process listens for SIGUSR1.
        assert_eq!(unsafe { libc::raise(libc::SIGUSR1) }, 0);
        let got = tokio::time::timeout(Duration::from_secs(10), usr1.recv()).await;
        assert_eq!(got, Ok(Some(())));
        // A second one, through poll_recv.
        // SAFETY: as above.
        assert_eq!(unsafe { libc::raise(libc::SIGUSR1) }, 0);
        let got = tokio::time::timeout(
            Duration::from_secs(10),
            std::future::poll_fn(|cx| usr1.poll_recv(cx)),
        )
        .await;
        assert_eq!(got, Ok(Some(())));
    });
}

#[test]
fn signal_kinds_are_tokios() {
    assert_eq!(SignalKind::user_defined2().as_raw_value(), libc::SIGUSR2);
    assert_eq!(SignalKind::window_change(), SignalKind::from_raw(libc::SIGWINCH));
    assert_eq!(i32::from(SignalKind::from(libc::SIGHUP)), libc::SIGHUP);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let err = rt.block_on(async { signal(SignalKind::from_raw(libc::SIGKILL)).unwrap_err() });
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn ctrl_c_after_its_first_poll() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());
        // The first poll registers the listener; SIGINT before it would end the process.
        assert!(futures::poll!(&mut ctrl_c).is_pending());
        // SAFETY: raise has no memory-safety preconditions; SIGINT is now caught.
        assert_eq!(unsafe { libc::raise(libc::SIGINT) }, 0);
        let got = tokio::time::timeout(Duration::from_secs(10), ctrl_c).await;
        assert!(matches!(got, Ok(Ok(()))));
    });
}
