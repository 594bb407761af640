//! `--server-only`'s graceful stop: on SIGTERM or Ctrl-C the accept loop is dropped (its
//! listener closes, so new connects are refused), the open connections get up to `--drain-ms`
//! to finish, and `main` then prints the runtime's final metrics and exits 0.

use crate::rt::Rt;
use crate::server::{self, Limits};
use futures::future::{Either, select};
use std::future::{Future, poll_fn};
use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// How often the drain looks at the number of open connections.
const DRAIN_POLL: Duration = Duration::from_millis(10);

/// What stops the server: the first SIGTERM or SIGINT, and how to count what is still open.
pub struct Stop {
    /// Resolves to the signal's name. Its listeners exist from the moment `Stop` does.
    signal: Pin<Box<dyn Future<Output = &'static str> + Send>>,
    /// Tasks alive in the runtime: with the accept loop gone, one per open connection.
    open_connections: fn() -> usize,
}

impl Stop {
    /// On gosched: `gosched::signal`, and the runtime's live-task count.
    pub fn gosched() -> io::Result<Stop> {
        use gosched::signal::unix::{Signal, SignalKind, signal};
        Ok(Stop {
            signal: first_signal(
                signal(SignalKind::terminate())?,
                signal(SignalKind::interrupt())?,
                Signal::poll_recv,
            ),
            open_connections: || gosched::runtime::Handle::current().metrics().live_tasks,
        })
    }

    /// On tokio: `tokio::signal`, and tokio's alive-task count.
    pub fn tokio() -> io::Result<Stop> {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        Ok(Stop {
            signal: first_signal(
                signal(SignalKind::terminate())?,
                signal(SignalKind::interrupt())?,
                Signal::poll_recv,
            ),
            open_connections: || tokio::runtime::Handle::current().metrics().num_alive_tasks(),
        })
    }
}

/// The name of the first of SIGTERM (`term`) and SIGINT (`int`) to arrive, for either
/// runtime's signal listener (`poll_recv` has the same shape in both).
fn first_signal<S: Send + 'static>(
    mut term: S,
    mut int: S,
    poll_recv: fn(&mut S, &mut Context<'_>) -> Poll<Option<()>>,
) -> Pin<Box<dyn Future<Output = &'static str> + Send>> {
    Box::pin(poll_fn(move |cx| {
        if poll_recv(&mut term, cx).is_ready() {
            Poll::Ready("SIGTERM")
        } else if poll_recv(&mut int, cx).is_ready() {
            Poll::Ready("SIGINT")
        } else {
            Poll::Pending
        }
    }))
}

/// Serves until `stop` fires, then drains for at most `drain`.
pub async fn serve_until_stopped<R: Rt>(
    listener: R::Listener,
    limits: Limits,
    stop: Stop,
    drain: Duration,
) -> io::Result<()> {
    // Boxed, so that dropping it below really drops it (and its listener).
    let serve = Box::pin(server::serve::<R>(listener, limits));
    let name = match select(serve, stop.signal).await {
        Either::Left((res, _)) => return res,
        Either::Right((name, serve)) => {
            drop(serve); // closes the listener
            name
        }
    };
    let open = (stop.open_connections)();
    println!(
        "http_echo: {name}: stopped accepting; draining {open} open connections (up to {} ms)",
        drain.as_millis()
    );
    io::stdout().flush()?;
    let start = Instant::now();
    while (stop.open_connections)() > 0 && start.elapsed() < drain {
        R::timer(Instant::now() + DRAIN_POLL).await;
    }
    let left = (stop.open_connections)();
    println!(
        "http_echo: drained: {} connections finished, {left} still open at the deadline",
        open.saturating_sub(left)
    );
    Ok(())
}
