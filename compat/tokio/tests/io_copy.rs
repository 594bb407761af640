//! `copy`, `copy_buf` and `copy_bidirectional`: everything arrives, writers are flushed while
//! the reader waits, and `copy_bidirectional` carries a half-close across a proxy.

mod io_support;

use futures::executor::block_on;
use io_support::{Slow, Trickle, with_watchdog};
use std::io::ErrorKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};

#[test]
fn copy_moves_everything_and_counts() {
    block_on(async {
        let mut r: &[u8] = b"hello";
        let mut w = Vec::new();
        assert_eq!(tokio::io::copy(&mut r, &mut w).await.unwrap(), 5);
        assert_eq!(w, b"hello");

        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let mut r = Trickle::new(&data, 3000);
        let mut w = Slow::new(1000);
        assert_eq!(tokio::io::copy(&mut r, &mut w).await.unwrap(), data.len() as u64);
        assert_eq!(w.data, data);
    });
}

#[test]
fn copy_flushes_while_the_reader_waits() {
    block_on(async {
        let mut r = Trickle::new(b"abcdef", 2);
        let mut w = Slow::new(10);
        tokio::io::copy(&mut r, &mut w).await.unwrap();
        // Two flushes while the reader was pending after a write, and the final one.
        assert!(w.flushes >= 3, "flushes: {}", w.flushes);
    });
}

#[test]
fn copy_reports_write_zero() {
    block_on(async {
        let mut r: &[u8] = b"x";
        let err = tokio::io::copy(&mut r, &mut Slow::new(0)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
    });
}

#[test]
fn copy_buf_uses_the_readers_buffer() {
    block_on(async {
        let data = vec![9u8; 20_000];
        let mut r = BufReader::with_capacity(64, Trickle::new(&data, 100));
        let mut w = Slow::new(50);
        assert_eq!(tokio::io::copy_buf(&mut r, &mut w).await.unwrap(), 20_000);
        assert_eq!(w.data, data);
        assert!(w.flushes >= 1);
    });
}

#[test]
fn copy_over_duplex_between_threads() {
    with_watchdog(|| {
        let (mut a, mut b) = tokio::io::duplex(16);
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7) as u8).collect();
        let sent = data.clone();
        let writer = std::thread::spawn(move || {
            block_on(async {
                let mut src: &[u8] = &sent;
                tokio::io::copy(&mut src, &mut a).await.unwrap();
                a.shutdown().await.unwrap();
            })
        });
        let mut got = Vec::new();
        block_on(b.read_to_end(&mut got)).unwrap();
        writer.join().unwrap();
        assert_eq!(got, data);
    });
}

/// client <-> (proxy_a | copy_bidirectional | proxy_b) <-> server
#[test]
fn copy_bidirectional_carries_the_half_close() {
    with_watchdog(|| {
        block_on(async {
            let (mut client, mut proxy_a) = tokio::io::duplex(8);
            let (mut proxy_b, mut server) = tokio::io::duplex(8);
            let proxy = tokio::io::copy_bidirectional(&mut proxy_a, &mut proxy_b);
            let client_side = async {
                client.write_all(b"request body").await.unwrap();
                client.shutdown().await.unwrap();
                let mut reply = String::new();
                client.read_to_string(&mut reply).await.unwrap();
                reply
            };
            let server_side = async {
                // Only a propagated shutdown ends this read.
                let mut req = String::new();
                server.read_to_string(&mut req).await.unwrap();
                server.write_all(b"reply to ").await.unwrap();
                server.write_all(req.as_bytes()).await.unwrap();
                server.shutdown().await.unwrap();
            };
            let (counts, reply, ()) = tokio::join!(proxy, client_side, server_side);
            assert_eq!(counts.unwrap(), (12, 21));
            assert_eq!(reply, "reply to request body");
        })
    });
}

#[test]
fn copy_bidirectional_with_tiny_buffers() {
    with_watchdog(|| {
        block_on(async {
            let (mut client, mut proxy_a) = tokio::io::duplex(1024);
            let (mut proxy_b, mut server) = tokio::io::duplex(1024);
            let msg: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
            let proxy = tokio::io::copy_bidirectional_with_sizes(&mut proxy_a, &mut proxy_b, 1, 7);
            let ends = async {
                let ((), got) = tokio::join!(
                    async {
                        client.write_all(&msg).await.unwrap();
                        client.shutdown().await.unwrap();
                    },
                    async {
                        // The server sends nothing: its shutdown ends the b-to-a direction.
                        server.shutdown().await.unwrap();
                        let mut got = Vec::new();
                        server.read_to_end(&mut got).await.unwrap();
                        got
                    },
                );
                got
            };
            let (counts, got) = tokio::join!(proxy, ends);
            assert_eq!(counts.unwrap(), (3000, 0));
            assert_eq!(got, msg);
        })
    });
}

#[test]
fn copy_bidirectional_fails_when_a_peer_is_gone() {
    with_watchdog(|| {
        block_on(async {
            let (mut client, mut proxy_a) = tokio::io::duplex(64);
            let (mut proxy_b, server) = tokio::io::duplex(64);
            drop(server);
            client.write_all(b"nobody listens").await.unwrap();
            let err = tokio::io::copy_bidirectional(&mut proxy_a, &mut proxy_b)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe);
        })
    });
}

#[test]
fn copy_bidirectional_a_blocked_direction_does_not_stall_the_other() {
    with_watchdog(|| {
        block_on(async {
            let (mut client, mut proxy_a) = tokio::io::duplex(4);
            let (mut proxy_b, server) = tokio::io::duplex(4);
            let (mut server_rd, mut server_wr) = tokio::io::split(server);
            // The client never reads, so the server-to-client direction fills and stops.
            tokio::select! {
                biased;
                got = async {
                    client.write_all(b"ping").await.unwrap();
                    client.shutdown().await.unwrap();
                    let mut got = Vec::new();
                    server_rd.read_to_end(&mut got).await.unwrap();
                    got
                } => assert_eq!(got, b"ping"),
                _ = server_wr.write_all(&[7; 100]) => panic!("a direction nobody reads completed"),
                r = tokio::io::copy_bidirectional(&mut proxy_a, &mut proxy_b) => {
                    panic!("the proxy ended early: {r:?}")
                }
            }
        })
    });
}
