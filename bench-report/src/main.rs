//! `cargo run --release -p gosched-bench-report`: runs the workspace's benchmarks in criterion's
//! quick mode, drives `examples/http_echo --server-only` on gosched and on tokio with `wrk`
//! (when installed) and with the example's own client, and writes `BENCHMARKS.md` (tables of
//! gosched vs tokio with their ratio, the machine and the date) and `bench-report/ratios.png`.
//!
//! Each bench runs with its own `CRITERION_HOME` (`target/bench-report/criterion/<bench>/`,
//! emptied first, so a concurrent `cargo bench` cannot mix in), and its results are read from
//! `**/new/{estimates,benchmark}.json` there (`mean.point_estimate`); markdown tables a bench prints on stdout (the
//! blocking bench's lateness table) are copied as they are.

mod plot;
mod results;
mod wrk;

use clap::Parser;
use results::{Pair, cell};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use wrk::HttpRun;

#[derive(Parser, Debug)]
#[command(about = "Run gosched's benchmarks (quick) and write BENCHMARKS.md")]
struct Args {
    /// The bench targets to run, in order (those without a `benches/<name>.rs` are skipped).
    #[arg(long, value_delimiter = ',', default_value = "scheduler,net,http,blocking")]
    benches: Vec<String>,
    /// Do not run the benches: report the results of the last run (target/bench-report/).
    #[arg(long)]
    skip_benches: bool,
    /// Rounds of each HTTP load (gosched and tokio alternate); the median is reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Seconds of each wrk run.
    #[arg(long, default_value_t = 5)]
    wrk_secs: u64,
    /// Skip the HTTP loads (wrk and the example's client).
    #[arg(long)]
    no_http: bool,
}

/// The workspace root (this package's parent).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("in the workspace")
        .to_owned()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root());
    c
}

/// Output of a shell-less command, trimmed; `?` when it cannot run.
fn sh(prog: &str, args: &[&str]) -> String {
    Command::new(prog)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "?".into(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        )
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("unknown CPU", |m| m.trim_start_matches([' ', '\t', ':']));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next()?.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or("?".into(), |kb| format!("{:.0} GiB", kb / 1024.0 / 1024.0));
    format!(
        "{model}, {cores} CPUs, {mem} RAM, Linux {}, {}",
        sh("uname", &["-r"]),
        sh("rustc", &["--version"])
    )
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// What one bench target produced.
struct BenchRun {
    name: String,
    pairs: Vec<Pair>,
    /// Markdown tables it printed, with the line before each.
    tables: Vec<String>,
    failed: Option<String>,
}

/// Runs `cargo bench --bench name -- --quick`, echoing its stdout to stderr and keeping a
/// copy in `target/bench-report/<name>.log`; then reads what criterion wrote meanwhile.
fn run_bench(name: &str, skip: bool) -> BenchRun {
    let dir = target_dir().join("bench-report");
    let log = dir.join(format!("{name}.log"));
    // Criterion writes here (CRITERION_HOME), apart from any other `cargo bench` running.
    let home = dir.join("criterion").join(name);
    let mut failed = None;
    if !skip {
        let _ = std::fs::remove_dir_all(&home);
        let _ = std::fs::create_dir_all(&home);
        eprintln!("== cargo bench --bench {name} -- --quick");
        let mut child = cargo()
            .args(["bench", "--bench", name, "--", "--quick"])
            .env("BLOCKING_BENCH_SECS", "1")
            .env("CRITERION_HOME", &home)
            .stdout(Stdio::piped())
            .spawn()
            .expect("run cargo");
        let mut text = String::new();
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        for line in stdout.lines().map_while(Result::ok) {
            eprintln!("{line}");
            text += &line;
            text.push('\n');
        }
        let status = child.wait().expect("wait for cargo");
        let _ = std::fs::write(&log, &text);
        if !status.success() {
            failed = Some(format!("`cargo bench --bench {name}` failed ({status})"));
        }
    }
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    BenchRun {
        name: name.to_owned(),
        pairs: results::pair(name, results::collect(&home)),
        tables: tables(&text),
        failed,
    }
}

/// The markdown tables in `text`, each with the non-empty line before it.
fn tables(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].starts_with('|') {
            let mut t = String::new();
            if i > 0 && !lines[i - 1].trim().is_empty() && !lines[i - 1].starts_with('|') {
                t += lines[i - 1].trim();
                t += "\n\n";
            }
            while i < lines.len() && lines[i].starts_with('|') {
                t += lines[i];
                t.push('\n');
                i += 1;
            }
            // Summary lines right after the table ("p99 ratio ...").
            while i < lines.len() && lines[i].contains("ratio") {
                t += &format!("\n{}", lines[i].trim());
                i += 1;
            }
            out.push(t);
        } else {
            i += 1;
        }
    }
    out
}

/// Alternates gosched and tokio `rounds` times; the median run of each.
fn http_loads(
    f: impl Fn(&'static str) -> Result<HttpRun, String>,
    rounds: usize,
) -> Result<(HttpRun, HttpRun), String> {
    let (mut g, mut t) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        g.push(f("gosched")?);
        t.push(f("tokio")?);
    }
    Ok((wrk::median(g).ok_or("no run")?, wrk::median(t).ok_or("no run")?))
}

/// The HTTP section: wrk's and the built-in client's results.
struct Http {
    wrk: Result<(HttpRun, HttpRun), String>,
    builtin: Result<(HttpRun, HttpRun), String>,
}

fn run_http(args: &Args) -> Http {
    eprintln!("== cargo build --release --example http_echo");
    let built = cargo()
        .args(["build", "--release", "--example", "http_echo"])
        .status();
    if !built.is_ok_and(|s| s.success()) {
        let e = "could not build examples/http_echo".to_owned();
        return Http {
            wrk: Err(e.clone()),
            builtin: Err(e),
        };
    }
    let exe = target_dir().join("release/examples/http_echo");
    let wrk_args: Vec<String> = ["-t1", "-c64", &format!("-d{}s", args.wrk_secs), "--latency"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let wrk = if wrk::have_wrk() {
        eprintln!("== wrk {} against http_echo --server-only", wrk_args.join(" "));
        http_loads(|rt| wrk::wrk(&exe, rt, &wrk_args), args.rounds)
    } else {
        Err("wrk is not installed (`apt-get install -y wrk`)".into())
    };
    eprintln!("== http_echo --requests 2000 (built-in client)");
    let builtin = http_loads(|rt| wrk::builtin(&exe, rt, &["--requests", "2000"]), args.rounds);
    Http { wrk, builtin }
}

fn main() {
    let args = Args::parse();
    let started = sh("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let load_before = loadavg();
    let runs: Vec<BenchRun> = args
        .benches
        .iter()
        .filter(|b| root().join("benches").join(format!("{b}.rs")).exists())
        .map(|b| run_bench(b, args.skip_benches))
        .collect();
    let http = (!args.no_http).then(|| run_http(&args));
    let load_after = loadavg();

    let mut bars = Vec::new();
    if let Some(h) = &http {
        for (label, r) in [
            ("HTTP echo, wrk -t1 -c64 (req/s)", &h.wrk),
            ("HTTP echo, built-in client (req/s)", &h.builtin),
        ] {
            if let Ok((g, t)) = r {
                bars.push((label.to_owned(), g.rps / t.rps));
            }
        }
    }
    for p in runs.iter().flat_map(|r| &r.pairs) {
        if let Some(ratio) = p.ratio() {
            bars.push((format!("{}: {}", p.bench, p.key), ratio));
        }
    }
    let png = root().join("bench-report/ratios.png");
    let labelled = match plot::draw(&png, &bars) {
        Ok(l) => Some(l),
        Err(e) => {
            eprintln!("plot: {e}");
            None
        }
    };
    let md = markdown(
        &Meta {
            started,
            load_before,
            load_after,
            labelled,
            reused: args.skip_benches,
        },
        &runs,
        http.as_ref(),
        &bars,
    );
    std::fs::write(root().join("BENCHMARKS.md"), md).expect("write BENCHMARKS.md");
    eprintln!("wrote BENCHMARKS.md and bench-report/ratios.png");
}

struct Meta {
    started: String,
    load_before: String,
    load_after: String,
    /// `None`: no plot; `Some(false)`: a plot without text.
    labelled: Option<bool>,
    /// The criterion results come from an earlier run.
    reused: bool,
}

fn markdown(meta: &Meta, runs: &[BenchRun], http: Option<&Http>, bars: &[(String, f64)]) -> String {
    let mut md = String::from("# Benchmarks: gosched vs tokio\n\n");
    let commit = sh(
        "git",
        &["-C", &root().to_string_lossy(), "rev-parse", "--short", "HEAD"],
    );
    let _ = writeln!(
        md,
        "Generated by `cargo run --release -p gosched-bench-report` on {} at commit `{commit}`.\n\n\
         - Machine: {}\n\
         - Load average (1/5/15 min) before: {}, after: {} (other work on the machine skews the numbers)\n\
         - Every workload runs on gosched (maxprocs = 2) and on tokio (worker_threads = 2) in the same \
         process and run. Criterion in quick mode (`--quick`): indicative numbers, expect ±10%.\n\
         - **Ratio** = gosched's speed ÷ tokio's (tokio's time per iteration ÷ gosched's, or gosched's \
         requests/s ÷ tokio's): above 1, gosched is faster.\n",
        meta.started,
        machine(),
        meta.load_before,
        meta.load_after
    );
    match meta.labelled {
        Some(labelled) => {
            let _ = writeln!(md, "![gosched/tokio speed ratios](bench-report/ratios.png)\n");
            if !labelled {
                md += "(No font file was found, so the plot has no text: bars are numbered top to bottom as below.)\n\n";
                for (i, (label, r)) in bars.iter().enumerate() {
                    let _ = writeln!(md, "{}. {label}: {r:.2}", i + 1);
                }
                md.push('\n');
            }
        }
        None => md += "(The plot could not be drawn.)\n\n",
    }
    if let Some(h) = http {
        http_section(&mut md, h);
    }
    criterion_section(&mut md, runs, meta.reused);
    for r in runs.iter().filter(|r| !r.tables.is_empty()) {
        let _ = writeln!(md, "## Tables printed by benches/{}.rs\n", r.name);
        for t in &r.tables {
            let _ = writeln!(md, "{t}\n");
        }
    }
    // Hand-written findings kept next to the generator, so a regeneration keeps them.
    if let Ok(notes) = std::fs::read_to_string(root().join("bench-report/notes.md")) {
        md += &notes;
        md.push('\n');
    }
    md += "## Reproduce\n\n```sh\n\
            cargo run --release -p gosched-bench-report        # everything above (~10 min on 2 cores)\n\
            cargo bench --bench http                           # one bench, full criterion run\n\
            cargo run --release --example http_echo -- --server-only --addr 127.0.0.1:8080 [--runtime tokio]\n\
            wrk -t1 -c64 -d5s --latency http://127.0.0.1:8080/hello\n```\n";
    md
}

fn http_section(md: &mut String, h: &Http) {
    for (title, what, r) in [
        (
            "HTTP echo against wrk",
            "`wrk -t1 -c64 -d5s --latency` against `http_echo --server-only` (GET /hello, keep-alive)",
            &h.wrk,
        ),
        (
            "HTTP echo, built-in client",
            "`http_echo --requests 2000`: server and client (64 connections × 2,000 requests, POST 64 B / GET alternating, every echo checked) in one process",
            &h.builtin,
        ),
    ] {
        let _ = writeln!(
            md,
            "## {title}\n\n{what}; the median of the rounds by requests/s.\n"
        );
        match r {
            Ok((g, t)) => {
                md.push_str(
                    "| server | requests/s | p50 latency | p99 latency | errors |\n|---|---|---|---|---|\n",
                );
                for run in [g, t] {
                    let _ = writeln!(
                        md,
                        "| {} | {:.0} | {:.3} ms | {:.3} ms | {} |",
                        run.runtime, run.rps, run.p50_ms, run.p99_ms, run.errors
                    );
                }
                let _ = writeln!(
                    md,
                    "\nrequests/s gosched ÷ tokio: **{:.2}** (target ≥ 1.10); p99 gosched ÷ tokio: **{:.2}** (target ≤ 1.00)\n",
                    g.rps / t.rps,
                    g.p99_ms / t.p99_ms
                );
            }
            Err(e) => {
                let _ = writeln!(md, "Not measured: {e}\n");
            }
        }
    }
}

fn criterion_section(md: &mut String, runs: &[BenchRun], reused: bool) {
    md.push_str("## Criterion benchmarks\n\nMean time per iteration (and the rate, where the bench declares a throughput).");
    if reused {
        md.push_str(" Reused from the previous run (`--skip-benches`): not measured at the date above.");
    }
    md.push_str("\n\n");
    md.push_str("| bench | benchmark | gosched | tokio | ratio |\n|---|---|---|---|---|\n");
    for r in runs {
        if let Some(e) = &r.failed {
            let _ = writeln!(md, "| {} | {e} | | | |", r.name);
        }
        if r.pairs.is_empty() && r.failed.is_none() {
            let _ = writeln!(md, "| {} | (no criterion results) | | | |", r.name);
        }
        for p in &r.pairs {
            let side = |e: &Option<results::Estimate>| e.as_ref().map_or("—".into(), cell);
            let ratio = p.ratio().map_or("—".into(), |x| format!("**{x:.2}**"));
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {ratio} |",
                r.name,
                p.key,
                side(&p.gosched),
                side(&p.tokio)
            );
        }
    }
    md.push('\n');
}
