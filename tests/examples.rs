//! Every example but `schedtrace` runs in a short mode and says what it should.
//!
//! `cargo test` builds the examples before it runs integration tests, into
//! `target/<profile>/examples/`, next to this test's `deps/` folder. Each run has a watchdog:
//! a child still running after [`WATCHDOG`] is killed and the test fails with its output.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Longest an example may run (a debug build on 2 busy cores; they take a few seconds).
const WATCHDOG: Duration = Duration::from_secs(60);

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target/<profile>");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not built: `cargo test` builds the examples, `cargo test --test examples` alone does not (run `cargo build --examples` first)",
        path.display()
    );
    path
}

fn spawn(name: &str, args: &[&str]) -> Child {
    Command::new(example(name))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the example")
}

/// Runs an example to its end (or kills it after [`WATCHDOG`]) and returns its stdout;
/// fails unless it exits with 0.
fn run(name: &str, args: &[&str]) -> String {
    let mut child = spawn(name, args);
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = wait_or_kill(&mut child);
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    match status {
        Some(s) if s.success() => out,
        Some(s) => panic!("{name} {args:?} exited with {s}\nstdout:\n{out}\nstderr:\n{err}"),
        None => {
            panic!("{name} {args:?} still running after {WATCHDOG:?}: killed\nstdout:\n{out}\nstderr:\n{err}")
        }
    }
}

/// The exit status, or `None` if the child had to be killed.
fn wait_or_kill(child: &mut Child) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < WATCHDOG {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// The first line of `out` that starts with `prefix`, without the prefix.
fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{out}"))
}

#[test]
fn hello() {
    let out = run("hello", &[]);
    assert!(out.contains("computed by 1000 tasks = 500500"), "{out}");
}

#[test]
fn http_echo_short_run_has_no_errors() {
    let out = run(
        "http_echo",
        &["--requests", "1000", "--connections", "8", "--maxprocs", "2"],
    );
    assert_eq!(line(&out, "errors: "), "0", "{out}");
    assert!(line(&out, "requests: ").starts_with("8000 in "), "{out}");
    assert!(line(&out, "latency: ").contains("p99"), "{out}");
    assert!(line(&out, "metrics: ").contains("netpoll_wakeups="), "{out}");
    assert!(line(&out, "requests/s: ").parse::<f64>().unwrap() > 0.0, "{out}");
}

#[test]
fn http_echo_on_tokio() {
    let out = run(
        "http_echo",
        &["--runtime", "tokio", "--requests", "200", "--connections", "4"],
    );
    assert_eq!(line(&out, "errors: "), "0", "{out}");
    assert!(out.contains("runtime: tokio"), "{out}");
}

#[test]
fn http_echo_server_only_and_client_only() {
    let mut server = spawn("http_echo", &["--server-only", "--addr", "127.0.0.1:0"]);
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .split("http://")
        .nth(1)
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    let result = std::panic::catch_unwind(|| {
        run(
            "http_echo",
            &[
                "--client-only",
                "--addr",
                &addr,
                "--requests",
                "300",
                "--connections",
                "4",
                "--body-size",
                "5000",
            ],
        )
    });
    let _ = server.kill();
    let _ = server.wait();
    let out = result.unwrap_or_else(|e| std::panic::resume_unwind(e));
    assert_eq!(line(&out, "errors: "), "0", "{out}");
    assert!(line(&out, "requests: ").starts_with("1200 in "), "{out}");
}

#[test]
fn tcp_echo_checksums_match() {
    let out = run("tcp_echo", &["--connections", "4", "--messages", "500"]);
    assert_eq!(line(&out, "checksum mismatches: "), "0", "{out}");
    assert!(out.contains("4 connections x 500 messages x 1024 B"), "{out}");
}

#[test]
fn worker_pool_results_are_right() {
    let out = run("worker_pool", &["--workers", "4", "--jobs", "1000"]);
    assert_eq!(line(&out, "results: "), "ok", "{out}");
    assert!(out.contains("1000 jobs done by 4 workers"), "{out}");
}

#[test]
fn blocking_ticker_survives_with_sysmon_and_stalls_without() {
    let out = run("blocking", &["--block-ms", "300"]);
    let on = line(&out, "std::thread::sleep, sysmon on : ");
    let off = line(&out, "std::thread::sleep, sysmon off: ");
    let in_place = line(&out, "block_in_place,     sysmon on : ");
    let field = |l: &str, key: &str| -> f64 {
        l.split(',')
            .find_map(|p| p.trim().strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches(" ms").parse().ok())
            .unwrap_or_else(|| panic!("no {key:?} in {l:?}"))
    };
    // ~30 ticks are due; on a loaded CI machine a good part of them is enough to show it.
    assert!(field(on, "ticks during the block:") >= 5.0, "{out}");
    assert!(field(on, "handoffs:") >= 1.0, "{out}");
    assert!(field(in_place, "ticks during the block:") >= 5.0, "{out}");
    assert!(field(in_place, "handoffs:") >= 1.0, "{out}");
    // Without sysmon nothing takes the P from the blocked thread.
    assert_eq!(field(off, "ticks during the block:"), 0.0, "{out}");
    assert!(field(off, "longest gap:") >= 250.0, "{out}");
}

#[test]
fn hyper_hello_answers() {
    let out = run("hyper_hello", &["--requests", "50"]);
    assert_eq!(line(&out, "responses ok: "), "50/50", "{out}");
    assert!(
        out.contains("GET /gopher0 -> 200 OK \"Hello, gopher0!\""),
        "{out}"
    );
}

#[test]
fn axum_hello_answers_on_gosched_without_tokio() {
    let out = run("axum_hello", &["--requests", "30"]);
    assert_eq!(line(&out, "responses ok: "), "30/30", "{out}");
    let runtime = line(&out, "GET /runtime -> ");
    assert!(
        runtime.starts_with("gosched task ") && runtime.ends_with(", no tokio runtime"),
        "{out}"
    );
}

#[test]
fn axum_hello_on_tokio() {
    let out = run("axum_hello", &["--runtime", "tokio", "--requests", "10"]);
    assert_eq!(line(&out, "responses ok: "), "10/10", "{out}");
    assert!(out.contains("runtime: tokio"), "{out}");
}

/// The stdout of a running child, line by line, with a timeout per line.
struct Lines {
    rx: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Lines {
    fn of(child: &mut Child) -> Lines {
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines { rx, seen: Vec::new() }
    }

    /// Waits for the next line starting with `prefix` (skipping others); panics after
    /// [`WATCHDOG`] with everything seen so far.
    fn expect(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + WATCHDOG;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(e) => panic!(
                    "no line starting with {prefix:?} ({e}); got:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// The address in a `... listening on http://ADDR/` line.
    fn listening_addr(&mut self, prefix: &str) -> std::net::SocketAddr {
        let line = self.expect(prefix);
        line.split("http://")
            .nth(1)
            .and_then(|a| a.strip_suffix('/'))
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
    }
}

/// Sends `signal` (`TERM`, `INT`) to the child with kill(1).
fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("run kill(1)");
    assert!(status.success(), "kill -{signal} failed");
}

/// Kills the child when dropped (a failing test leaves no server behind).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `graceful_shutdown` on a free port with `args`, and one `GET /slow?ms={ms}` in
/// flight: the server, its output, the request's connection and the server's address.
fn graceful_with_slow_request(
    args: &[&str],
    ms: u64,
) -> (KillOnDrop, Lines, std::net::TcpStream, std::net::SocketAddr) {
    use std::io::Write;
    let args: Vec<&str> = ["--addr", "127.0.0.1:0"].iter().chain(args).copied().collect();
    let mut server = KillOnDrop(spawn("graceful_shutdown", &args));
    let mut out = Lines::of(&mut server.0);
    let addr = out.listening_addr("graceful_shutdown: listening on ");
    let mut slow = std::net::TcpStream::connect(addr).unwrap();
    write!(slow, "GET /slow?ms={ms} HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    out.expect(&format!("request 1: GET /slow?ms={ms} started"));
    (server, out, slow, addr)
}

#[test]
fn graceful_shutdown_answers_the_request_in_flight_refuses_new_ones_and_exits_0() {
    // A slow request, in flight when the signal comes.
    let (mut server, mut out, mut slow, addr) =
        graceful_with_slow_request(&["--drain-ms", "30000", "--maxprocs", "2"], 3000);

    send_signal(&server.0, "TERM");
    let shutdown = out.expect("shutdown: ");
    assert!(
        shutdown.contains("SIGTERM") && shutdown.contains("draining 1 in-flight"),
        "{shutdown}"
    );
    // Still draining (the slow request has seconds to go), yet no longer accepting.
    assert!(server.0.try_wait().unwrap().is_none(), "exited before the drain");
    let refused = std::net::TcpStream::connect(addr).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused, "{refused}");

    // The request in flight is answered in full.
    let mut response = String::new();
    slow.read_to_string(&mut response).unwrap();
    let body = "request 1: /slow?ms=3000 done after 3000 ms\n";
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response:?}");
    assert!(
        response.contains(&format!("Content-Length: {}\r\n", body.len())),
        "{response:?}"
    );
    assert!(response.ends_with(&format!("\r\n\r\n{body}")), "{response:?}");

    let drained = out.expect("drained: ");
    assert!(
        drained.starts_with("drained: 1 answered, 0 failed, 0 aborted"),
        "{drained}"
    );
    let status = wait_or_kill(&mut server.0).expect("still running after the drain");
    assert!(status.success(), "exit status {status}");
}

#[test]
fn graceful_shutdown_aborts_what_outlives_the_deadline_and_still_exits_0() {
    let (mut server, mut out, mut slow, _) = graceful_with_slow_request(&["--drain-ms", "200"], 60_000);

    send_signal(&server.0, "INT");
    assert!(out.expect("shutdown: ").contains("SIGINT"));
    let drained = out.expect("drained: ");
    assert!(
        drained.contains("0 answered, 0 failed, 1 aborted at the deadline"),
        "{drained}"
    );
    // The aborted request's connection is closed without an answer.
    let mut response = Vec::new();
    let _ = slow.read_to_end(&mut response);
    assert!(response.is_empty(), "{:?}", String::from_utf8_lossy(&response));
    let status = wait_or_kill(&mut server.0).expect("still running after the drain");
    assert!(status.success(), "exit status {status}");
}

#[test]
fn graceful_shutdown_stops_draining_at_a_second_signal() {
    let (mut server, mut out, _slow, _) = graceful_with_slow_request(&["--drain-ms", "60000"], 60_000);
    send_signal(&server.0, "TERM");
    out.expect("shutdown: SIGTERM");
    send_signal(&server.0, "TERM");
    let drained = out.expect("drained: ");
    assert!(
        drained.contains("0 answered, 0 failed, 1 aborted at a second signal"),
        "{drained}"
    );
    let status = wait_or_kill(&mut server.0).expect("still running after the second signal");
    assert!(status.success(), "exit status {status}");
}

#[test]
fn http_echo_server_only_drains_on_sigterm_and_prints_its_final_metrics() {
    use std::io::Write;
    let mut server = KillOnDrop(spawn(
        "http_echo",
        &[
            "--server-only",
            "--addr",
            "127.0.0.1:0",
            "--maxprocs",
            "2",
            "--drain-ms",
            "30000",
        ],
    ));
    let mut out = Lines::of(&mut server.0);
    let addr = out.listening_addr("http_echo (gosched): listening on ");

    // A POST whose body is half sent when the signal comes.
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.write_all(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nhello")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    send_signal(&server.0, "TERM");
    let draining = out.expect("http_echo: SIGTERM: ");
    assert!(draining.contains("draining 1 open connections"), "{draining}");
    assert!(server.0.try_wait().unwrap().is_none(), "exited before the drain");
    let refused = std::net::TcpStream::connect(addr).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused, "{refused}");

    // The rest of the body: the request is answered intact, then the connection closes.
    conn.write_all(b"world").unwrap();
    conn.shutdown(std::net::Shutdown::Write).unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response:?}");
    assert!(response.ends_with("\r\n\r\nhelloworld"), "{response:?}");
    drop(conn);

    let drained = out.expect("http_echo: drained: ");
    assert!(
        drained.contains("1 connections finished, 0 still open"),
        "{drained}"
    );
    assert!(out.expect("runtime: gosched").contains("spawned="));
    assert!(out.expect("metrics: ").contains("netpoll_wakeups="));
    let status = wait_or_kill(&mut server.0).expect("still running after the drain");
    assert!(status.success(), "exit status {status}");
}

#[test]
fn debugging_counts_the_two_slow_polls() {
    let out = run("debugging", &["0"]);
    assert!(out.contains("slow polls: 2;"), "{out}");
    assert!(out.contains("flight recorder snapshot: "), "{out}");
}

#[test]
fn debug_endpoint_self_check_gets_every_page() {
    let out = run("debug_endpoint", &["--addr", "127.0.0.1:0", "--self-check"]);
    assert!(out.contains("debug endpoint: http://127.0.0.1:"), "{out}");
    for page in [
        "/debug/gosched/ -> 200",
        "/debug/gosched/tasks?debug=1 -> 200",
        "/debug/gosched/tasks?debug=2 -> 200",
        "/debug/gosched/metrics -> 200",
        "/debug/gosched/schedtrace -> 200",
        "/debug/gosched/trace?seconds=0 -> 200",
    ] {
        assert!(out.contains(page), "{page}: {out}");
    }
    // The 100 parked tasks are the biggest group.
    assert!(
        out.contains("100 tasks spawned at examples/debug_endpoint.rs:"),
        "{out}"
    );
}
