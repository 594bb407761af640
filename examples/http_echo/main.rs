//! An HTTP/1.1 echo server under concurrent load: the README's main demo.
//!
//! `cargo run --release --example http_echo` starts the server on a free port of 127.0.0.1,
//! sends it 64 connections × 10,000 keep-alive requests from a built-in client that checks
//! every echo, and prints requests/s, p50/p99/p999 latency, the error count and the
//! runtime's metrics. The server alone, for `wrk` or `curl`:
//!
//! ```sh
//! cargo run --release --example http_echo -- --server-only --addr 127.0.0.1:8080
//! wrk -t1 -c64 -d5s http://127.0.0.1:8080/hello
//! cargo run --release --example http_echo -- --server-only --runtime tokio   # same code on tokio
//! ```
//!
//! `--server-only` stops gracefully on SIGTERM or Ctrl-C: it stops accepting, gives the open
//! connections up to `--drain-ms` to finish, prints the runtime's final metrics and exits 0.
//!
//! The server, the client and the rest live in the workspace crate `gosched-http-echo`
//! (`echo/src/`): `server.rs` is the server (limits: 8 KiB head → 431, 1 MiB body → 413,
//! malformed → 400, 30 s idle → close, a head not whole 10 s after its first byte → close, a
//! request not whole 60 s after its first byte → close, a response not written in 30 s →
//! close, at most `--max-connections` open (default: the descriptor limit less 64) → stop
//! accepting until one closes; `--idle-timeout-ms`, `--header-timeout-ms`,
//! `--body-timeout-ms`, `--write-timeout-ms`), `parse.rs` its request parser (bytes in,
//! answers out), `client.rs` the load, `rt.rs` the adapter that runs both on gosched or on
//! tokio; `drain.rs` the graceful stop of `--server-only`. This file is the command line.

use clap::{Parser, ValueEnum};
use gosched_http_echo::client::{self, Load, Progress, Report};
use gosched_http_echo::rt::{self, Rt};
use gosched_http_echo::{drain, server};
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The default address of `--server-only` and `--client-only`.
const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// How often the progress line is redrawn (on a terminal; otherwise a line every 4 of these).
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

#[derive(Parser, Debug)]
#[command(about = "HTTP/1.1 echo server and load generator on gosched (or tokio, to compare)")]
struct Args {
    /// Only run the server (until SIGTERM or Ctrl-C), on --addr (default 127.0.0.1:8080).
    #[arg(long, conflicts_with = "client_only")]
    server_only: bool,
    /// With --server-only: after SIGTERM or Ctrl-C, how long the open connections may take to
    /// finish before the server exits anyway.
    #[arg(long, default_value_t = 5_000)]
    drain_ms: u64,
    /// Only run the client, against the server at --addr (default 127.0.0.1:8080).
    #[arg(long)]
    client_only: bool,
    /// Address to listen on or connect to.
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Requests per connection.
    #[arg(long, default_value_t = 10_000)]
    requests: u64,
    /// Bytes in each POST body (every other request is a POST).
    #[arg(long, default_value_t = 64)]
    body_size: usize,
    /// Ps (gosched) or worker threads (tokio); default: GOSCHED_MAXPROCS or the CPU count.
    #[arg(long)]
    maxprocs: Option<usize>,
    /// The runtime under both server and client.
    #[arg(long, value_enum, default_value_t = RuntimeKind::Gosched)]
    runtime: RuntimeKind,
    /// Close a connection that sends nothing for this many milliseconds.
    #[arg(long, default_value_t = 30_000)]
    idle_timeout_ms: u64,
    /// Close a connection whose request head is not complete this many milliseconds after its
    /// first byte (slowloris).
    #[arg(long, default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// Close a connection whose request, head and body, is not complete this many
    /// milliseconds after its first byte (a body trickling in).
    #[arg(long, default_value_t = 60_000)]
    body_timeout_ms: u64,
    /// Serve at most this many connections at once; at the cap new clients wait in the
    /// listen backlog until one closes. Default: the descriptor limit (RLIMIT_NOFILE) less 64.
    #[arg(long)]
    max_connections: Option<usize>,
    /// Close a connection whose response takes longer than this many milliseconds to write (a
    /// client that does not read).
    #[arg(long, default_value_t = 30_000)]
    write_timeout_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum RuntimeKind {
    Gosched,
    Tokio,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let report = match args.runtime {
        RuntimeKind::Gosched => {
            let mut b = gosched::runtime::Builder::new();
            if let Some(n) = args.maxprocs {
                b = b.maxprocs(n);
            }
            let rt = b.build()?;
            let report = rt.block_on(async {
                let stop = args.server_only.then(drain::Stop::gosched).transpose()?;
                app::<rt::Gosched>(&args, stop).await
            })?;
            let m = rt.metrics();
            println!(
                "runtime: gosched maxprocs={} threads={} spawned={} polls={}",
                m.maxprocs, m.threads, m.spawned_total, m.polls_total
            );
            println!(
                "metrics: steals={} handoffs={} netpoll_wakeups={} preemptions={}",
                m.steals_total, m.handoffs_total, m.netpoll_wakeups_total, m.preemptions_total
            );
            // poll_duration is recorded only with GOSCHED_DEBUG=slowpoll=MS (or the recorder).
            let (s, p) = (&m.sched_latency, &m.poll_duration);
            println!(
                "scheduler: sched_latency p50 {:?} p99 {:?}, poll_duration p50 {:?} p99 {:?} ({} polls timed)",
                s.quantile(0.5),
                s.quantile(0.99),
                p.quantile(0.5),
                p.quantile(0.99),
                p.count()
            );
            report
        }
        RuntimeKind::Tokio => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            if let Some(n) = args.maxprocs {
                b.worker_threads(n);
            }
            let rt = b.enable_all().build()?;
            let report = rt.block_on(async {
                let stop = args.server_only.then(drain::Stop::tokio).transpose()?;
                app::<rt::Tokio>(&args, stop).await
            })?;
            let m = rt.metrics();
            println!("runtime: tokio worker_threads={}", m.num_workers());
            println!("metrics: (steals and the rest need --cfg tokio_unstable)");
            report
        }
    };
    if report.errors > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// Runs the server, the client or both; returns the client's report (an empty one for
/// `--server-only`, which returns once `stop` fired and the drain ended).
async fn app<R: Rt>(args: &Args, stop: Option<drain::Stop>) -> std::io::Result<Report> {
    let default_addr: SocketAddr = DEFAULT_ADDR.parse().expect("a literal address");
    let limits = server::Limits {
        idle: Duration::from_millis(args.idle_timeout_ms),
        header: Duration::from_millis(args.header_timeout_ms),
        body: Duration::from_millis(args.body_timeout_ms),
        write: Duration::from_millis(args.write_timeout_ms),
        max_connections: args
            .max_connections
            .unwrap_or_else(server::default_max_connections),
        ..server::Limits::default()
    };
    limits.check()?;
    let addr = if args.client_only {
        args.addr.unwrap_or(default_addr)
    } else {
        let bind = args.addr.unwrap_or(if args.server_only {
            default_addr
        } else {
            ([127, 0, 0, 1], 0).into()
        });
        let listener = R::bind(bind).await?;
        let addr = R::local_addr(&listener)?;
        println!("http_echo ({}): listening on http://{addr}/", R::NAME);
        std::io::stdout().flush()?;
        if let Some(stop) = stop {
            let drain = Duration::from_millis(args.drain_ms);
            drain::serve_until_stopped::<R>(listener, limits, stop, drain).await?;
            return Ok(Report {
                requests: 0,
                errors: 0,
                elapsed: Duration::ZERO,
                latencies: Vec::new(),
            });
        }
        drop(R::spawn(server::serve::<R>(listener, limits)));
        addr
    };
    let load = Load {
        addr,
        connections: args.connections,
        requests: args.requests,
        body_size: args.body_size,
    };
    println!(
        "load: {} connections x {} requests, {} B bodies, {}",
        load.connections,
        load.requests,
        load.body_size,
        R::NAME
    );
    let progress = Arc::new(Progress::default());
    let reporter = ProgressLine::start(progress.clone(), load.connections as u64 * load.requests);
    let report = client::run::<R>(&load, progress).await;
    reporter.stop();
    print_report(&report);
    Ok(report)
}

fn print_report(r: &Report) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("requests: {} in {:.3} s", r.requests, r.elapsed.as_secs_f64());
    println!("requests/s: {:.0}", r.rps());
    println!(
        "latency: p50 {:.3} ms, p99 {:.3} ms, p999 {:.3} ms, max {:.3} ms",
        ms(r.quantile(0.5)),
        ms(r.quantile(0.99)),
        ms(r.quantile(0.999)),
        ms(r.quantile(1.0))
    );
    println!("errors: {}", r.errors);
}

/// A thread that redraws a progress line on stderr (a plain line per second when stderr
/// is not a terminal).
struct ProgressLine {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl ProgressLine {
    fn start(progress: Arc<Progress>, total: u64) -> ProgressLine {
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || {
            let tty = std::io::stderr().is_terminal();
            let start = Instant::now();
            let mut tick = 0u64;
            while !stop2.load(Ordering::Relaxed) {
                std::thread::sleep(PROGRESS_EVERY);
                tick += 1;
                let done = progress.done.load(Ordering::Relaxed);
                let errors = progress.errors.load(Ordering::Relaxed);
                let rate = done as f64 / start.elapsed().as_secs_f64();
                let line = format!(
                    "progress: {done}/{total} requests ({:.0}%), {rate:.0} req/s, {errors} errors",
                    done as f64 * 100.0 / total.max(1) as f64
                );
                if tty {
                    eprint!("\r{line}   ");
                } else if tick % 4 == 0 {
                    eprintln!("{line}");
                }
            }
            if tty {
                eprintln!();
            }
        });
        ProgressLine { stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}
