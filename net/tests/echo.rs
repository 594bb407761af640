//! Load: 100 concurrent echo connections with every byte checked, on 1 and 2 Ps; and the
//! budget: a task reading a socket that is always ready does not starve its P.

mod common;

use common::{rt, watchdog};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use gosched_executor::runtime::Builder;
use gosched_net::{TcpListener, TcpStream};
use std::io::{ErrorKind, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

const CONNECTIONS: usize = 100;
const BYTES_PER_CONNECTION: usize = 64 * 1024;

/// xorshift64*: a cheap, seedable byte stream.
fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

/// FNV-1a over every byte.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Sends `data`, reading the echo back at the same time (so neither side's buffers can fill
/// up and deadlock), and returns what came back.
async fn echo_once(addr: std::net::SocketAddr, data: Vec<u8>) -> Vec<u8> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let write = async {
        (&stream).write_all(&data).await.unwrap();
        (&stream).close().await.unwrap(); // shutdown(Write): the server sees EOF after the data
    };
    let read = async {
        let mut back = Vec::with_capacity(data.len());
        (&stream).read_to_end(&mut back).await.unwrap();
        back
    };
    futures::join!(write, read).1
}

fn echo_100_connections(maxprocs: usize) {
    rt(maxprocs).block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = gosched_executor::spawn(async move {
            let mut conns = Vec::new();
            for _ in 0..CONNECTIONS {
                let (conn, _) = listener.accept().await.unwrap();
                conns.push(gosched_executor::spawn(async move {
                    futures::io::copy(&conn, &mut &conn).await.unwrap()
                }));
            }
            let mut total = 0;
            for c in conns {
                total += c.await.unwrap();
            }
            total
        });
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|i| {
                gosched_executor::spawn(async move {
                    let data = pseudo_random(i as u64 + 1, BYTES_PER_CONNECTION);
                    let sum = checksum(&data);
                    let back = echo_once(addr, data.clone()).await;
                    assert_eq!(back.len(), data.len(), "connection {i}: length");
                    assert_eq!(checksum(&back), sum, "connection {i}: checksum");
                    assert!(back == data, "connection {i}: bytes differ");
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
        let echoed = server.await.unwrap();
        assert_eq!(echoed, (CONNECTIONS * BYTES_PER_CONNECTION) as u64);
    });
}

#[test]
fn echo_100_connections_maxprocs_1() {
    let _w = watchdog("echo_100_connections_maxprocs_1", Duration::from_secs(120));
    echo_100_connections(1);
}

#[test]
fn echo_100_connections_maxprocs_2() {
    let _w = watchdog("echo_100_connections_maxprocs_2", Duration::from_secs(120));
    echo_100_connections(2);
}

/// Fills the kernel buffers between a blocking std writer and a gosched reader; returns how
/// many bytes were written before the writer would have blocked.
fn prefill(writer: &mut std::net::TcpStream) -> usize {
    writer.set_nonblocking(true).unwrap();
    let chunk = vec![0xA5u8; 16 * 1024];
    let mut total = 0;
    loop {
        match writer.write(&chunk) {
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return total,
            Err(e) => panic!("prefill: {e}"),
        }
        assert!(total < 1 << 30, "the socket buffers never filled");
    }
}

#[test]
fn an_always_ready_reader_does_not_starve_its_p() {
    let _w = watchdog(
        "an_always_ready_reader_does_not_starve_its_p",
        Duration::from_secs(60),
    );
    // One P, no sysmon: only the budget can make the reader give the P up.
    let rt = Builder::new().maxprocs(1).sysmon(false).build().unwrap();
    rt.block_on(async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut writer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let reader_side = TcpStream::from_std(accepted).unwrap();
        let filled = prefill(&mut writer);
        // Half of it: the data is already queued at the reader, so no read sees WouldBlock.
        let limit = filled / 2;

        let reader = gosched_executor::spawn(async move {
            let mut stream = reader_side;
            let mut buf = [0u8; 8];
            // The first read waits for the poller to report the data; from here on every read
            // finds data at once.
            let mut read = stream.read(&mut buf).await.unwrap();
            let mut reads = 1u64;
            // Spawned now, from this task: with one P it can only run when the reader yields.
            let done = Arc::new(AtomicBool::new(false));
            let progress = Arc::new(AtomicUsize::new(0));
            let (d, p) = (done.clone(), progress.clone());
            let other = gosched_executor::spawn(async move {
                for _ in 0..5 {
                    gosched_executor::task::yield_now().await;
                    p.fetch_add(1, Ordering::Relaxed);
                }
                d.store(true, Ordering::Release);
            });
            while read < limit && !done.load(Ordering::Acquire) {
                let n = stream.read(&mut buf).await.unwrap();
                assert!(n > 0);
                read += n;
                reads += 1;
            }
            let saw_other_finish = done.load(Ordering::Acquire);
            let steps = progress.load(Ordering::Relaxed);
            other.await.unwrap();
            assert_eq!(progress.load(Ordering::Relaxed), 5);
            (saw_other_finish, read, reads, steps)
        });
        let (saw_other_finish, read, reads, progress) = reader.await.unwrap();
        assert!(
            saw_other_finish,
            "the second task did not finish while the reader read {read} of {limit} bytes in \
             {reads} reads (it made {progress} of 5 steps)"
        );
        assert!(
            reads > 128,
            "the reader read {reads} times: it should have spent its budget"
        );
        drop(writer);
    });
}
