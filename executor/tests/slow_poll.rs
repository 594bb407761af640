//! Slow-poll reports: the stderr line (checked in a child process, where stderr can be read),
//! its rate limit, `Metrics::slow_polls_total` and the per-task record in the dump.

mod common;

use common::{LIMIT, holds_within, wait_until, watchdog};
use gosched_executor::runtime::{Builder, format_dump};
use std::process::Command;
use std::time::{Duration, Instant};

/// Keeps the thread computing (never blocked in the kernel) for `d`.
fn spin(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// The variable that makes `child` do its work in a child process.
const CHILD: &str = "GOSCHED_TEST_SLOW_POLL_CHILD";

/// Runs `child` in a child process in `mode` with `GOSCHED_DEBUG=debug`; returns (stdout,
/// stderr).
fn run_child(mode: &str, debug: &str) -> (String, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--ignored", "--nocapture", "--test-threads=1"])
        .env_remove("GOSCHED_MAXPROCS")
        .env_remove("GOSCHED_TRACE")
        .env("GOSCHED_DEBUG", debug)
        .env(CHILD, mode)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

/// In a child process started by `run_child`; does nothing in a normal test run.
#[test]
#[ignore = "child process entry point, run by run_child"]
fn child() {
    let _w = watchdog("slow_poll_child", Duration::from_secs(60));
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    let rt = Builder::new().maxprocs(1).build().unwrap();
    match mode.as_str() {
        "sites" => {
            // Blocked in the kernel with work queued behind it: sysmon hands the P away.
            let line = line!() + 1;
            let h = rt.spawn(async {
                let filler = gosched_executor::spawn(async {});
                std::thread::sleep(Duration::from_millis(80));
                filler.await.unwrap();
            });
            rt.block_on(h).unwrap();
            println!("\nBLOCKED_LINE {line}");
            // Computing with nothing queued: asked to yield, but nobody needs the P.
            let line = line!() + 1;
            let h = rt.spawn(async { spin(Duration::from_millis(80)) });
            rt.block_on(h).unwrap();
            println!("\nCOMPUTING_LINE {line}");
        }
        "burst" => {
            let start = Instant::now();
            let hs: Vec<_> = (0..30)
                .map(|_| rt.spawn(async { std::thread::sleep(Duration::from_millis(8)) }))
                .collect();
            for h in hs {
                rt.block_on(h).unwrap();
            }
            println!("\nELAPSED_MS {}", start.elapsed().as_millis());
            // The last poll's report may follow its awaiter's wake-up.
            // Not asserted here: the parent checks the count printed below.
            let _ = holds_within(LIMIT, || rt.metrics().slow_polls_total >= 30);
            println!("\nSLOW_TOTAL {}", rt.metrics().slow_polls_total);
        }
        other => panic!("unknown mode {other}"),
    }
}

/// The number after `key ` on its line of `stdout`.
fn value(stdout: &str, key: &str) -> u64 {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(key)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {stdout}"))
}

fn slow_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("gosched: slow poll: task "))
        .collect()
}

#[test]
fn slow_poll_line_names_the_spawn_site_and_why() {
    let _w = watchdog("slow_poll_line", Duration::from_secs(120));
    let (stdout, stderr) = run_child("sites", "slowpoll=30");
    let lines = slow_lines(&stderr);
    assert_eq!(lines.len(), 2, "one line per slow poll:\n{stderr}");

    let blocked = format!("spawned at {}:{}:", file!(), value(&stdout, "BLOCKED_LINE"));
    let l = lines
        .iter()
        .find(|l| l.contains(&blocked))
        .unwrap_or_else(|| panic!("{blocked} in\n{stderr}"));
    assert!(
        l.contains(" in one poll (blocked in the kernel); P0 handed to another thread"),
        "{l}"
    );
    let ms: f64 = l
        .split(" ran ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(ms >= 79.0, "{l}");

    let computing = format!("spawned at {}:{}:", file!(), value(&stdout, "COMPUTING_LINE"));
    let l = lines
        .iter()
        .find(|l| l.contains(&computing))
        .unwrap_or_else(|| panic!("{computing} in\n{stderr}"));
    assert!(
        l.ends_with(" in one poll (computing)"),
        "no P was handed off: {l}"
    );
}

#[test]
fn slow_poll_lines_are_rate_limited() {
    let _w = watchdog("slow_poll_rate", Duration::from_secs(120));
    let (stdout, stderr) = run_child("burst", "slowpoll=5");
    assert_eq!(value(&stdout, "SLOW_TOTAL"), 30, "every slow poll is counted");
    let printed = slow_lines(&stderr).len() as u64;
    let suppressed: u64 = stderr
        .lines()
        .filter_map(|l| {
            l.strip_prefix("gosched: slow poll: ")?
                .strip_suffix(" more suppressed")
        })
        .map(|n| n.parse::<u64>().unwrap())
        .sum();
    assert_eq!(printed + suppressed, 30, "{stderr}");
    let elapsed = value(&stdout, "ELAPSED_MS");
    if elapsed < 1000 {
        assert_eq!(printed, 10, "{stderr}");
    } else {
        // A very loaded machine: still at most 10 per started second.
        assert!(printed <= 10 * elapsed.div_ceil(1000), "{stderr}");
    }
    assert!(suppressed >= 1, "{stderr}");
}

#[test]
fn slow_polls_are_counted_and_shown_in_the_dump() {
    let _w = watchdog("slow_poll_count", Duration::from_secs(60));
    let rt = Builder::new()
        .maxprocs(2)
        .slow_poll_threshold(Duration::from_millis(25))
        .build()
        .unwrap();
    // Fast polls are not slow.
    rt.block_on(async {
        for _ in 0..100 {
            gosched_executor::spawn(async {}).await.unwrap();
        }
    });
    assert_eq!(rt.metrics().slow_polls_total, 0);

    // Two slow polls of one task, then it waits forever (so the dump still has it).
    let (tx, rx) = std::sync::mpsc::channel();
    let _h = rt.spawn(async move {
        spin(Duration::from_millis(30));
        gosched_executor::task::yield_now().await;
        spin(Duration::from_millis(40));
        tx.send(()).unwrap();
        std::future::pending::<()>().await;
    });
    rx.recv_timeout(Duration::from_secs(30)).unwrap();
    // The second poll's report follows its end: wait until it is counted.
    wait_until("the second slow poll counted", || {
        rt.metrics().slow_polls_total >= 2
    });
    assert_eq!(rt.metrics().slow_polls_total, 2);
    let dump = rt.dump();
    let t = dump
        .iter()
        .find(|t| t.slow_polls > 0)
        .expect("the task is in the dump");
    assert_eq!(t.slow_polls, 2);
    assert!(
        t.longest_poll >= Duration::from_millis(40),
        "{:?}",
        t.longest_poll
    );
    let text = format_dump(&dump);
    assert!(text.contains(", 2 slow polls, longest "), "{text}");
}

#[test]
fn a_poll_retaken_by_sysmon_counts_as_slow_without_a_threshold() {
    let _w = watchdog("slow_poll_retake", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(1).build().unwrap();
    rt.block_on(rt.spawn(async {
        let other = gosched_executor::spawn(async {});
        std::thread::sleep(Duration::from_millis(60));
        other.await.unwrap();
    }))
    .unwrap();
    let m = rt.metrics();
    assert!(m.handoffs_total >= 1, "sysmon retook the P: {m:?}");
    assert!(m.slow_polls_total >= 1, "{m:?}");
    assert_eq!(m.poll_duration.count(), 0, "no threshold, no clock per poll");
}

#[test]
fn zero_threshold_is_invalid_input() {
    let e = Builder::new()
        .slow_poll_threshold(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("slow_poll_threshold"), "{e}");
}
