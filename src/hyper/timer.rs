//! [`GoschedTimer`]: hyper's `Timer` on gosched's timers.

use gosched_executor::time::{self, Duration};
// hyper's `Timer` speaks std instants; `sleep_until` and `reset` take them as they are.
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// hyper's [`Timer`](hyper::rt::Timer) on gosched's per-P timer heaps, for the timeouts hyper
/// keeps itself: HTTP/1 `header_read_timeout`, HTTP/2 keep-alive pings, the legacy client's
/// pool expiry (`pool_timer`).
///
/// Each sleep is a [`gosched::time::Sleep`](crate::time::Sleep) and must be polled inside a
/// gosched runtime (hyper polls them from the connection tasks it runs there). `reset` moves
/// the deadline of the sleep in place instead of allocating a new one.
///
/// # Examples
/// A server that gives a client 100 ms to send its request head:
/// ```
/// use gosched::hyper::{GoschedIo, GoschedTimer};
/// use gosched::net::{TcpListener, TcpStream};
/// use std::time::Duration;
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let _silent = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
///     let (stream, _) = listener.accept().await.unwrap();
///     let never = hyper::service::service_fn(|_req| async {
///         Ok::<_, std::convert::Infallible>(hyper::Response::new(String::new()))
///     });
///     let served = hyper::server::conn::http1::Builder::new()
///         .timer(GoschedTimer)
///         .header_read_timeout(Duration::from_millis(100))
///         .serve_connection(GoschedIo::new(stream), never)
///         .await;
///     assert!(served.unwrap_err().is_timeout());
/// });
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct GoschedTimer;

/// The sleep [`GoschedTimer`] hands hyper (`Unpin`, `Send`, `Sync`, as `hyper::rt::Sleep` needs).
#[derive(Debug)]
struct GoschedSleep(time::Sleep);

impl Future for GoschedSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl hyper::rt::Sleep for GoschedSleep {}

impl hyper::rt::Timer for GoschedTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(GoschedSleep(time::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(GoschedSleep(time::sleep_until(deadline)))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<GoschedSleep>() {
            Some(mut ours) => ours.0.reset(new_deadline),
            // Another timer's sleep: replace it with one of ours.
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}
