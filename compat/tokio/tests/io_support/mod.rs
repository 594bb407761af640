//! Helpers the `io_*` tests share: a reader and a writer that go `Pending` between steps, a
//! counting waker, one-poll helpers and a watchdog.
#![allow(dead_code)]

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A reader that gives at most `chunk` bytes per read and returns `Pending` (waking itself)
/// before every read, so every consumer meets a `Pending` between any two chunks.
#[derive(Debug)]
pub struct Trickle {
    pub data: Vec<u8>,
    pub pos: usize,
    pub chunk: usize,
    pub ready: bool,
    /// The `remaining()` of every `ReadBuf` it was handed.
    pub asked: Vec<usize>,
}

impl Trickle {
    pub fn new(data: &[u8], chunk: usize) -> Trickle {
        Trickle {
            data: data.to_vec(),
            pos: 0,
            chunk,
            ready: false,
            asked: Vec::new(),
        }
    }
}

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready = false;
        self.asked.push(buf.remaining());
        let n = self.chunk.min(buf.remaining()).min(self.data.len() - self.pos);
        let start = self.pos;
        buf.put_slice(&self.data[start..start + n]);
        self.pos += n;
        Poll::Ready(Ok(()))
    }
}

/// A writer that takes at most `max` bytes per write (0: `Ok(0)`), returns `Pending` (waking
/// itself) before every write, and counts flushes and shutdowns.
#[derive(Debug, Default)]
pub struct Slow {
    pub data: Vec<u8>,
    pub max: usize,
    pub ready: bool,
    pub writes: usize,
    pub flushes: usize,
    pub shutdowns: usize,
}

impl Slow {
    pub fn new(max: usize) -> Slow {
        Slow {
            max,
            ..Slow::default()
        }
    }
}

impl AsyncWrite for Slow {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready = false;
        self.writes += 1;
        let n = self.max.min(buf.len());
        self.data.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.flushes += 1;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.shutdowns += 1;
        Poll::Ready(Ok(()))
    }
}

/// A waker that counts its wakes.
#[derive(Debug, Default)]
pub struct CountingWaker(pub AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    pub fn new() -> (Arc<CountingWaker>, Waker) {
        let w = Arc::new(CountingWaker::default());
        (w.clone(), Waker::from(w))
    }

    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Polls once with a waker that does nothing.
pub fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
}

/// Polls once with `waker`.
pub fn poll_with<F: Future>(f: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(waker))
}

/// Runs `f` on a thread and fails if it takes longer than 30 s (a hang fails fast).
pub fn with_watchdog<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(v) => v,
        Err(_) => {
            // The thread panicked (join reports it) or hung.
            if handle.is_finished() {
                std::panic::resume_unwind(handle.join().unwrap_err());
            }
            panic!("watchdog: the test did not finish in 30 s");
        }
    }
}
