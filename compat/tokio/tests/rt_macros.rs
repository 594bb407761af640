//! What `#[tokio::test]` expands to runs on the facade: every flavor and `start_paused`.

use std::time::Duration;
use tokio::runtime::{Handle, RuntimeFlavor};

#[tokio::test]
async fn tokio_test_default_is_current_thread() {
    assert_eq!(Handle::current().runtime_flavor(), RuntimeFlavor::CurrentThread);
    assert!(
        tokio::spawn(async { gosched_executor::task::try_id() })
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_test_multi_thread() {
    assert_eq!(Handle::current().metrics().num_workers(), 2);
    assert_eq!(Handle::current().runtime_flavor(), RuntimeFlavor::MultiThread);
}

#[tokio::test(start_paused = true)]
async fn tokio_test_start_paused() {
    let start = tokio::time::Instant::now();
    let real = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
    assert!(real.elapsed() < Duration::from_secs(60));
}

#[tokio::test]
async fn tokio_test_result_return() -> Result<(), std::io::Error> {
    tokio::task::yield_now().await;
    Ok(())
}
