//! Randomized stress test of the whole runtime: tasks that spawn, yield, sleep, call
//! `block_in_place` and `spawn_blocking`, talk over loopback TCP and UDP, abort each other and
//! drop `JoinSet`s, on runtimes of 1 to 4 Ps that are built and dropped one after another.
//!
//! What it checks, every round:
//! - every task is accounted for exactly once: its future either returned `Ready` (completed)
//!   or was dropped before that (cancelled), never both, never twice, never neither;
//! - a `JoinHandle` agrees with the task: `Ok` only after the task completed, a cancelled
//!   `JoinError` only after its future was dropped;
//! - every TCP echo comes back byte for byte;
//! - after the runtime is dropped, the process's file descriptors and threads are back to what
//!   they were before the round.
//!
//! The run is reproducible in its choices (not in its interleavings): the seed is printed at the
//! start. `GOSCHED_STRESS_SEED=N` replays a seed, `GOSCHED_STRESS_SECS=S` sets the length
//! (default 20 s, which keeps CI's whole run within its budget). A watchdog aborts a hung run, printing the
//! seed.

use gosched::net::{TcpListener, TcpStream, UdpSocket};
use gosched::runtime::{Builder, Runtime};
use gosched::task::{AbortHandle, JoinHandle, JoinSet};
use gosched_testkit::{fd_count, holds_within, thread_count, watchdog};
use std::future::Future;
use std::io::Write as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The run's length when `GOSCHED_STRESS_SECS` is not set.
const DEFAULT_SECS: u64 = 20;
/// Tasks one round may spawn at most (roots, children, connection handlers).
const MAX_TASKS_PER_ROUND: usize = 3_000;
/// How deep children may nest.
const MAX_DEPTH: u32 = 3;
/// Abort handles kept for random aborts (the most recent ones).
const ABORT_POOL: usize = 64;
/// How long a round's driver runs before it lets the runtime drop the rest.
const ROUND_WALL: Duration = Duration::from_millis(400);
/// How long fds and threads may take to return after a runtime is dropped (blocking-pool
/// threads finish their job first).
const SETTLE: Duration = Duration::from_secs(10);

/// A task's fate in the ledger.
const PENDING: u8 = 0;
const COMPLETED: u8 = 1;
const CANCELLED: u8 = 2;

/// xorshift64*: deterministic choices from the seed, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

/// Everything the tasks of one round share.
struct Round {
    /// One fate cell per task spawned this round.
    ledger: Mutex<Vec<Arc<AtomicU8>>>,
    aborts: Mutex<Vec<AbortHandle>>,
    spawned: AtomicUsize,
    tcp: std::net::SocketAddr,
    udp: std::net::SocketAddr,
    /// Set when the driver returns: tasks stop starting new network work.
    closing: AtomicBool,
    echoes: AtomicUsize,
    datagrams: AtomicUsize,
}

/// Wraps a task's future and records its fate exactly once.
struct Tracked<F> {
    inner: Pin<Box<F>>,
    fate: Arc<AtomicU8>,
    done: bool,
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        assert!(!self.done, "a task was polled after it completed");
        let out = self.inner.as_mut().poll(cx);
        if out.is_ready() {
            let was = self.fate.swap(COMPLETED, Ordering::SeqCst);
            assert_eq!(was, PENDING, "a task completed after it was settled");
            self.done = true;
        }
        out
    }
}

impl<F> Drop for Tracked<F> {
    fn drop(&mut self) {
        if !self.done {
            let was = self.fate.swap(CANCELLED, Ordering::SeqCst);
            assert_eq!(was, PENDING, "a task's future was dropped twice");
        }
    }
}

impl Round {
    /// Registers a new task in the ledger; `None` once the round has spawned its share.
    fn track<F: Future>(&self, f: F) -> Option<(Tracked<F>, Arc<AtomicU8>)> {
        if self.spawned.fetch_add(1, Ordering::Relaxed) >= MAX_TASKS_PER_ROUND {
            return None;
        }
        let fate = Arc::new(AtomicU8::new(PENDING));
        self.ledger.lock().unwrap().push(fate.clone());
        let tracked = Tracked {
            inner: Box::pin(f),
            fate: fate.clone(),
            done: false,
        };
        Some((tracked, fate))
    }

    fn keep_abort(&self, h: AbortHandle) {
        let mut aborts = self.aborts.lock().unwrap();
        if aborts.len() == ABORT_POOL {
            aborts.remove(0);
        }
        aborts.push(h);
    }
}

/// Spawns a tracked task running a random program.
fn spawn_program(round: &Arc<Round>, depth: u32, seed: u64) -> Option<(JoinHandle<u64>, Arc<AtomicU8>)> {
    let (task, fate) = round.track(program(round.clone(), depth, seed))?;
    let handle = gosched::spawn(task);
    round.keep_abort(handle.abort_handle());
    Some((handle, fate))
}

/// Checks that what a `JoinHandle` returned agrees with the task's recorded fate.
fn check_join(res: &Result<u64, gosched::task::JoinError>, fate: &AtomicU8) {
    match res {
        Ok(_) => assert_eq!(fate.load(Ordering::SeqCst), COMPLETED, "Ok before completion"),
        Err(e) => {
            assert!(e.is_cancelled(), "a task failed other than by cancellation: {e}");
            assert_eq!(
                fate.load(Ordering::SeqCst),
                CANCELLED,
                "a cancelled JoinError before the future was dropped"
            );
        }
    }
}

/// A random sequence of operations; returns a checksum of what it did.
async fn program(round: Arc<Round>, depth: u32, seed: u64) -> u64 {
    let mut rng = Rng::new(seed);
    let mut acc = 0u64;
    for _ in 0..1 + rng.below(8) {
        acc = acc.wrapping_add(step(&round, depth, &mut rng).await);
    }
    acc
}

/// One random operation. Boxed: it recurses through `program`.
fn step<'a>(
    round: &'a Arc<Round>,
    depth: u32,
    rng: &'a mut Rng,
) -> Pin<Box<dyn Future<Output = u64> + Send + 'a>> {
    Box::pin(async move {
        match rng.below(13) {
            0 => gosched::task::yield_now().await,
            1 => gosched::time::sleep(Duration::from_micros(rng.below(2_000))).await,
            2 => {
                let spin = rng.below(300);
                return gosched::block_in_place(move || busy(spin));
            }
            3 => {
                let x = rng.next();
                match gosched::spawn_blocking(move || x.rotate_left(7)).await {
                    Ok(got) => assert_eq!(got, x.rotate_left(7)),
                    // A task that is mid-poll when its runtime shuts down sees the shutdown.
                    Err(e) => assert!(e.to_string().contains("shut down"), "blocking job: {e}"),
                }
            }
            4 if depth < MAX_DEPTH => return child(round, depth, rng).await,
            5 => return tcp_echo(round, rng).await,
            6 => return udp_echo(round, rng).await,
            7 => {
                let victim = {
                    let aborts = round.aborts.lock().unwrap();
                    let n = aborts.len() as u64;
                    (n > 0).then(|| aborts[rng.below(n) as usize].clone())
                };
                if let Some(h) = victim {
                    h.abort();
                }
            }
            8 if depth < MAX_DEPTH => return join_set(round, depth, rng).await,
            9 => {
                for _ in 0..rng.below(300) {
                    gosched::task::consume_budget().await;
                }
            }
            10 => {
                // Blocks its thread inside a poll: sysmon retakes the P after ~1 ms.
                std::thread::sleep(Duration::from_micros(rng.below(3_000)));
            }
            11 => {
                // Two block_in_place calls in one poll: the second must not hand off a P
                // this M no longer owns.
                let (a, b) = (rng.below(200), rng.below(200));
                return gosched::block_in_place(move || busy(a))
                    .wrapping_add(gosched::block_in_place(move || busy(b)));
            }
            _ => return busy(rng.below(100)),
        }
        1
    })
}

/// Spins about `micros` µs of CPU, returning a checksum.
fn busy(micros: u64) -> u64 {
    let start = Instant::now();
    let mut x = micros;
    while start.elapsed() < Duration::from_micros(micros) {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    }
    x
}

/// Spawns a child, then awaits it, detaches it, or aborts and awaits it.
async fn child(round: &Arc<Round>, depth: u32, rng: &mut Rng) -> u64 {
    let Some((handle, fate)) = spawn_program(round, depth + 1, rng.next()) else {
        return 0;
    };
    match rng.below(3) {
        0 => drop(handle),
        1 => {
            let res = handle.await;
            check_join(&res, &fate);
            return res.unwrap_or(0);
        }
        _ => {
            handle.abort();
            let res = handle.await;
            check_join(&res, &fate);
        }
    }
    1
}

/// Fans children out on a `JoinSet`, joins some of them, then drops it, shuts it down or
/// aborts it.
async fn join_set(round: &Arc<Round>, depth: u32, rng: &mut Rng) -> u64 {
    let mut set = JoinSet::new();
    let mut fates = Vec::new();
    for _ in 0..1 + rng.below(5) {
        let Some((task, fate)) = round.track(program(round.clone(), depth + 1, rng.next())) else {
            break;
        };
        round.keep_abort(set.spawn(task));
        fates.push(fate);
    }
    let mut joined = 0;
    for _ in 0..rng.below(fates.len() as u64 + 1) {
        match set.join_next().await {
            Some(Ok(v)) => joined = v.wrapping_add(joined),
            Some(Err(e)) => assert!(e.is_cancelled(), "a JoinSet task failed: {e}"),
            None => break,
        }
    }
    match rng.below(3) {
        0 => drop(set),
        1 => set.shutdown().await,
        _ => {
            set.abort_all();
            while let Some(res) = set.join_next().await {
                if let Err(e) = res {
                    assert!(e.is_cancelled(), "a JoinSet task failed: {e}");
                }
            }
        }
    }
    joined
}

/// A socket call's result, or `None` when it failed because the runtime is shutting down (a
/// task that is mid-poll when the runtime is dropped may still make one); any other error
/// fails the test.
fn unless_shut_down<T>(res: std::io::Result<T>) -> Option<T> {
    match res {
        Ok(v) => Some(v),
        Err(e) if e.to_string().contains("shut down") => None,
        Err(e) => panic!("a socket call failed: {e}"),
    }
}

/// One connection's round trip through the round's TCP echo server, checked byte for byte.
async fn tcp_echo(round: &Round, rng: &mut Rng) -> u64 {
    use futures::{AsyncReadExt, AsyncWriteExt};
    if round.closing.load(Ordering::Relaxed) {
        return 0;
    }
    let len = 1 + rng.below(16 * 1024) as usize;
    let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
    let Some(mut s) = unless_shut_down(TcpStream::connect(round.tcp).await) else {
        return 0;
    };
    let (mut r, mut w) = (&s, &s);
    let mut back = vec![0u8; len];
    let (wrote, read) = futures::join!(w.write_all(&data), r.read_exact(&mut back));
    if unless_shut_down(wrote).is_none() || unless_shut_down(read).is_none() {
        return 0;
    }
    assert!(back == data, "the echo differs from what was sent");
    s.close().await.ok();
    round.echoes.fetch_add(1, Ordering::Relaxed);
    len as u64
}

/// One datagram to the round's UDP echo task; a lost one (rare on loopback) is not an error.
async fn udp_echo(round: &Round, rng: &mut Rng) -> u64 {
    if round.closing.load(Ordering::Relaxed) {
        return 0;
    }
    let Some(sock) = unless_shut_down(UdpSocket::bind("127.0.0.1:0").await) else {
        return 0;
    };
    let msg = rng.next().to_le_bytes();
    if unless_shut_down(sock.send_to(&msg, round.udp).await).is_none() {
        return 0;
    }
    let mut buf = [0u8; 16];
    let wait = Duration::from_millis(200);
    if let Ok(got) = gosched::time::timeout(wait, sock.recv_from(&mut buf)).await {
        let Some((n, _)) = unless_shut_down(got) else {
            return 0;
        };
        assert_eq!(&buf[..n], &msg, "the datagram echo differs");
        round.datagrams.fetch_add(1, Ordering::Relaxed);
    }
    1
}

/// The round's TCP echo server: one tracked task per connection.
async fn tcp_server(listener: TcpListener, round: Arc<Round>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            gosched::time::sleep(Duration::from_millis(1)).await;
            continue;
        };
        let Some((conn, _)) = round.track(async move {
            let (r, mut w) = (&stream, &stream);
            futures::io::copy(r, &mut w).await.ok();
        }) else {
            continue;
        };
        gosched::spawn(conn);
    }
}

/// The round's UDP echo task.
async fn udp_server(sock: UdpSocket) {
    let mut buf = [0u8; 64];
    loop {
        if let Ok((n, from)) = sock.recv_from(&mut buf).await {
            sock.send_to(&buf[..n], from).await.ok();
        }
    }
}

/// One round: a runtime built with random settings, a burst of random programs, then the
/// runtime dropped with whatever is still running.
fn round(seed: u64, stats: &mut Stats) {
    let mut rng = Rng::new(seed);
    let maxprocs = 1 + rng.below(4) as usize;
    let rt = Builder::new()
        .maxprocs(maxprocs)
        .max_blocking_threads(1 + rng.below(8) as usize)
        .blocking_keep_alive(Duration::from_millis(1 + rng.below(50)))
        .sysmon(!rng.chance(5))
        .build()
        .expect("build a runtime");
    let round = drive(&rt, &mut rng);
    if rng.chance(3) {
        rt.shutdown_timeout(Duration::from_secs(5));
    } else {
        drop(rt);
    }
    stats.count(&round, seed);
}

/// Starts the servers and the roots, awaits some roots, and returns when the round's wall
/// time is up.
fn drive(rt: &Runtime, rng: &mut Rng) -> Arc<Round> {
    let roots = 10 + rng.below(50);
    let driver_seed = rng.next();
    rt.block_on(async move {
        let mut rng = Rng::new(driver_seed);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let round = Arc::new(Round {
            ledger: Mutex::default(),
            aborts: Mutex::default(),
            spawned: AtomicUsize::new(0),
            tcp: listener.local_addr().unwrap(),
            udp: udp.local_addr().unwrap(),
            closing: AtomicBool::new(false),
            echoes: AtomicUsize::new(0),
            datagrams: AtomicUsize::new(0),
        });
        let (server, _) = round.track(tcp_server(listener, round.clone())).unwrap();
        gosched::spawn(server);
        let (server, _) = round.track(udp_server(udp)).unwrap();
        gosched::spawn(server);
        let start = Instant::now();
        let mut waiting = Vec::new();
        for _ in 0..roots {
            if let Some(root) = spawn_program(&round, 0, rng.next()) {
                waiting.push(root);
            }
        }
        for (handle, fate) in waiting {
            let left = ROUND_WALL.saturating_sub(start.elapsed());
            if left.is_zero() || rng.chance(16) {
                break;
            }
            if let Ok(res) = gosched::time::timeout(left, handle).await {
                check_join(&res, &fate);
            }
        }
        round.closing.store(true, Ordering::Relaxed);
        round
    })
}

#[derive(Default)]
struct Stats {
    rounds: u64,
    tasks: u64,
    completed: u64,
    cancelled: u64,
    echoes: u64,
    datagrams: u64,
}

impl Stats {
    /// Counts the round's ledger; every task must be settled once its runtime is gone.
    fn count(&mut self, round: &Round, seed: u64) {
        let ledger = round.ledger.lock().unwrap();
        for (i, fate) in ledger.iter().enumerate() {
            match fate.load(Ordering::SeqCst) {
                COMPLETED => self.completed += 1,
                CANCELLED => self.cancelled += 1,
                _ => panic!("round seed {seed}: task {i} neither completed nor cancelled"),
            }
        }
        self.rounds += 1;
        self.tasks += ledger.len() as u64;
        self.echoes += round.echoes.load(Ordering::Relaxed) as u64;
        self.datagrams += round.datagrams.load(Ordering::Relaxed) as u64;
    }
}

/// Waits (bounded) until the process's fds and threads are back to `base`.
fn settle(base: (usize, usize), seed: u64) {
    let now = || (fd_count(), thread_count());
    assert!(
        holds_within(SETTLE, || now() == base),
        "round seed {seed}: (fds, threads) = {:?} after the runtime was dropped, {base:?} before",
        now()
    );
}

/// Panics anywhere in the process (a task's, a worker's, a blocking thread's): none is
/// expected, and a runtime thread's panic would otherwise only show as a hang.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default(info);
    }));
}

/// Reads a `u64` setting from the environment.
fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
    )
}

/// Writes to the process's stderr directly, so the line survives an abort (the test harness
/// captures `eprintln!`).
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[test]
fn random_programs_account_for_every_task() {
    let seed = env_u64("GOSCHED_STRESS_SEED").unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        t.as_nanos() as u64
    });
    let secs = env_u64("GOSCHED_STRESS_SECS").unwrap_or(DEFAULT_SECS);
    say(&format!(
        "stress_random: seed {seed} for {secs} s (replay: GOSCHED_STRESS_SEED={seed})"
    ));
    count_panics();
    let _w = watchdog(
        &format!("stress_random, seed {seed}"),
        Duration::from_secs(secs + 120),
    );
    let base = (fd_count(), thread_count());
    let mut rng = Rng::new(seed);
    let mut stats = Stats::default();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        let round_seed = rng.next();
        round(round_seed, &mut stats);
        let panics = PANICS.load(Ordering::SeqCst);
        assert_eq!(panics, 0, "round seed {round_seed}: {panics} panics (see above)");
        settle(base, round_seed);
    }
    say(&format!(
        "stress_random: {} rounds, {} tasks ({} completed, {} cancelled), {} TCP echoes, \
         {} datagrams",
        stats.rounds, stats.tasks, stats.completed, stats.cancelled, stats.echoes, stats.datagrams
    ));
    assert!(stats.rounds > 0 && stats.completed > 0, "the run did no work");
}
