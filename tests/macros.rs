//! `#[gosched::test]` and `#[gosched::main]`: the passing forms run here; the misuses are
//! compile errors checked by trybuild against `tests/ui/*.stderr`
//! (regenerate with `TRYBUILD=overwrite cargo test --test macros`).

use std::time::Duration;

#[gosched::test]
async fn plain_test_runs_on_a_runtime() {
    assert!(gosched::runtime::Handle::try_current().is_some());
    assert_eq!(gosched::spawn(async { 1 + 1 }).await.unwrap(), 2);
}

#[gosched::test(maxprocs = 1)]
async fn maxprocs_is_applied() {
    assert_eq!(gosched::runtime::Handle::current().metrics().maxprocs, 1);
}

#[gosched::test(maxprocs = 3)]
async fn maxprocs_three() {
    assert_eq!(gosched::runtime::Handle::current().metrics().maxprocs, 3);
}

#[gosched::test(check_leaks)]
async fn check_leaks_passes_when_every_task_finished() {
    let hs: Vec<_> = (0..10).map(|i| gosched::spawn(async move { i })).collect();
    for h in hs {
        h.await.unwrap();
    }
    // Detached, but done well within the grace period.
    drop(gosched::spawn(async {
        gosched::task::yield_now().await;
    }));
}

#[gosched::test(maxprocs = 2, check_leaks)]
async fn both_arguments() {
    assert_eq!(gosched::runtime::Handle::current().metrics().maxprocs, 2);
}

#[gosched::test]
async fn result_return_ok() -> Result<(), std::io::Error> {
    let v = gosched::spawn(async { 3 }).await?;
    assert_eq!(v, 3);
    Ok(())
}

#[gosched::test]
#[should_panic(expected = "boom in a gosched test")]
async fn should_panic_is_kept() {
    panic!("boom in a gosched test");
}

/// Doc comments and `#[ignore]` are kept too: `ignore_is_listed_as_ignored` checks that the
/// harness lists this test as ignored (it passes when run with `--include-ignored`).
#[gosched::test]
#[ignore = "checks that #[ignore] survives the macro"]
async fn ignore_is_kept() {
    gosched::task::yield_now().await;
}

#[test]
fn ignore_is_listed_as_ignored() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--list", "--ignored"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{listed}");
    assert!(
        listed.lines().any(|l| l == "ignore_is_kept: test"),
        "#[ignore] was lost by #[gosched::test]:\n{listed}"
    );
    assert!(
        !listed
            .lines()
            .any(|l| l.starts_with("body_can_await_sleepless_yields")),
        "only ignored tests are listed:\n{listed}"
    );
}

#[gosched::test(check_leaks)]
#[should_panic(expected = "gosched: leaked tasks")]
async fn check_leaks_fails_a_test_that_leaks_a_task() {
    drop(gosched::spawn(std::future::pending::<()>()));
}

#[gosched::test(maxprocs = 1)]
async fn body_can_await_sleepless_yields() {
    let start = std::time::Instant::now();
    for _ in 0..10 {
        gosched::task::yield_now().await;
    }
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[gosched::test(start_paused)]
async fn start_paused_starts_the_clock_paused() {
    let start = gosched::time::Instant::now();
    let real = std::time::Instant::now();
    gosched::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
    assert!(real.elapsed() < Duration::from_secs(60));
}

#[gosched::test(maxprocs = 2, start_paused, check_leaks)]
async fn start_paused_combines_with_maxprocs_and_check_leaks() {
    assert_eq!(gosched::runtime::Handle::current().metrics().maxprocs, 2);
    let h = gosched::spawn(async {
        gosched::time::sleep(Duration::from_secs(30)).await;
        7
    });
    assert_eq!(h.await.unwrap(), 7);
    // Detached and sleeping: auto-advance finishes it within check_leaks' grace period.
    drop(gosched::spawn(gosched::time::sleep(Duration::from_secs(600))));
}

#[gosched::test(check_leaks, start_paused)]
#[should_panic(expected = "already paused")]
async fn start_paused_means_pause_panics() {
    gosched::time::pause();
}

#[test]
fn misuse_is_a_compile_error_at_the_offending_span() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
