//! A TCP echo server and clients that check every byte: each client sends `--messages`
//! messages of `--size` pseudo-random bytes, reads each echo back, and folds what it sent and
//! what it received into two FNV-1a checksums that must match.
//!
//! `cargo run --release --example tcp_echo -- --connections 64 --messages 10000`

use clap::Parser;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use gosched::net::{TcpListener, TcpStream};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "TCP echo server and checksumming clients on gosched")]
struct Args {
    /// Concurrent client connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Messages per connection.
    #[arg(long, default_value_t = 10_000)]
    messages: usize,
    /// Bytes per message.
    #[arg(long, default_value_t = 1024)]
    size: usize,
    /// Ps (default: GOSCHED_MAXPROCS or the CPU count).
    #[arg(long)]
    maxprocs: Option<usize>,
}

/// FNV-1a, 64 bit: small, and any lost, duplicated or reordered byte changes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fnv(u64);

impl Fnv {
    const NEW: Fnv = Fnv(0xcbf2_9ce4_8422_2325);

    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// xorshift64: the message bytes, different for every connection.
fn fill(buf: &mut [u8], state: &mut u64) {
    for b in buf {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *b = *state as u8;
    }
}

/// Echoes everything it reads until the client closes its write half.
async fn echo(conn: TcpStream) -> std::io::Result<u64> {
    futures::io::copy(&conn, &mut &conn).await
}

/// Sends `messages` messages and reads each back: (sent, received) checksums.
async fn client(addr: std::net::SocketAddr, id: u64, args: &Args) -> std::io::Result<(Fnv, Fnv)> {
    let mut conn = TcpStream::connect(addr).await?;
    conn.set_nodelay(true)?;
    let (mut sent, mut received) = (Fnv::NEW, Fnv::NEW);
    let mut state = id.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let (mut out, mut back) = (vec![0; args.size], vec![0; args.size]);
    for _ in 0..args.messages {
        fill(&mut out, &mut state);
        conn.write_all(&out).await?;
        sent.update(&out);
        conn.read_exact(&mut back).await?;
        received.update(&back);
    }
    conn.close().await?; // the server's copy sees EOF and ends
    Ok((sent, received))
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut builder = gosched::runtime::Builder::new();
    if let Some(n) = args.maxprocs {
        builder = builder.maxprocs(n);
    }
    let rt = builder.build()?;
    let args = std::sync::Arc::new(args);
    let mismatches = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        println!("tcp_echo: listening on {addr}");
        let connections = args.connections;
        let server = gosched::spawn(async move {
            let mut echoed = Vec::new();
            for _ in 0..connections {
                let (conn, _) = listener.accept().await?;
                echoed.push(gosched::spawn(echo(conn)));
            }
            let mut total = 0;
            for e in echoed {
                total += e.await??;
            }
            std::io::Result::Ok(total)
        });
        let start = Instant::now();
        let clients: Vec<_> = (0..args.connections as u64)
            .map(|id| {
                let args = args.clone();
                gosched::spawn(async move { client(addr, id, &args).await })
            })
            .collect();
        let mut mismatches = 0;
        for c in clients {
            let (sent, received) = c.await??;
            mismatches += usize::from(sent != received);
        }
        let elapsed = start.elapsed();
        let echoed = server.await??;
        let bytes = (args.connections * args.messages * args.size) as u64;
        assert_eq!(echoed, bytes, "the server echoed every byte");
        println!(
            "{} connections x {} messages x {} B: {:.1} MB echoed in {:.3} s, {:.0} round trips/s",
            args.connections,
            args.messages,
            args.size,
            bytes as f64 / 1e6,
            elapsed.as_secs_f64(),
            (args.connections * args.messages) as f64 / elapsed.as_secs_f64()
        );
        std::io::Result::Ok(mismatches)
    })?;
    let m = rt.metrics();
    println!(
        "metrics: steals={} handoffs={} netpoll_wakeups={}",
        m.steals_total, m.handoffs_total, m.netpoll_wakeups_total
    );
    println!("checksum mismatches: {mismatches}");
    if mismatches > 0 {
        std::process::exit(1);
    }
    Ok(())
}
