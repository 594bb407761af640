//! Observability: schedtrace/scheddetail output, the trace export, the grouped dump, and the
//! preempted state.

mod common;

use common::watchdog;
use gosched_executor::runtime::{Builder, TaskState, format_dump};
use gosched_executor::time::{self, Duration};
use std::process::Command;

/// Set in the child process that runs a traced workload.
const CHILD: &str = "GOSCHED_OBS_TEST_CHILD";

/// Runs this test binary again, only `test`, with `env`; returns its stderr.
fn run_child(test: &str, env: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 passed"), "the child ran no test: {stdout}");
    String::from_utf8(out.stderr).unwrap()
}

/// The workload the children run: a few hundred ms of tasks that sleep and yield.
fn busy_workload() {
    let rt = Builder::new().maxprocs(2).build().unwrap();
    rt.block_on(async {
        let hs: Vec<_> = (0..50)
            .map(|i| {
                gosched_executor::spawn(async move {
                    for _ in 0..40 {
                        time::sleep(Duration::from_millis(1 + i % 3)).await;
                        gosched_executor::task::yield_now().await;
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    });
}

/// Child-process entry point (not a test of its own): ignored in a normal run, started with
/// `--ignored --exact` by `run_child`.
#[test]
#[ignore = "child process entry point, run by the tests that need it"]
fn child_schedtrace_workload() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    busy_workload();
}

#[test]
fn schedtrace_prints_gos_line() {
    let _w = watchdog("schedtrace", Duration::from_secs(60));
    let err = run_child("child_schedtrace_workload", &[("GOSCHED_DEBUG", "schedtrace=20")]);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("SCHED ")).collect();
    assert!(lines.len() >= 2, "no SCHED lines in:\n{err}");
    for l in &lines {
        // SCHED 1004ms: gomaxprocs=4 idleprocs=0 threads=11 spinningthreads=0 needspinning=0 idlethreads=5 runqueue=12 [3 0 1 7]
        let rest = l.strip_prefix("SCHED ").unwrap();
        let (ms, rest) = rest.split_once("ms: ").unwrap_or_else(|| panic!("bad line {l}"));
        ms.parse::<u64>().unwrap();
        let keys: Vec<&str> = rest
            .split(' ')
            .take(7)
            .map(|kv| kv.split('=').next().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "gomaxprocs",
                "idleprocs",
                "threads",
                "spinningthreads",
                "needspinning",
                "idlethreads",
                "runqueue"
            ],
            "{l}"
        );
        assert!(rest.contains("gomaxprocs=2 "), "{l}");
        let queues = rest.split_once('[').unwrap().1.strip_suffix(']').unwrap();
        assert_eq!(queues.split(' ').count(), 2, "{l}");
    }
}

#[test]
fn scheddetail_prints_p_m_and_task_lines() {
    let _w = watchdog("scheddetail", Duration::from_secs(60));
    let err = run_child(
        "child_schedtrace_workload",
        &[("GOSCHED_DEBUG", "schedtrace=20,scheddetail=1")],
    );
    assert!(err.lines().any(|l| l.starts_with("  P0: status=")), "{err}");
    assert!(err.lines().any(|l| l.starts_with("  P1: status=")), "{err}");
    assert!(err.lines().any(|l| l.starts_with("  M0: p=")), "{err}");
    let g = err
        .lines()
        .find(|l| l.starts_with("  G"))
        .unwrap_or_else(|| panic!("no G line:\n{err}"));
    assert!(g.contains(": status=") && g.contains(" waitreason="), "{g}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("  G") && (l.contains("(sleep)") || l.contains("(runnable)"))),
        "{err}"
    );
}

#[test]
fn bad_gosched_debug_is_an_error_naming_the_variable() {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args(["child_bad_debug", "--exact", "--ignored", "--nocapture"])
        .env(CHILD, "1")
        .env("GOSCHED_DEBUG", "schedtrace=fast")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("BUILD ERROR: InvalidInput"), "{err}");
    assert!(err.contains("GOSCHED_DEBUG"), "{err}");
}

/// Child-process entry point, as `child_schedtrace_workload`.
#[test]
#[ignore = "child process entry point, run by the tests that need it"]
fn child_bad_debug() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    let e = Builder::new().build().unwrap_err();
    eprintln!("BUILD ERROR: {:?}: {e}", e.kind());
}

#[test]
fn trace_export_writes_chrome_trace_events() {
    let _w = watchdog("trace_export", Duration::from_secs(60));
    let path = std::env::temp_dir().join(format!("gosched-trace-{}.json", std::process::id()));
    let rt = Builder::new().maxprocs(2).trace_path(&path).build().unwrap();
    rt.block_on(async {
        let hs: Vec<_> = (0..100)
            .map(|_| {
                gosched_executor::spawn(async {
                    time::sleep(Duration::from_millis(2)).await;
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        // A handoff: block_in_place on a worker.
        gosched_executor::spawn(async {
            gosched_executor::block_in_place(|| std::thread::sleep(Duration::from_millis(5)));
        })
        .await
        .unwrap();
        // A preemption: polls that compute for 20 ms between two budget checks.
        gosched_executor::spawn(async {
            for _ in 0..4 {
                let start = std::time::Instant::now();
                while start.elapsed() < Duration::from_millis(20) {
                    std::hint::spin_loop();
                }
                gosched_executor::task::consume_budget().await;
            }
        })
        .await
        .unwrap();
    });
    drop(rt);
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let events = json["traceEvents"].as_array().unwrap();
    let polls: Vec<_> = events.iter().filter(|e| e["ph"] == "X").collect();
    assert!(polls.len() >= 200, "{} poll spans", polls.len());
    assert!(
        polls
            .iter()
            .all(|e| e["name"].as_str().unwrap().starts_with("task "))
    );
    assert!(polls.iter().all(|e| e["dur"].as_f64().unwrap() >= 0.0));
    assert!(
        polls.iter().any(|e| e["args"]["spawned_at"]
            .as_str()
            .unwrap()
            .contains("observability.rs")),
        "spawn locations missing"
    );
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "i")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"handoff"), "{names:?}");
    assert!(names.contains(&"preempt"), "{names:?}");
    assert!(
        events
            .iter()
            .any(|e| e["ph"] == "M" && e["name"] == "thread_name")
    );
}

#[test]
fn dump_groups_by_spawn_location_and_shows_preempted_or_waiting() {
    let _w = watchdog("dump_groups", Duration::from_secs(30));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    for _ in 0..5 {
        rt.spawn(time::sleep(Duration::from_secs(60)));
    }
    rt.spawn(std::future::pending::<()>());
    std::thread::sleep(Duration::from_millis(50));
    let dump = rt.dump();
    assert_eq!(dump.len(), 6);
    assert!(dump.iter().all(|t| t.state == TaskState::Waiting), "{dump:?}");
    let text = format_dump(&dump).to_string();
    assert!(text.starts_with("6 tasks\n"), "{text}");
    assert!(text.contains("5 tasks spawned at "), "{text}");
    assert!(text.contains("1 task spawned at "), "{text}");
    assert!(text.contains("[sleep, "), "{text}");
    assert!(text.contains("[wait, "), "{text}");
    // The bigger group comes first.
    assert!(text.find("5 tasks spawned").unwrap() < text.find("1 task spawned").unwrap());
}
