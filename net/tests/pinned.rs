//! Sockets inside pinned tasks (`task::spawn_pinned`): a `!Send` future does TCP I/O on its own
//! thread, with the runtime's poller, and never leaves that thread.

mod common;

use common::{rt, watchdog};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use gosched_executor::task::{spawn_local, spawn_pinned, yield_now};
use gosched_executor::time::sleep;
use gosched_net::{TcpListener, TcpStream};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

#[test]
fn an_rc_refcell_future_sleeps_does_tcp_io_yields_and_returns() {
    let _w = watchdog("pinned_tcp", Duration::from_secs(60));
    let rt = rt(2);
    let out = rt.block_on(async {
        // An echo server on the Ps.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = gosched_executor::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 1024];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                s.write_all(&buf[..n]).await.unwrap();
            }
        });
        let out = spawn_pinned(move || async move {
            let me = std::thread::current().id();
            let state = Rc::new(RefCell::new(Vec::<String>::new()));
            sleep(Duration::from_millis(5)).await;
            let mut c = TcpStream::connect(addr).await.unwrap();
            for i in 0..50 {
                let msg = format!("line {i}\n");
                c.write_all(msg.as_bytes()).await.unwrap();
                let mut back = vec![0u8; msg.len()];
                c.read_exact(&mut back).await.unwrap();
                state.borrow_mut().push(String::from_utf8(back).unwrap());
                assert_eq!(std::thread::current().id(), me);
            }
            drop(c);
            for _ in 0..10_000 {
                yield_now().await;
            }
            assert_eq!(std::thread::current().id(), me);
            let lines = state.borrow().len();
            let last = state.borrow().last().cloned().unwrap();
            (lines, last)
        })
        .await
        .unwrap();
        server.await.unwrap();
        out
    });
    assert_eq!(out, (50, "line 49\n".to_string()));
}

#[test]
fn a_pinned_listener_and_a_local_client_talk_on_one_thread() {
    let _w = watchdog("pinned_local_tcp", Duration::from_secs(60));
    let rt = rt(1);
    let got = rt.block_on(async {
        spawn_pinned(|| async {
            let me = std::thread::current().id();
            let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
            let addr = listener.local_addr().unwrap();
            // The client is a !Send local task on the same thread; both wait in the poller.
            let client = spawn_local(async move {
                let mut c = TcpStream::connect(addr).await.unwrap();
                c.write_all(b"hello from the same thread").await.unwrap();
                std::thread::current().id()
            });
            let (mut s, _) = listener.accept().await.unwrap();
            let mut got = String::new();
            s.read_to_string(&mut got).await.unwrap();
            assert_eq!(client.await.unwrap(), me);
            got
        })
        .await
        .unwrap()
    });
    assert_eq!(got, "hello from the same thread");
}
