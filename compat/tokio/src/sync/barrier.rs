//! `tokio::sync::Barrier`: a count and a generation under a `std::sync::Mutex`, and an
//! `event_listener::Event` that the last arrival fires.

use event_listener::Event;
use std::fmt;
use std::sync::Mutex;

#[derive(Debug)]
struct State {
    arrived: usize,
    generation: usize,
}

/// Lets `n` tasks wait until all of them have reached a point; reusable.
///
/// # Examples
/// ```
/// let b = tokio::sync::Barrier::new(1);
/// assert!(futures::executor::block_on(b.wait()).is_leader());
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
    event: Event,
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").field("n", &self.n).finish()
    }
}

impl Barrier {
    /// A barrier for `n` tasks (`n == 0` behaves as 1, as in tokio).
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n: n.max(1),
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
            }),
            event: Event::new(),
        }
    }

    /// Waits until `n` tasks have called `wait`; exactly one of them gets a leader result.
    pub async fn wait(&self) -> BarrierWaitResult {
        let (generation, listener) = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            s.arrived += 1;
            if s.arrived == self.n {
                s.arrived = 0;
                s.generation = s.generation.wrapping_add(1);
                drop(s);
                // Every waiter registered its listener under the lock, before this generation
                // ended, so notifying after the lock misses nobody (and wakes no one under it).
                self.event.notify(usize::MAX);
                return BarrierWaitResult(true);
            }
            // Registered under the lock, so the leader's notify cannot come before it.
            (s.generation, self.event.listen())
        };
        let mut listener = listener;
        loop {
            listener.await;
            let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if s.generation != generation {
                return BarrierWaitResult(false);
            }
            listener = self.event.listen();
        }
    }
}

/// What [`Barrier::wait`] returns.
#[derive(Debug, Clone)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this task was the barrier's leader (the last to arrive).
    pub fn is_leader(&self) -> bool {
        self.0
    }
}
