//! The live debug endpoint (`gosched::debug::serve`, feature `debug-http`) on a small
//! workload: tickers, a TCP ping-pong pair, tasks parked on a channel and a busy task.
//!
//! ```sh
//! cargo run --example debug_endpoint                    # serve 127.0.0.1:6060 until Ctrl-C
//! curl http://127.0.0.1:6060/debug/gosched/tasks?debug=1
//! curl http://127.0.0.1:6060/debug/gosched/metrics
//! cargo run --example debug_endpoint -- --self-check    # fetch every page once, then exit
//! cargo run --release --example debug_endpoint -- --pending 100000   # and 100k idle tasks
//! ```

use clap::Parser;
use gosched::net::{TcpListener, TcpStream};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(about = "gosched's live debug endpoint on a small workload")]
struct Args {
    /// Where to serve the debug pages (port 0: a free port). Keep it on loopback: the pages
    /// show the program's insides.
    #[arg(long, default_value = "127.0.0.1:6060")]
    addr: SocketAddr,
    /// Fetch every page once, print what came back, and exit instead of waiting for Ctrl-C.
    #[arg(long)]
    self_check: bool,
    /// Also park this many tasks forever (to see what a scrape costs with many live tasks).
    #[arg(long, default_value_t = 0)]
    pending: usize,
}

fn main() -> std::io::Result<()> {
    let mut args = Args::parse();
    if args.addr.port() == 0 {
        args.addr = std::net::TcpListener::bind(args.addr)?.local_addr()?;
    }
    if !args.addr.ip().is_loopback() {
        eprintln!("debug_endpoint: warning: {} is not a loopback address", args.addr);
    }
    let rt = gosched::runtime::Builder::new()
        .flight_recorder(true) // for /debug/gosched/trace
        .slow_poll_threshold(Duration::from_millis(50)) // fills the poll_duration histogram
        .build()?;
    rt.block_on(async move {
        let addr = args.addr;
        let server = gosched::spawn(gosched::debug::serve(addr));
        workload().await?;
        for _ in 0..args.pending {
            gosched::spawn(std::future::pending::<()>());
        }
        println!("debug endpoint: http://{addr}/debug/gosched/");
        if args.self_check {
            gosched::time::sleep(Duration::from_millis(300)).await;
            let ok = gosched::spawn_blocking(move || self_check(addr)).await.unwrap();
            server.abort();
            return if ok {
                Ok(())
            } else {
                Err(std::io::Error::other("a page did not answer 200"))
            };
        }
        println!("Ctrl-C to stop");
        gosched::signal::ctrl_c().await?;
        server.abort();
        Ok(())
    })
}

/// Starts the background tasks the pages show.
async fn workload() -> std::io::Result<()> {
    // Tickers: 8 tasks waking every 10 ms (wait reason `sleep`).
    for _ in 0..8 {
        gosched::spawn(async {
            let mut tick = gosched::time::interval(Duration::from_millis(10));
            loop {
                tick.tick().await;
            }
        });
    }
    // Parked: 100 tasks waiting on a channel that never sends (wait reason `wait`).
    let (tx, rx) = async_channel::bounded::<()>(1);
    for _ in 0..100 {
        let rx = rx.clone();
        gosched::spawn(async move {
            let _ = rx.recv().await;
        });
    }
    std::mem::forget(tx); // keep the channel open for the program's life
    // A TCP ping-pong pair on loopback (wait reason `IO wait`, netpoll wakeups).
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let echo_addr = listener.local_addr()?;
    gosched::spawn(async move {
        let Ok((conn, _)) = listener.accept().await else {
            return;
        };
        let mut buf = [0u8; 64];
        loop {
            match read_some(&conn, &mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if write_all(&conn, &buf[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let client = TcpStream::connect(echo_addr).await?;
    gosched::spawn(async move {
        let mut buf = [0u8; 64];
        loop {
            if write_all(&client, b"ping").await.is_err() || read_some(&client, &mut buf).await.is_err() {
                return;
            }
            gosched::time::sleep(Duration::from_millis(5)).await;
        }
    });
    // A busy task: computes in short slices and yields.
    gosched::spawn(async {
        let mut x = 1u64;
        loop {
            for i in 0..10_000u64 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
            }
            std::hint::black_box(x);
            gosched::task::yield_now().await;
        }
    });
    Ok(())
}

async fn read_some(s: &TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match s.try_read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => s.readable().await?,
            r => return r,
        }
    }
}

async fn write_all(s: &TcpStream, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        match s.try_write(buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => s.writable().await?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Fetches every page with a plain blocking client; prints `GET path -> status, bytes`.
fn self_check(addr: SocketAddr) -> bool {
    let mut ok = true;
    for path in [
        "/debug/gosched/",
        "/debug/gosched/tasks?debug=1",
        "/debug/gosched/tasks?debug=2",
        "/debug/gosched/metrics",
        "/debug/gosched/schedtrace",
        "/debug/gosched/trace?seconds=0",
    ] {
        let answer = (|| -> std::io::Result<String> {
            let mut s = std::net::TcpStream::connect(addr)?;
            s.set_read_timeout(Some(Duration::from_secs(30)))?;
            write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n")?;
            let mut out = String::new();
            s.read_to_string(&mut out)?;
            Ok(out)
        })();
        match answer {
            Ok(text) => {
                let status = text.split(' ').nth(1).unwrap_or("?").to_string();
                let body = text.split_once("\r\n\r\n").map_or(0, |(_, b)| b.len());
                println!("GET {path} -> {status}, {body} bytes");
                if path.ends_with("debug=1") {
                    // The biggest group, as an operator would look for a leak.
                    if let Some(group) = text.lines().find(|l| l.contains(" spawned at ")) {
                        println!("  {group}");
                    }
                }
                ok &= status == "200";
            }
            Err(e) => {
                println!("GET {path} -> error: {e}");
                ok = false;
            }
        }
    }
    ok
}
