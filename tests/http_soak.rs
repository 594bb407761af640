//! Soak and fault test of `examples/http_echo`'s server, for CI (about 15 s; a watchdog aborts
//! it at 60 s): for [`ATTACK`] the server (in-process, gosched, 2 Ps) serves
//! - [`GOOD_CLIENTS`] well-behaved clients: keep-alive connections of 20 requests each, GETs
//!   and POSTs of 0 B to 512 KiB of pseudo-random bytes, every echo checked byte for byte;
//! - a control client: one small GET every 10 ms on one connection, its latency recorded;
//! - a slow reader: pipelines 64 KiB POSTs and never reads (closed by the write deadline),
//!   again and again;
//! - [`SLOWLORIS`] slowloris connections: a head byte every 100 ms (closed by the header
//!   deadline), reopened when closed;
//! - a resetter: sends a request and closes without reading the answer (the kernel resets
//!   the connection), or closes in the middle of a body.
//!
//! Then it checks: 0 errors on the well-behaved and control clients, the attackers were closed
//! by the deadlines, every connection task is gone, the fd count is back to where it started,
//! and the resident memory grew by less than [`RSS_BOUND`].
//!
//! The numbers (requests, closes, the control client's p50/p99/max, fds, RSS) are printed.
//! Nothing is asserted about speed: the machine may be busy.

mod http_support;

use gosched_http_echo::server;
use gosched_testkit::{fd_count, holds_within, watchdog};
use http_support::{READ_LIMIT, conn_tasks, start};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the clients run.
const ATTACK: Duration = Duration::from_secs(12);
const GOOD_CLIENTS: usize = 4;
const SLOWLORIS: usize = 20;
/// The server's limits for this test: short enough that the attackers are closed several
/// times during [`ATTACK`], long enough that a well-behaved client on a busy 2-core machine
/// never hits them.
const IDLE: Duration = Duration::from_secs(5);
const HEADER: Duration = Duration::from_secs(1);
const WRITE: Duration = Duration::from_secs(2);
/// Resident memory may grow by at most this much over the run. What the server holds at the
/// peak: the good clients' largest echoes (4 connections × (512 KiB in + 512 KiB out)), the
/// slow reader's buffers (≤ 2 × 70 KiB), 21 other connections at 32 KiB: under 5 MiB. The
/// clients hold about as much again (request, expected and received copies of a 512 KiB
/// body per good client: 6 MiB). glibc keeps freed memory in per-thread arenas (up to 8 per
/// core here, ~10 threads allocate), so the peak stays resident: 4 × that 11 MiB is the
/// bound. A leak of a connection's buffers (16-32 KiB each, thousands of connections over
/// the run) or of a 512 KiB echo per request would pass it within seconds.
const RSS_BOUND: u64 = 48 * 1024 * 1024;

/// Resident set size, in bytes (`VmRSS` of /proc/self/status).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// xorshift64*: reproducible pseudo-random bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// What the run counted.
#[derive(Default)]
struct Counts {
    good_requests: AtomicU64,
    good_errors: AtomicU64,
    control_errors: AtomicU64,
    slow_reader_closed: AtomicU64,
    slowloris_closed: AtomicU64,
    resets: AtomicU64,
    errors: Mutex<Vec<String>>,
}

impl Counts {
    fn error(&self, counter: &AtomicU64, what: String) {
        counter.fetch_add(1, Ordering::Relaxed);
        let mut errors = self.errors.lock().unwrap();
        if errors.len() < 10 {
            errors.push(what);
        }
    }
}

fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(READ_LIMIT))?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// Reads one response; returns its body.
fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    if !head.starts_with("HTTP/1.1 200 OK\r\n") {
        return Err(std::io::Error::other(format!("bad status: {head:?}")));
    }
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| std::io::Error::other("no content-length"))?;
    while buf.len() < head_end + len {
        let mut chunk = vec![0u8; 64 * 1024];
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + len].to_vec();
    buf.drain(..head_end + len);
    Ok(body)
}

/// One well-behaved client: connections of 20 mixed requests until `stop`.
fn good_client(addr: SocketAddr, seed: u64, stop: &AtomicBool, counts: &Counts) {
    let mut rng = Rng(seed);
    while !stop.load(Ordering::Relaxed) {
        let mut s = match connect(addr) {
            Ok(s) => s,
            Err(e) => return counts.error(&counts.good_errors, format!("good connect: {e}")),
        };
        let mut buf = Vec::new();
        for i in 0..20 {
            let (req, want) = match rng.next() % 10 {
                0..=3 => {
                    let path = format!("/good/{}", rng.next() % 1000);
                    (
                        format!("GET {path} HTTP/1.1\r\n\r\n").into_bytes(),
                        path.into_bytes(),
                    )
                }
                4..=7 => {
                    let n = (rng.next() % 4096) as usize;
                    post(&mut rng, n)
                }
                8 => post(&mut rng, 64 * 1024),
                _ => post(&mut rng, 512 * 1024),
            };
            let res = s.write_all(&req).and_then(|()| read_response(&mut s, &mut buf));
            match res {
                Ok(body) if body == want => {
                    counts.good_requests.fetch_add(1, Ordering::Relaxed);
                }
                Ok(body) => {
                    return counts.error(
                        &counts.good_errors,
                        format!(
                            "good echo differs: {} B instead of {} B (request {i})",
                            body.len(),
                            want.len()
                        ),
                    );
                }
                Err(e) => return counts.error(&counts.good_errors, format!("good request {i}: {e}")),
            }
        }
    }
}

fn post(rng: &mut Rng, n: usize) -> (Vec<u8>, Vec<u8>) {
    let body = rng.bytes(n);
    let mut req = format!("POST /p HTTP/1.1\r\ncontent-length: {n}\r\n\r\n").into_bytes();
    req.extend_from_slice(&body);
    (req, body)
}

/// The control client: a small GET every 10 ms; returns the latencies.
fn control_client(addr: SocketAddr, stop: &AtomicBool, counts: &Counts) -> Vec<Duration> {
    let mut lat = Vec::new();
    let mut s = match connect(addr) {
        Ok(s) => s,
        Err(e) => {
            counts.error(&counts.control_errors, format!("control connect: {e}"));
            return lat;
        }
    };
    let mut buf = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        let res = s
            .write_all(b"GET /control HTTP/1.1\r\n\r\n")
            .and_then(|()| read_response(&mut s, &mut buf));
        match res {
            Ok(body) if body == b"/control" => lat.push(start.elapsed()),
            Ok(_) => counts.error(&counts.control_errors, "control echo differs".into()),
            Err(e) => {
                counts.error(&counts.control_errors, format!("control: {e}"));
                return lat;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    lat
}

/// Pipelines 64 KiB POSTs without reading until the server closes the connection; again until
/// `stop`. Returns how long each connection lasted.
fn slow_reader(addr: SocketAddr, stop: &AtomicBool, counts: &Counts) -> Vec<Duration> {
    let mut req = b"POST /slow HTTP/1.1\r\ncontent-length: 65536\r\n\r\n".to_vec();
    req.extend(std::iter::repeat_n(b's', 65536));
    let mut lasted = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = connect(addr) else { continue };
        s.set_write_timeout(Some(Duration::from_millis(100))).unwrap();
        let start = Instant::now();
        loop {
            if stop.load(Ordering::Relaxed) {
                return lasted;
            }
            match s.write(&req) {
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => {
                    counts.slow_reader_closed.fetch_add(1, Ordering::Relaxed);
                    lasted.push(start.elapsed());
                    break;
                }
            }
        }
    }
    lasted
}

/// `SLOWLORIS` connections sending a head byte each every 100 ms, reopened when the server
/// closes them. Returns how long each closed one lasted.
fn slowloris(addr: SocketAddr, stop: &AtomicBool, counts: &Counts) -> Vec<Duration> {
    const HEAD: &[u8] = b"GET /loris HTTP/1.1\r\nx-loris: ";
    let open = || -> Option<(TcpStream, Instant, usize)> {
        let s = connect(addr).ok()?;
        s.set_nonblocking(true).ok()?;
        Some((s, Instant::now(), 0))
    };
    let mut conns: Vec<Option<(TcpStream, Instant, usize)>> = (0..SLOWLORIS).map(|_| open()).collect();
    let mut lasted = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        for c in conns.iter_mut() {
            let closed = match c {
                Some((s, _, sent)) => {
                    let byte = HEAD.get(*sent).copied().unwrap_or(b'a');
                    let mut probe = [0u8; 64];
                    match s.read(&mut probe) {
                        Ok(_) => true,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => match s.write(&[byte]) {
                            Ok(_) => {
                                *sent += 1;
                                false
                            }
                            Err(e) => e.kind() != ErrorKind::WouldBlock,
                        },
                        Err(_) => true,
                    }
                }
                None => true,
            };
            if closed {
                if let Some((_, start, _)) = c.take() {
                    counts.slowloris_closed.fetch_add(1, Ordering::Relaxed);
                    lasted.push(start.elapsed());
                }
                *c = open();
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    lasted
}

/// Sends a request and closes without reading the answer (the unread answer makes the
/// kernel reset the connection), or closes in the middle of a body; again until `stop`.
fn resetter(addr: SocketAddr, stop: &AtomicBool, counts: &Counts) {
    let mut rng = Rng(99);
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = connect(addr) else { continue };
        let (req, _) = post(&mut rng, 16 * 1024);
        if rng.next() % 2 == 0 {
            let _ = s.write_all(&req);
            // Wait until the answer is here, then close with it unread: RST.
            let mut one = [0u8; 1];
            let _ = s.peek(&mut one);
        } else {
            let _ = s.write_all(&req[..req.len() / 2]);
        }
        drop(s);
        counts.resets.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

#[test]
fn http_echo_survives_slow_readers_slowloris_and_resets() {
    let _w = watchdog("http_soak", Duration::from_secs(60));
    let (rt, addr) = start(server::Limits {
        idle: IDLE,
        header: HEADER,
        write: WRITE,
        ..server::Limits::default()
    });
    // Warm up (the runtime's threads, the allocator), then the baseline.
    let mut s = connect(addr).unwrap();
    s.write_all(b"GET /warm HTTP/1.1\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut sink = Vec::new();
    s.read_to_end(&mut sink).unwrap();
    drop(s);
    // Bounded waits that do not assert: what is left is reported and checked below.
    let no_conn_tasks = || conn_tasks(&rt).is_empty();
    let _ = holds_within(Duration::from_secs(5), no_conn_tasks);
    let (fds0, rss0) = (fd_count(), rss());

    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts::default());
    let mut good = Vec::new();
    for i in 0..GOOD_CLIENTS {
        let (stop, counts) = (stop.clone(), counts.clone());
        good.push(std::thread::spawn(move || {
            good_client(addr, 1 + i as u64, &stop, &counts)
        }));
    }
    let spawn = |f: fn(SocketAddr, &AtomicBool, &Counts) -> Vec<Duration>| {
        let (stop, counts) = (stop.clone(), counts.clone());
        std::thread::spawn(move || f(addr, &stop, &counts))
    };
    let control = spawn(control_client);
    let slow = spawn(slow_reader);
    let loris = spawn(slowloris);
    let reset = {
        let (stop, counts) = (stop.clone(), counts.clone());
        std::thread::spawn(move || resetter(addr, &stop, &counts))
    };
    std::thread::sleep(ATTACK / 2);
    let rss_mid = rss();
    std::thread::sleep(ATTACK / 2);
    stop.store(true, Ordering::Relaxed);
    let rss_peak = rss();
    for g in good {
        g.join().unwrap();
    }
    let mut lat = control.join().unwrap();
    let slow_lasted = slow.join().unwrap();
    let loris_lasted = loris.join().unwrap();
    reset.join().unwrap();

    // Every connection of the run is closed by now or soon (the clients dropped theirs).
    let _ = holds_within(IDLE * 2, no_conn_tasks);
    let left = conn_tasks(&rt).len();
    let _ = holds_within(Duration::from_secs(5), || fd_count() <= fds0);
    let (fds1, rss1) = (fd_count(), rss());

    lat.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let max_ms = |v: &[Duration]| v.iter().max().map_or(0.0, |d| ms(*d));
    let min_ms = |v: &[Duration]| v.iter().min().map_or(0.0, |d| ms(*d));
    eprintln!(
        "soak {ATTACK:?}: {} good requests ({} errors), control {} requests ({} errors) p50 {:.2} ms p99 {:.2} ms max {:.2} ms",
        counts.good_requests.load(Ordering::Relaxed),
        counts.good_errors.load(Ordering::Relaxed),
        lat.len(),
        counts.control_errors.load(Ordering::Relaxed),
        ms(quantile(&lat, 0.5)),
        ms(quantile(&lat, 0.99)),
        ms(quantile(&lat, 1.0)),
    );
    eprintln!(
        "slow reader: {} connections closed by the {WRITE:?} write deadline (each lasted {:.0}..{:.0} ms); \
         slowloris: {} closed by the {HEADER:?} header deadline ({:.0}..{:.0} ms); {} resets",
        slow_lasted.len(),
        min_ms(&slow_lasted),
        max_ms(&slow_lasted),
        loris_lasted.len(),
        min_ms(&loris_lasted),
        max_ms(&loris_lasted),
        counts.resets.load(Ordering::Relaxed),
    );
    eprintln!(
        "fds {fds0} -> {fds1}; RSS {} KiB -> {} KiB at half time -> {} KiB at the end of the attack -> {} KiB after",
        rss0 / 1024,
        rss_mid / 1024,
        rss_peak / 1024,
        rss1 / 1024
    );
    let errors = counts.errors.lock().unwrap().clone();
    assert_eq!(counts.good_errors.load(Ordering::Relaxed), 0, "{errors:#?}");
    assert_eq!(counts.control_errors.load(Ordering::Relaxed), 0, "{errors:#?}");
    assert!(counts.good_requests.load(Ordering::Relaxed) > 0);
    assert!(!lat.is_empty());
    // The attackers were closed by the deadlines, and again after reconnecting.
    assert!(
        slow_lasted.len() >= 2,
        "slow reader closed {} times",
        slow_lasted.len()
    );
    assert!(
        loris_lasted.len() >= SLOWLORIS * 2,
        "slowloris closed {} times",
        loris_lasted.len()
    );
    assert!(
        loris_lasted.iter().all(|d| *d < IDLE),
        "a slowloris connection outlived the idle timeout: {:.0} ms",
        max_ms(&loris_lasted)
    );
    assert_eq!(left, 0, "connection tasks still alive after the run");
    assert!(fds1 <= fds0, "fds {fds0} -> {fds1}");
    assert!(
        rss1.saturating_sub(rss0) < RSS_BOUND,
        "RSS grew by {} KiB (bound {} KiB)",
        rss1.saturating_sub(rss0) / 1024,
        RSS_BOUND / 1024
    );
}
