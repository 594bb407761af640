//! The facade's feature `tokio-io`: gosched's streams implement tokio's `AsyncRead` and
//! `AsyncWrite` (gosched-net's feature, passed through), so tokio's extension traits work on
//! them with no tokio runtime.
#![cfg(feature = "tokio-io")]

mod hyper_support;

use gosched::net::{TcpListener, TcpStream};
use gosched::time::timeout;
use hyper_support::{LIMIT, rt, watchdog};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn tokio_io_traits_move_bytes_over_gosched_tcp() {
    let _w = watchdog(
        "tokio_io_traits_move_bytes_over_gosched_tcp",
        Duration::from_secs(60),
    );
    rt(2).block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let echo = gosched::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = vec![0; 64 * 1024];
            loop {
                let n = conn.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                conn.write_all(&buf[..n]).await.unwrap();
            }
            AsyncWriteExt::shutdown(&mut conn).await.unwrap();
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        let sent: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let (mut r, mut w) = (&client, &client);
        let writer = async {
            w.write_all(&sent).await.unwrap();
            AsyncWriteExt::shutdown(&mut w).await.unwrap(); // FIN: the echo loop ends
        };
        let mut back = Vec::new();
        let reader = r.read_to_end(&mut back);
        let ((), read) = futures::join!(writer, reader);
        read.unwrap();
        assert_eq!(back, sent);
        timeout(LIMIT, echo).await.unwrap().unwrap();
        assert_eq!(client.read(&mut [0; 1]).await.unwrap(), 0);
        assert!(tokio::runtime::Handle::try_current().is_err());
    });
}
