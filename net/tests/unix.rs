//! Unix domain streams: pair, listener/connect, EOF, and the errors of a missing socket.

mod common;

use common::{rt, watchdog};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use gosched_executor::time::timeout;
use gosched_net::{UnixListener, UnixStream};
use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(5);

/// A socket path under the temp dir, unique to this process and call; removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new() -> TempPath {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("gosched-net-{}-{n}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempPath(path)
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn pair_reads_and_writes_both_ways() {
    let _w = watchdog("pair_reads_and_writes_both_ways", Duration::from_secs(30));
    rt(2).block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let data: Vec<u8> = (0..256 * 1024).map(|i| (i % 251) as u8).collect();
        let expected = data.clone();
        let writer = gosched_executor::spawn(async move {
            (&a).write_all(&data).await.unwrap();
            (&a).close().await.unwrap();
            let mut reply = String::new();
            (&a).read_to_string(&mut reply).await.unwrap();
            reply
        });
        let mut got = Vec::new();
        timeout(LIMIT, (&b).read_to_end(&mut got)).await.unwrap().unwrap();
        assert!(got == expected, "{} bytes back of {}", got.len(), expected.len());
        (&b).write_all(b"thanks").await.unwrap();
        drop(b);
        assert_eq!(timeout(LIMIT, writer).await.unwrap().unwrap(), "thanks");
    });
}

#[test]
fn listener_accepts_connections() {
    let _w = watchdog("listener_accepts_connections", Duration::from_secs(30));
    let path = TempPath::new();
    rt(2).block_on(async {
        let listener = UnixListener::bind(&path.0).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.0.as_path())
        );
        let p = path.0.clone();
        let clients: Vec<_> = (0..10u8)
            .map(|i| {
                let p = p.clone();
                gosched_executor::spawn(async move {
                    let mut s = UnixStream::connect(&p).await.unwrap();
                    s.write_all(&[i; 10]).await.unwrap();
                    let mut back = [0; 10];
                    s.read_exact(&mut back).await.unwrap();
                    back == [i; 10]
                })
            })
            .collect();
        for _ in 0..10 {
            let (conn, _) = timeout(LIMIT, listener.accept()).await.unwrap().unwrap();
            gosched_executor::spawn(async move {
                let mut buf = [0; 10];
                (&conn).read_exact(&mut buf).await.unwrap();
                (&conn).write_all(&buf).await.unwrap();
            });
        }
        for c in clients {
            assert!(timeout(LIMIT, c).await.unwrap().unwrap());
        }
        // A second bind of the same path fails with the OS's error.
        assert_eq!(
            UnixListener::bind(&path.0).unwrap_err().kind(),
            ErrorKind::AddrInUse
        );
    });
}

#[test]
fn connect_errors_are_the_os_errors() {
    let _w = watchdog("connect_errors_are_the_os_errors", Duration::from_secs(30));
    let path = TempPath::new();
    rt(1).block_on(async {
        let e = UnixStream::connect(&path.0).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        // A socket file nobody listens on any more.
        drop(std::os::unix::net::UnixListener::bind(&path.0).unwrap());
        let e = UnixStream::connect(&path.0).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
    });
}
