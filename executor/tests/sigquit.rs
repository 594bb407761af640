//! `GOSCHED_DEBUG=sigquit=1`: SIGQUIT prints the grouped task dump and the scheddetail lines,
//! then the process exits with status 2 (Go's behaviour), and a SIGQUIT listener made earlier
//! (`signal(SignalKind::quit())`, any signal-hook-registry action) still gets the signal.
//! Checked in child processes.

mod common;

use common::watchdog;
use gosched_executor::runtime::{Builder, TaskState};
use std::io::{BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD: &str = "GOSCHED_TEST_SIGQUIT_CHILD";
const CHAINED_CHILD: &str = "GOSCHED_TEST_SIGQUIT_CHAINED_CHILD";

#[test]
#[ignore = "child process entry point, run by sigquit_prints_the_dump_and_exits_2"]
fn child() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let line = line!() + 2;
    for _ in 0..3 {
        rt.spawn(std::future::pending::<()>());
    }
    let _one = rt.spawn(gosched_executor::time::sleep(Duration::from_secs(60)));
    // Every task polled once and parked, so the dump shows their wait reasons.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while rt.dump().iter().any(|t| t.state != TaskState::Waiting) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    println!("\nREADY {line}");
    std::thread::sleep(Duration::from_secs(30));
    println!("SURVIVED");
}

#[test]
fn sigquit_prints_the_dump_and_exits_2() {
    let _w = watchdog("sigquit", Duration::from_secs(60));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--ignored", "--nocapture", "--test-threads=1"])
        .env("GOSCHED_DEBUG", "sigquit=1")
        .env_remove("GOSCHED_TRACE")
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let line = common::read_until_line(&mut out, "READY");
    let site: u32 = line.trim().strip_prefix("READY ").unwrap().parse().unwrap();
    // SAFETY: sending SIGQUIT to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGQUIT) };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2), "{status:?}\n{stderr}");
    assert!(stderr.starts_with("SIGQUIT: quit\n"), "{stderr}");
    assert!(
        stderr.contains("SCHED ") && stderr.contains("gomaxprocs=2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  P0: status=") && stderr.contains("  P1: status="),
        "{stderr}"
    );
    assert!(stderr.contains("  M0: p="), "{stderr}");
    assert!(stderr.contains("4 tasks\n"), "{stderr}");
    let group = format!("3 tasks spawned at {}:{site}:", file!());
    assert!(stderr.contains(&group), "{group} in\n{stderr}");
    assert!(stderr.contains("1 task spawned at "), "{stderr}");
    assert!(stderr.contains("[sleep, "), "wait reasons: {stderr}");
}

#[test]
#[ignore = "child process entry point, run by sigquit_leaves_an_earlier_listener_its_signal"]
fn chained_child() {
    if std::env::var(CHAINED_CHILD).is_err() {
        return;
    }
    // A runtime without the SIGQUIT dump, and a listener made in it first.
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let _listener = rt.block_on(async {
        gosched_executor::signal::unix::signal(gosched_executor::signal::unix::SignalKind::quit())
    });
    // Its action's neighbour, registered the same way: it writes a line in the handler itself,
    // so it shows whether the registry's actions still run, whatever the exit races with.
    // SAFETY: the action only calls `write` on stderr, which is async-signal-safe.
    unsafe {
        signal_hook_registry::register(libc::SIGQUIT, || {
            let text = b"EARLIER ACTION RAN\n";
            libc::write(2, text.as_ptr().cast(), text.len());
        })
    }
    .unwrap();
    // Then a runtime that takes SIGQUIT for its dump.
    // SAFETY: no other thread of this child reads the environment now.
    unsafe { std::env::set_var("GOSCHED_DEBUG", "sigquit=1") };
    let dumping = Builder::new().maxprocs(1).build().unwrap();
    println!("\nREADY");
    std::thread::sleep(Duration::from_secs(30));
    drop((dumping, rt));
    println!("SURVIVED");
}

#[test]
fn sigquit_leaves_an_earlier_listener_its_signal() {
    let _w = watchdog("sigquit_chained", Duration::from_secs(60));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "chained_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_remove("GOSCHED_DEBUG")
        .env_remove("GOSCHED_TRACE")
        .env(CHAINED_CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    common::read_until_line(&mut out, "READY");
    // SAFETY: sending SIGQUIT to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGQUIT) };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert!(
        stderr.contains("EARLIER ACTION RAN"),
        "the dump's handler silenced the earlier one: {status:?}\n{stderr}"
    );
    assert_eq!(status.code(), Some(2), "{status:?}\n{stderr}");
    assert!(stderr.contains("SIGQUIT: quit\n"), "{stderr}");
}
