//! The flight recorder: `write_trace` snapshots mid-run, its error when nothing records, and
//! the trace written on SIGTERM with `GOSCHED_TRACE` (in a child process).

mod common;

use common::watchdog;
use gosched_executor::runtime::{Builder, Handle, Runtime};
use serde_json::Value;
use std::io::BufReader;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("gosched-fr-{}-{name}.json", std::process::id()))
}

/// The poll events ("X") of a Chrome trace file, as (name, spawned_at).
fn polls(path: &PathBuf) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    v["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["args"]["spawned_at"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn write_trace_mid_run_has_the_events_so_far() {
    let _w = watchdog("write_trace_mid_run", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(2).flight_recorder(true).build().unwrap();
    let (first, second) = (temp("first"), temp("second"));
    rt.block_on(async {
        for _ in 0..100 {
            gosched_executor::spawn(async {}).await.unwrap();
        }
        // Each M records a poll's event just after the poll woke its awaiter: let the last
        // ones land (this is the block_on thread, not a worker).
        std::thread::sleep(Duration::from_millis(100));
        Handle::current().write_trace(&first).unwrap();
        for _ in 0..100 {
            gosched_executor::spawn(async {}).await.unwrap();
        }
    });
    std::thread::sleep(Duration::from_millis(100));
    rt.write_trace(&second).unwrap();
    let (a, b) = (polls(&first), polls(&second));
    assert!(a.len() >= 100, "{} polls", a.len());
    assert!(
        b.len() >= a.len() + 100,
        "a snapshot does not drain: {} then {}",
        a.len(),
        b.len()
    );
    assert!(a.iter().all(|(name, _)| name.starts_with("task ")));
    assert!(
        a.iter().filter(|(_, at)| at.starts_with(file!())).count() >= 100,
        "{a:?}"
    );
    for p in [first, second] {
        std::fs::remove_file(p).unwrap();
    }
}

/// The rings keep clock ticks and convert them when a snapshot is written: a poll that
/// sleeps shows as long as the task itself measured its sleep, and every event's start and
/// duration fit in the run's own time span.
#[test]
fn trace_times_are_the_run_s_own() {
    let _w = watchdog("trace_times", Duration::from_secs(60));
    let started = std::time::Instant::now();
    let rt = Builder::new().maxprocs(2).flight_recorder(true).build().unwrap();
    let path = temp("times");
    let slept = rt.block_on(async {
        let slept = gosched_executor::spawn(async {
            let t = std::time::Instant::now();
            std::thread::sleep(Duration::from_millis(30));
            t.elapsed().as_secs_f64() * 1e6
        })
        .await
        .unwrap();
        for _ in 0..50 {
            gosched_executor::spawn(async {}).await.unwrap();
        }
        slept
    });
    std::thread::sleep(Duration::from_millis(100));
    rt.write_trace(&path).unwrap();
    // µs since the runtime was built, which was after `started`.
    let span = started.elapsed().as_secs_f64() * 1e6;
    let text = std::fs::read_to_string(&path).unwrap();
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    let polls: Vec<(f64, f64)> = v["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap()))
        .collect();
    assert!(polls.len() >= 51, "{} polls", polls.len());
    for &(ts, dur) in &polls {
        assert!(
            ts >= 0.0 && dur >= 0.0 && ts + dur <= span,
            "ts {ts} dur {dur} span {span}"
        );
    }
    // The poll holds the sleep and a little more; raw ticks (about 3 per ns) or a wrong rate
    // would be far off.
    let longest = polls.iter().map(|p| p.1).fold(0.0, f64::max);
    assert!(
        longest >= slept * 0.99 && longest <= slept * 1.05 + 2_000.0,
        "the sleeping poll: {longest} µs in the trace, {slept} µs measured by the task"
    );
    std::fs::remove_file(path).unwrap();
}

#[test]
fn write_trace_fails_clearly_when_nothing_records() {
    let rt = Runtime::new().unwrap();
    let path = temp("off");
    let e = rt.write_trace(&path).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
    let msg = e.to_string();
    assert!(
        msg.contains("flight_recorder") && msg.contains("GOSCHED_TRACE"),
        "{msg}"
    );
    assert!(!path.exists());
}

const CHILD: &str = "GOSCHED_TEST_FLIGHT_CHILD";

/// In a child started by the SIGTERM test: runs tasks, says so, then waits to be killed.
#[test]
#[ignore = "child process entry point, run by run_and_term"]
fn child() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    if mode == "ignored" {
        // SAFETY: setting SIGTERM to be ignored before any runtime exists.
        unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
    }
    let rt = Builder::new().maxprocs(2).build().unwrap();
    rt.block_on(async {
        for _ in 0..50 {
            gosched_executor::spawn(async {}).await.unwrap();
        }
    });
    // The last poll's event is recorded just after its awaiter resumed: let it land.
    std::thread::sleep(Duration::from_millis(100));
    if mode == "listener" {
        // The program takes SIGTERM itself after the runtime was built (signal-hook-registry
        // chains to gosched's trace handler): the trace is written and the program goes on.
        let got = rt.block_on(async {
            let mut term = gosched_executor::signal::unix::signal(
                gosched_executor::signal::unix::SignalKind::terminate(),
            )
            .unwrap();
            println!("\nREADY");
            term.recv().await
        });
        println!("\nGOT {got:?}");
        return;
    }
    println!("\nREADY");
    std::thread::sleep(Duration::from_secs(30));
    println!("SURVIVED");
}

fn run_and_term(mode: &str, path: &PathBuf) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--ignored", "--nocapture", "--test-threads=1"])
        .env("GOSCHED_TRACE", path)
        .env_remove("GOSCHED_DEBUG")
        .env(CHILD, mode)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    common::read_until_line(&mut out, "READY");
    // SAFETY: sending SIGTERM to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let mut rest = String::new();
    if mode == "ignored" {
        // It must live on; end it ourselves.
        std::thread::sleep(Duration::from_millis(300));
        let _ = child.kill();
    }
    let status = child.wait().unwrap();
    let _ = std::io::Read::read_to_string(&mut out, &mut rest);
    (status, rest)
}

#[test]
fn gosched_trace_is_written_on_sigterm_and_the_process_still_dies_of_it() {
    let _w = watchdog("sigterm_trace", Duration::from_secs(60));
    let path = temp("sigterm");
    let _ = std::fs::remove_file(&path);
    let (status, _) = run_and_term("default", &path);
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
    assert!(polls(&path).len() >= 50);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn an_ignored_sigterm_is_left_alone() {
    let _w = watchdog("sigterm_ignored", Duration::from_secs(60));
    let path = temp("ignored");
    let _ = std::fs::remove_file(&path);
    let (status, _) = run_and_term("ignored", &path);
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "SIGTERM did nothing: {status:?}"
    );
    assert!(!path.exists(), "no handler, so no trace on SIGTERM");
}

#[test]
fn a_program_that_handles_sigterm_keeps_it_and_still_gets_the_trace() {
    let _w = watchdog("sigterm_listener", Duration::from_secs(60));
    let path = temp("listener");
    let _ = std::fs::remove_file(&path);
    let (status, rest) = run_and_term("listener", &path);
    assert!(
        status.success(),
        "the program's own handler ran: {status:?} {rest}"
    );
    assert!(rest.contains("GOT Some(())"), "{rest}");
    // Written on SIGTERM, and again (complete) when the runtime dropped.
    assert!(polls(&path).len() >= 50);
    std::fs::remove_file(&path).unwrap();
}
