//! loom models of the lock-free oneshot (`oneshot.rs`'s module doc): a send, close or drop
//! racing the other end never loses a wakeup, and the value ends up with exactly one side.
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p tokio --lib --release loom_oneshot`.

use super::oneshot::{self, Receiver, Sender, error::TryRecvError};
use loom::thread;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

/// A waker that records whether it was woken (read after the other thread is joined).
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Polls once while the other thread acts, joins it, and checks that a `Pending` poll was
/// woken; then polls again. A lost wakeup fails the assertion (and loom reports it).
fn poll_racing<R: PartialEq + std::fmt::Debug>(
    mut poll: impl FnMut(&mut Context<'_>) -> Poll<R>,
    other: thread::JoinHandle<()>,
    expected: R,
) {
    let flag = std::sync::Arc::new(Flag::default());
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let first = poll(&mut cx);
    other.join().unwrap();
    let got = match first {
        Poll::Ready(r) => r,
        Poll::Pending => {
            assert!(
                flag.0.load(Ordering::SeqCst),
                "lost wakeup: pending and never woken"
            );
            match poll(&mut cx) {
                Poll::Ready(r) => r,
                Poll::Pending => panic!("woken but still pending"),
            }
        }
    };
    assert_eq!(got, expected);
}

fn send_races_recv(pair: fn() -> (Sender<u8>, Receiver<u8>)) {
    loom::model(move || {
        let (tx, mut rx) = pair();
        let t = thread::spawn(move || tx.send(7).unwrap());
        poll_racing(|cx| Pin::new(&mut rx).poll(cx), t, Ok(7));
    });
}

#[test]
fn send_racing_recv_wakes_the_receiver() {
    send_races_recv(oneshot::channel);
}

/// The broken twin skips the re-read after registering: loom finds the lost wakeup.
#[test]
#[should_panic(expected = "lost wakeup")]
fn broken_twin_loses_the_receivers_wakeup() {
    send_races_recv(oneshot::broken_channel);
}

#[test]
fn sender_drop_racing_recv_ends_it() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<u8>();
        let t = thread::spawn(move || drop(tx));
        assert!(loom::future::block_on(rx).is_err());
        t.join().unwrap();
    });
}

/// `close` racing `send`: the value goes back to the sender or on to the receiver, never both
/// and never neither.
#[test]
fn close_racing_send_gives_the_value_to_exactly_one_side() {
    loom::model(|| {
        let (tx, mut rx) = oneshot::channel::<u8>();
        let t = thread::spawn(move || tx.send(1).is_ok());
        rx.close();
        let sent = t.join().unwrap();
        match rx.try_recv() {
            Ok(v) => assert!(sent && v == 1),
            Err(TryRecvError::Closed) => assert!(!sent),
            Err(TryRecvError::Empty) => panic!("closed and the sender is done"),
        }
    });
}

fn receiver_drop_races_closed(pair: fn() -> (Sender<u8>, Receiver<u8>)) {
    loom::model(move || {
        let (mut tx, rx) = pair();
        let t = thread::spawn(move || drop(rx));
        poll_racing(|cx| tx.poll_closed(cx), t, ());
    });
}

#[test]
fn receiver_drop_racing_closed_wakes_the_sender() {
    receiver_drop_races_closed(oneshot::channel);
}

#[test]
#[should_panic(expected = "lost wakeup")]
fn broken_twin_loses_the_senders_wakeup() {
    receiver_drop_races_closed(oneshot::broken_channel);
}
