//! `accept` when the process is out of file descriptors (EMFILE): the error comes back to the
//! caller (no panic, no hang, no internal retry loop), and once descriptors are free the same
//! listener accepts the connection that was waiting.
//!
//! Lowering `RLIMIT_NOFILE` affects the whole process, so the test re-runs this test binary
//! as a child (`--exact`, with an environment variable) and does the work there.

mod common;

use common::{rt, watchdog};
use futures::io::AsyncReadExt;
use gosched_executor::time::timeout;
use gosched_net::TcpListener;
use std::io::Write;
use std::process::Command;
use std::time::Duration;

const CHILD_ENV: &str = "GOSCHED_NET_EMFILE_CHILD";
const TEST_NAME: &str = "accept_returns_emfile_and_recovers";
/// The lowered soft limit: above what the runtime and the harness hold open, small enough to
/// fill quickly.
const NOFILE_LIMIT: u64 = 64;
const LIMIT: Duration = Duration::from_secs(5);

#[test]
fn accept_returns_emfile_and_recovers() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return child();
    }
    let _w = watchdog(TEST_NAME, Duration::from_secs(60));
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the child ran no test:\n{stdout}");
    assert!(stderr.contains("accept under EMFILE:"), "{stderr}");
    assert!(stderr.contains("accepted after freeing descriptors"), "{stderr}");
}

fn set_nofile_soft_limit(soft: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` only writes the `rlimit` we pass, which is valid and exclusively
    // borrowed for the call.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim.rlim_cur = soft.min(lim.rlim_max);
    // SAFETY: `setrlimit` only reads the `rlimit` we pass, valid for the call.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
}

/// Opens `/dev/null` until the process has no descriptor left; returns the files (closing
/// them frees the descriptors again).
fn exhaust_descriptors() -> Vec<std::fs::File> {
    let mut files = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(f) => files.push(f),
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
                return files;
            }
        }
        assert!(files.len() as u64 <= NOFILE_LIMIT, "the limit did not take");
    }
}

fn child() {
    let _w = watchdog("emfile child", Duration::from_secs(30));
    let rt = rt(1);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        // A blocking connect completes against the backlog; the connection waits there.
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client.write_all(b"x").unwrap();

        set_nofile_soft_limit(NOFILE_LIMIT);
        let files = exhaust_descriptors();
        for _ in 0..2 {
            let res = timeout(LIMIT, listener.accept())
                .await
                .expect("accept hung under EMFILE");
            let e = res.expect_err("accept succeeded with no descriptor left");
            assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
            eprintln!("accept under EMFILE: {e}");
        }
        // The runtime still runs tasks.
        assert_eq!(gosched_executor::spawn(async { 7 }).await.unwrap(), 7);

        drop(files);
        let (mut conn, peer) = timeout(LIMIT, listener.accept())
            .await
            .expect("accept hung after descriptors were freed")
            .unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        let mut buf = [0; 1];
        timeout(LIMIT, conn.read_exact(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf, b"x");
        eprintln!("accepted after freeing descriptors");
        // Another connection is accepted normally too.
        let _c2 = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let res = timeout(LIMIT, listener.accept()).await.unwrap();
        assert!(res.is_ok(), "{res:?}");
    });
}
