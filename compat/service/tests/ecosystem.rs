//! tokio-test and tokio-stream, the crates users test tokio code with, built against the facade.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_stream::StreamExt;
use tokio_test::{assert_pending, assert_ready, assert_ready_eq};

#[test]
fn tokio_test_task_spawn_polls_by_hand() {
    let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
    let mut task = tokio_test::task::spawn(rx);
    assert_pending!(task.poll());
    tx.send(7).unwrap();
    assert!(task.is_woken(), "sending woke the receiver");
    assert_ready_eq!(task.poll(), Ok(7));
}

#[test]
fn tokio_test_block_on_runs_a_future() {
    let v = tokio_test::block_on(async {
        tokio::task::yield_now().await;
        5
    });
    assert_eq!(v, 5);
}

#[tokio::test]
async fn tokio_test_io_builder_scripts_a_peer() {
    let mut mock = tokio_test::io::Builder::new()
        .read(b"ping\n")
        .write(b"pong\n")
        .build();
    let mut buf = [0u8; 5];
    mock.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping\n");
    mock.write_all(b"pong\n").await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn tokio_test_io_builder_waits_in_paused_time() {
    let mut mock = tokio_test::io::Builder::new()
        .wait(Duration::from_secs(10))
        .read(b"late")
        .build();
    let t0 = tokio::time::Instant::now();
    let mut buf = [0u8; 4];
    mock.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"late");
    assert!(t0.elapsed() >= Duration::from_secs(10));
}

#[tokio::test]
async fn tokio_stream_adapters_over_channels() {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        for i in 0..10u32 {
            tx.send(i).await.unwrap();
        }
    });
    let evens: Vec<u32> = tokio_stream::wrappers::ReceiverStream::new(rx)
        .filter(|i| i % 2 == 0)
        .collect()
        .await;
    assert_eq!(evens, [0, 2, 4, 6, 8]);
    let sum: u32 = tokio_stream::iter(1..=4)
        .map(|i| i * 10)
        .fold(0, |a, b| a + b)
        .await;
    assert_eq!(sum, 100);
}

#[tokio::test(start_paused = true)]
async fn tokio_stream_timeout_and_interval() {
    let ticks = tokio_stream::wrappers::IntervalStream::new(tokio::time::interval(Duration::from_secs(1)));
    let first: Vec<_> = ticks.take(3).collect().await;
    assert_eq!(first.len(), 3);
    let slow = tokio_stream::pending::<u8>().timeout(Duration::from_millis(10));
    tokio::pin!(slow);
    assert!(
        slow.next().await.unwrap().is_err(),
        "the timeout fired in paused time"
    );
    let mut task = tokio_test::task::spawn(tokio::time::sleep(Duration::from_secs(1)));
    assert_pending!(task.poll());
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_ready!(task.poll());
}
