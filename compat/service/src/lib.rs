//! A small HTTP service written only against tokio, axum, reqwest and hyper-util — no gosched
//! in sight — that the `compat/` workspace builds with crates.io `tokio` patched to the facade.
//! Its tests are the facade's proof: axum::serve with graceful shutdown, reqwest and hyper-util
//! clients, timeouts and the sync primitives across tasks, all running as gosched tasks.
//!
//! Routes:
//! - `GET /hello/{name}`: `hello, {name}`;
//! - `POST /echo`: the body back;
//! - `GET /square/{n}`: `n * n`, computed by a worker task reached over an `mpsc` channel with a
//!   `oneshot` reply, under `tokio::time::timeout`;
//! - `GET /hits`: how many requests the service answered (a `tokio::sync::Mutex` held across an
//!   await);
//! - `GET /config`: the current value of a `watch` channel (`Service::set_config` changes it);
//! - `GET /slow`: answers after 100 ms, holding one of `SLOW_PERMITS` semaphore permits.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, Semaphore, mpsc, oneshot, watch};

/// Concurrent `/slow` requests at most.
pub const SLOW_PERMITS: usize = 4;

/// A job for the squaring worker: the number and where to send the answer.
type Job = (u64, oneshot::Sender<u64>);

/// The service's shared state.
#[derive(Clone)]
pub struct Service {
    hits: Arc<Mutex<u64>>,
    jobs: mpsc::Sender<Job>,
    config: watch::Receiver<String>,
    config_tx: Arc<watch::Sender<String>>,
    slow: Arc<Semaphore>,
    /// The most `/slow` requests seen inside the semaphore at once.
    slow_peak: Arc<AtomicUsize>,
    slow_now: Arc<AtomicUsize>,
    /// `/slow` requests that reached their handler.
    slow_entered: Arc<AtomicUsize>,
    /// Handler runs that were not on a gosched task (always 0 unless the facade is broken).
    off_gosched: Arc<AtomicU64>,
}

impl Service {
    /// Builds the state and spawns the squaring worker (inside a tokio runtime).
    pub fn new() -> Service {
        let (jobs, mut rx) = mpsc::channel::<Job>(64);
        tokio::spawn(async move {
            while let Some((n, reply)) = rx.recv().await {
                let _ = reply.send(n.wrapping_mul(n));
            }
        });
        let (config_tx, config) = watch::channel(String::from("v1"));
        Service {
            hits: Arc::default(),
            jobs,
            config,
            config_tx: Arc::new(config_tx),
            slow: Arc::new(Semaphore::new(SLOW_PERMITS)),
            slow_peak: Arc::default(),
            slow_now: Arc::default(),
            slow_entered: Arc::default(),
            off_gosched: Arc::default(),
        }
    }

    /// The axum router over this state.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/hello/{name}", get(hello))
            .route("/echo", post(echo))
            .route("/square/{n}", get(square))
            .route("/hits", get(hits))
            .route("/config", get(config))
            .route("/slow", get(slow))
            .with_state(self.clone())
    }

    /// Serves on `listener` until `shutdown` resolves, then drains in-flight requests
    /// (`axum::serve` with graceful shutdown).
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// Publishes a new configuration; `/config` answers it from then on.
    pub fn set_config(&self, value: &str) {
        self.config_tx.send_replace(value.to_string());
    }

    /// Handler runs that were not on a gosched task.
    pub fn off_gosched(&self) -> u64 {
        self.off_gosched.load(Ordering::Relaxed)
    }

    /// The most `/slow` requests that held a permit at once.
    pub fn slow_peak(&self) -> usize {
        self.slow_peak.load(Ordering::Relaxed)
    }

    /// How many `/slow` requests reached their handler.
    pub fn slow_entered(&self) -> usize {
        self.slow_entered.load(Ordering::SeqCst)
    }

    /// Records where a handler runs, and counts the request.
    async fn enter(&self) {
        if !on_gosched_task() {
            self.off_gosched.fetch_add(1, Ordering::Relaxed);
        }
        let mut hits = self.hits.lock().await;
        tokio::task::yield_now().await;
        *hits += 1;
    }
}

impl Default for Service {
    fn default() -> Self {
        Service::new()
    }
}

/// Whether this code runs as a gosched task (checked with gosched itself when the `gosched`
/// feature is on; without it, as a tokio task).
#[cfg(feature = "gosched")]
pub fn on_gosched_task() -> bool {
    gosched_executor::task::try_id().is_some()
}

/// Whether this code runs as a gosched task (checked with gosched itself when the `gosched`
/// feature is on; without it, as a tokio task).
#[cfg(not(feature = "gosched"))]
pub fn on_gosched_task() -> bool {
    tokio::task::try_id().is_some()
}

async fn hello(State(s): State<Service>, Path(name): Path<String>) -> String {
    s.enter().await;
    format!("hello, {name}")
}

async fn echo(State(s): State<Service>, body: String) -> String {
    s.enter().await;
    body
}

async fn square(State(s): State<Service>, Path(n): Path<u64>) -> Result<String, (StatusCode, String)> {
    s.enter().await;
    let unavailable = |what: &str| (StatusCode::SERVICE_UNAVAILABLE, what.to_string());
    let (tx, rx) = oneshot::channel();
    s.jobs
        .send((n, tx))
        .await
        .map_err(|_| unavailable("worker gone"))?;
    match tokio::time::timeout(Duration::from_secs(5), rx).await {
        Ok(Ok(sq)) => Ok(sq.to_string()),
        Ok(Err(_)) => Err(unavailable("worker dropped the job")),
        Err(_) => Err(unavailable("worker timed out")),
    }
}

async fn hits(State(s): State<Service>) -> String {
    s.enter().await;
    s.hits.lock().await.to_string()
}

async fn config(State(mut s): State<Service>) -> String {
    s.enter().await;
    s.config.borrow_and_update().clone()
}

async fn slow(State(s): State<Service>) -> &'static str {
    s.enter().await;
    s.slow_entered.fetch_add(1, Ordering::SeqCst);
    let _permit = s.slow.acquire().await.expect("the semaphore is never closed");
    let now = s.slow_now.fetch_add(1, Ordering::SeqCst) + 1;
    s.slow_peak.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.slow_now.fetch_sub(1, Ordering::SeqCst);
    "slow"
}
