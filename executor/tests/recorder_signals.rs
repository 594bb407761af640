//! The recorder's SIGTERM handling shares signal-hook-registry with `gosched::signal` and
//! with handlers installed before it: a SIGTERM both writes the trace and reaches the
//! program's own handler, whichever was installed first (in child processes; the
//! runtime-after-listener orders here, `flight_recorder.rs` has the listener-after one).

mod common;

use std::io::BufReader;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gosched_executor::runtime::{Builder, Runtime};
use gosched_executor::signal::unix::{SignalKind, signal};

const CHILD: &str = "GOSCHED_TEST_RECORDER_SIGNALS_CHILD";
const TRACE: &str = "GOSCHED_TEST_RECORDER_SIGNALS_TRACE";

/// Whether the raw handler of the `raw` child ran.
static RAW_HANDLER_RAN: AtomicBool = AtomicBool::new(false);

extern "C" fn raw_handler(_: libc::c_int) {
    RAW_HANDLER_RAN.store(true, Ordering::SeqCst);
}

/// A traced runtime (`Builder::trace_path`, so SIGTERM writes the trace) that has run 50
/// polls.
fn traced(path: &Path) -> Runtime {
    let rt = Builder::new()
        .maxprocs(2)
        .trace_path(path.to_path_buf())
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..50 {
            gosched_executor::spawn(async {}).await.unwrap();
        }
    });
    // The last poll's event is recorded just after its awaiter resumed: let it land.
    std::thread::sleep(Duration::from_millis(100));
    rt
}

/// Waits (bounded) until `path` holds a whole trace: written on the signal, while the traced
/// runtime is still alive (its drop would write it again).
fn trace_written(path: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if std::fs::read_to_string(path).is_ok_and(|t| t.ends_with("]}\n")) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// In a child: the program's SIGTERM handler is made first (a `gosched::signal` listener on a
/// runtime without a trace, or a raw `sigaction`), then the traced runtime.
#[test]
#[ignore = "child process entry point, run by the tests below"]
fn child() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    let path = PathBuf::from(std::env::var_os(TRACE).unwrap());
    if mode == "raw" {
        // SAFETY: an all-zero `sigaction` is valid; the handler only stores to an atomic,
        // which is async-signal-safe; no runtime exists yet.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = raw_handler as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut act.sa_mask);
            libc::sigaction(libc::SIGTERM, &act, std::ptr::null_mut());
        }
        let _rt = traced(&path);
        println!("\nREADY");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !RAW_HANDLER_RAN.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        println!("\nHANDLER_RAN {}", RAW_HANDLER_RAN.load(Ordering::SeqCst));
        println!("\nTRACE_ON_SIGNAL {}", trace_written(&path));
        return;
    }
    let plain = Builder::new().maxprocs(1).build().unwrap();
    let mut term = plain.block_on(async { signal(SignalKind::terminate()).unwrap() });
    let _rt = traced(&path);
    println!("\nREADY");
    let got = plain.block_on(term.recv());
    println!("\nGOT {got:?}");
    println!("\nTRACE_ON_SIGNAL {}", trace_written(&path));
}

/// Runs the child in `mode`, sends it SIGTERM once it is ready, returns its status and what
/// it printed after READY.
fn run_and_term(mode: &str, path: &Path) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--ignored", "--nocapture", "--test-threads=1"])
        .env_remove("GOSCHED_TRACE")
        .env_remove("GOSCHED_DEBUG")
        .env(CHILD, mode)
        .env(TRACE, path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // A hang fails fast: the child is killed after 60 s.
    let watchdog = std::thread::spawn(move || {
        for _ in 0..600 {
            std::thread::sleep(Duration::from_millis(100));
            // SAFETY: signal 0 only checks that the process still exists.
            if unsafe { libc::kill(pid as i32, 0) } != 0 {
                return;
            }
        }
        // SAFETY: killing our own child, still running after 60 s.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    });
    let mut out = BufReader::new(child.stdout.take().unwrap());
    common::read_until_line(&mut out, "READY");
    // SAFETY: sending SIGTERM to our own child.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut out, &mut rest);
    watchdog.join().unwrap();
    (status, rest)
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "gosched-recorder-signals-{name}-{}.json",
        std::process::id()
    ))
}

/// Poll events in the trace at `path`.
fn polls(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).expect("the trace was written");
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    v["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "X")
        .count()
}

#[test]
fn a_sigterm_listener_made_before_the_traced_runtime_and_the_trace_both_get_sigterm() {
    let path = temp("listener-first");
    let _ = std::fs::remove_file(&path);
    let (status, rest) = run_and_term("listener", &path);
    assert!(status.success(), "the listener took SIGTERM: {status:?} {rest}");
    assert!(rest.contains("GOT Some(())"), "the listener woke: {rest}");
    assert!(
        rest.contains("TRACE_ON_SIGNAL true"),
        "the trace was written on SIGTERM: {rest}"
    );
    assert!(polls(&path) >= 50);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_handler_installed_before_the_traced_runtime_still_runs_and_the_trace_is_written() {
    let path = temp("raw-first");
    let _ = std::fs::remove_file(&path);
    let (status, rest) = run_and_term("raw", &path);
    assert_eq!(
        status.signal(),
        None,
        "the process did not die of SIGTERM: {status:?}"
    );
    assert!(status.success(), "{status:?} {rest}");
    assert!(
        rest.contains("HANDLER_RAN true"),
        "the earlier handler ran: {rest}"
    );
    assert!(
        rest.contains("TRACE_ON_SIGNAL true"),
        "the trace was written on SIGTERM: {rest}"
    );
    assert!(polls(&path) >= 50);
    std::fs::remove_file(&path).unwrap();
}
