//! `Builder`: bad settings are `InvalidInput` errors naming the setting; `GOSCHED_MAXPROCS`;
//! thread names and hooks; using the API outside a runtime.
//!
//! Environment variables are process-global, so the env cases run this test binary again as a
//! child process with the variable set (`env_probe`), never by setting it here.

mod common;

use common::{panic_message, watchdog};
use gosched_executor::runtime::Builder;
use std::collections::HashSet;
use std::io;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn build_err(b: Builder) -> io::Error {
    b.build().expect_err("the settings are invalid")
}

#[test]
fn zero_settings_are_invalid_input_naming_the_setting() {
    let _w = watchdog(
        "zero_settings_are_invalid_input_naming_the_setting",
        Duration::from_secs(30),
    );
    let cases = [
        (Builder::new().maxprocs(0), "maxprocs"),
        (Builder::new().max_blocking_threads(0), "max_blocking_threads"),
        (Builder::new().preempt_slice(Duration::ZERO), "preempt_slice"),
        (Builder::new().schedtrace(Duration::ZERO), "schedtrace"),
    ];
    for (builder, setting) in cases {
        let e = build_err(builder);
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{setting}: {e}");
        assert!(e.to_string().contains(setting), "{setting}: {e}");
    }
}

#[test]
fn valid_settings_build() {
    let _w = watchdog("valid_settings", Duration::from_secs(30));
    let rt = Builder::new()
        .maxprocs(3)
        .max_blocking_threads(1)
        .preempt_slice(Duration::from_millis(1))
        .blocking_keep_alive(Duration::from_millis(10))
        .thread_stack_size(256 * 1024)
        .sysmon(false)
        .build()
        .unwrap();
    let m = rt.metrics();
    assert_eq!(m.maxprocs, 3);
    assert_eq!(m.local_queue_depths.len(), 3);
    assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 2)).unwrap(), 2);
    let m = rt.metrics();
    assert!(m.threads >= 1, "{m:?}");
    assert!(m.threads <= 3, "sysmon(false): only worker Ms count: {m:?}");
}

#[test]
fn thread_name_and_hooks_apply_to_workers_and_blocking_threads() {
    let _w = watchdog("thread_hooks", Duration::from_secs(30));
    let names = Arc::new(Mutex::new(HashSet::new()));
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let (n, s1, s2) = (names.clone(), started.clone(), stopped.clone());
    let rt = Builder::new()
        .maxprocs(2)
        .thread_name("my-worker")
        .on_thread_start(move || {
            s1.fetch_add(1, Ordering::SeqCst);
            let name = std::thread::current().name().map(str::to_owned);
            n.lock().unwrap().insert(name.unwrap_or_default());
        })
        .on_thread_stop(move || {
            s2.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let (task_thread, blocking_thread) = rt.block_on(async {
        let t = gosched_executor::spawn(async { std::thread::current().name().map(str::to_owned) });
        let b = gosched_executor::spawn_blocking(|| std::thread::current().name().map(str::to_owned));
        (t.await.unwrap(), b.await.unwrap())
    });
    assert_eq!(task_thread.as_deref(), Some("my-worker"));
    assert_eq!(blocking_thread.as_deref(), Some("gosched-blocking"));
    drop(rt);
    let names = names.lock().unwrap();
    assert!(names.contains("my-worker"), "{names:?}");
    assert!(names.contains("gosched-blocking"), "{names:?}");
    assert!(
        !names.contains("gosched-sysmon"),
        "hooks do not run on sysmon: {names:?}"
    );
    assert!(started.load(Ordering::SeqCst) >= 2);
    // Workers are joined by the drop, so their stop hooks have run; the blocking thread is
    // detached and may still be on its way out.
    assert!(stopped.load(Ordering::SeqCst) >= 1);
}

/// The variable the parent sets to make `env_probe` do its work in the child.
const PROBE: &str = "GOSCHED_TEST_ENV_PROBE";

/// In a child process started by `run_probe`: builds a runtime from the environment and prints
/// what happened. Ignored in a normal run (it is not a test of its own); `run_probe` starts it
/// with `--ignored --exact`.
#[test]
#[ignore = "child process entry point, run by run_probe"]
fn env_probe() {
    let _w = watchdog("env_probe", Duration::from_secs(30));
    let Ok(mode) = std::env::var(PROBE) else {
        return;
    };
    let builder = match mode.as_str() {
        "explicit2" => Builder::new().maxprocs(2),
        _ => Builder::new(),
    };
    match builder.build() {
        Ok(rt) => println!("\nPROBE ok maxprocs={}", rt.metrics().maxprocs),
        Err(e) => println!("\nPROBE err kind={:?} msg={e}", e.kind()),
    }
}

/// Runs `env_probe` in a child with `vars` set (and `GOSCHED_MAXPROCS`/`GOSCHED_DEBUG` unset
/// otherwise); returns its `PROBE` line.
fn run_probe(mode: &str, vars: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        "env_probe",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env_remove("GOSCHED_MAXPROCS")
    .env_remove("GOSCHED_DEBUG")
    .env(PROBE, mode);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}");
    stdout
        .lines()
        .find(|l| l.starts_with("PROBE "))
        .unwrap_or_else(|| panic!("no PROBE line in: {stdout}"))
        .to_string()
}

#[test]
fn gosched_maxprocs_from_the_environment() {
    let _w = watchdog("env_maxprocs", Duration::from_secs(60));
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());

    let line = run_probe("default", &[("GOSCHED_MAXPROCS", "abc")]);
    assert!(line.contains("kind=InvalidInput"), "{line}");
    assert!(line.contains("GOSCHED_MAXPROCS"), "names the variable: {line}");
    assert!(line.contains("abc"), "shows the value: {line}");

    let line = run_probe("default", &[("GOSCHED_MAXPROCS", "0")]);
    assert!(line.contains("kind=InvalidInput"), "{line}");
    assert!(line.contains("GOSCHED_MAXPROCS"), "{line}");

    let line = run_probe("default", &[("GOSCHED_MAXPROCS", " 3 ")]);
    assert_eq!(line, "PROBE ok maxprocs=3", "whitespace is trimmed");

    let line = run_probe("default", &[("GOSCHED_MAXPROCS", "")]);
    assert_eq!(line, format!("PROBE ok maxprocs={cpus}"), "empty means unset");

    let line = run_probe("default", &[]);
    assert_eq!(line, format!("PROBE ok maxprocs={cpus}"));

    let line = run_probe("explicit2", &[("GOSCHED_MAXPROCS", "3")]);
    assert_eq!(
        line, "PROBE ok maxprocs=2",
        "the Builder wins over the environment"
    );
}

#[test]
fn gosched_debug_errors_name_the_variable_and_key() {
    let _w = watchdog("env_debug", Duration::from_secs(60));
    let line = run_probe("default", &[("GOSCHED_DEBUG", "bogus=1")]);
    assert!(line.contains("kind=InvalidInput"), "{line}");
    assert!(line.contains("GOSCHED_DEBUG") && line.contains("bogus"), "{line}");
    let line = run_probe("default", &[("GOSCHED_DEBUG", "schedtrace=x")]);
    assert!(
        line.contains("kind=InvalidInput") && line.contains("schedtrace"),
        "{line}"
    );
}

#[test]
fn spawn_blocking_outside_a_runtime_panics_with_the_fix() {
    let _w = watchdog(
        "spawn_blocking_outside_a_runtime_panics_with_the_fix",
        Duration::from_secs(30),
    );
    let err = std::panic::catch_unwind(|| {
        drop(gosched_executor::spawn_blocking(|| ()));
    })
    .unwrap_err();
    let msg = panic_message(&*err);
    assert!(msg.contains("outside a gosched runtime"), "{msg}");
    assert!(
        msg.contains("block_on") && msg.contains("handle()"),
        "names the fix: {msg}"
    );
}

#[test]
fn handle_current_outside_names_the_fix() {
    let _w = watchdog("handle_current_outside_names_the_fix", Duration::from_secs(30));
    let msg =
        panic_message(&*std::panic::catch_unwind(gosched_executor::runtime::Handle::current).unwrap_err());
    assert!(msg.contains("no runtime here"), "{msg}");
    assert!(
        msg.contains("block_on") && msg.contains("Handle"),
        "names the fix: {msg}"
    );
}

#[test]
fn task_id_outside_a_task_panics_clearly() {
    let _w = watchdog("task_id_outside_a_task_panics_clearly", Duration::from_secs(30));
    let msg = panic_message(&*std::panic::catch_unwind(gosched_executor::task::id).unwrap_err());
    assert!(msg.contains("outside a task") && msg.contains("try_id"), "{msg}");
}
