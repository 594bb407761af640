//! A small HTTP/1.1 server that shuts down gracefully: on SIGTERM or Ctrl-C it stops
//! accepting (the listening socket is closed, so new connects are refused), lets the requests
//! in flight finish up to a deadline (or until a second signal), aborts the rest, prints what
//! it drained and exits 0.
//!
//! ```sh
//! cargo run --example graceful_shutdown -- --addr 127.0.0.1:8080 --drain-ms 10000
//! curl 'http://127.0.0.1:8080/slow?ms=3000' &   # a slow request in flight ...
//! kill -TERM <pid>                              # ... still answered; then the server exits
//! ```
//!
//! What it uses: `gosched::signal` for SIGTERM/SIGINT, a `task::JoinSet` holding one task per
//! connection (joined as they finish, aborted together at the deadline), and a `task_local!`
//! request id that every log line of a request reads, on whatever thread polls it.
//!
//! Routes: `GET /slow?ms=N` answers after N ms (at most 60 s); anything else answers at once.
//! One request per connection (`Connection: close`).

use clap::Parser;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use gosched::net::{TcpListener, TcpStream};
use gosched::signal::unix::{SignalKind, signal};
use gosched::task::JoinSet;
use std::future::{Future, poll_fn};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

/// Largest request head read (the rest is refused with 431).
const MAX_HEAD: usize = 8 * 1024;
/// Longest `/slow` delay a client may ask for.
const MAX_SLOW: Duration = Duration::from_secs(60);

gosched::task_local! {
    /// The id of the request being served, for log lines.
    static REQUEST_ID: u64;
}

#[derive(Parser, Debug)]
#[command(about = "An HTTP server on gosched that drains in-flight requests on SIGTERM or Ctrl-C")]
struct Args {
    /// Address to listen on (port 0: any free port; the chosen one is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// How long requests in flight may take to finish after the signal; then they are aborted.
    #[arg(long, default_value_t = 10_000)]
    drain_ms: u64,
    /// Ps (default: GOSCHED_MAXPROCS or the CPU count).
    #[arg(long)]
    maxprocs: Option<usize>,
}

/// How the connections ended.
#[derive(Debug, Default)]
struct Tally {
    answered: u64,
    failed: u64,
}

impl Tally {
    fn add(&mut self, res: Result<io::Result<()>, gosched::task::JoinError>) {
        match res {
            Ok(Ok(())) => self.answered += 1,
            Ok(Err(_)) | Err(_) => self.failed += 1,
        }
    }
}

/// What the accept loop stopped for.
enum Event {
    Accepted(io::Result<(TcpStream, SocketAddr)>),
    Signal(&'static str),
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let mut builder = gosched::runtime::Builder::new();
    if let Some(n) = args.maxprocs {
        builder = builder.maxprocs(n);
    }
    let rt = builder.build()?;
    rt.block_on(serve(&args))?;
    let m = rt.metrics();
    println!(
        "runtime: spawned={} polls={} live_tasks={}",
        m.spawned_total, m.polls_total, m.live_tasks
    );
    Ok(())
}

async fn serve(args: &Args) -> io::Result<()> {
    // The listeners exist before the address is printed: a signal sent as soon as the server
    // is up is handled, not fatal.
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let listener = TcpListener::bind(args.addr).await?;
    println!(
        "graceful_shutdown: listening on http://{}/",
        listener.local_addr()?
    );
    io::stdout().flush()?;

    let mut conns = JoinSet::new();
    let mut tally = Tally::default();
    let mut next_id = 0u64;
    let signal_name = loop {
        let mut accept = pin!(listener.accept());
        let event = poll_fn(|cx| {
            if term.poll_recv(cx).is_ready() {
                return Poll::Ready(Event::Signal("SIGTERM"));
            }
            if int.poll_recv(cx).is_ready() {
                return Poll::Ready(Event::Signal("SIGINT"));
            }
            // Reap the connections that finished, so the set holds only those in flight.
            while let Poll::Ready(Some(res)) = conns.poll_join_next(cx) {
                tally.add(res);
            }
            accept.as_mut().poll(cx).map(Event::Accepted)
        })
        .await;
        match event {
            Event::Accepted(Ok((conn, _peer))) => {
                next_id += 1;
                conns.spawn(REQUEST_ID.scope(next_id, handle(conn)));
            }
            Event::Accepted(Err(e)) => eprintln!("graceful_shutdown: accept: {e}"),
            Event::Signal(name) => break name,
        }
    };

    // Stop accepting: closing the listener makes new connects fail with "connection refused".
    drop(listener);
    let drain = Duration::from_millis(args.drain_ms);
    println!(
        "shutdown: {signal_name} received; stopped accepting; draining {} in-flight requests (deadline {} ms)",
        conns.len(),
        drain.as_millis()
    );
    io::stdout().flush()?;
    // Until every request is answered, the deadline passes, or a second signal says "now".
    let mut deadline = pin!(gosched::time::sleep(drain));
    let cut_short = poll_fn(|cx| {
        while let Poll::Ready(next) = conns.poll_join_next(cx) {
            match next {
                Some(res) => tally.add(res),
                None => return Poll::Ready(None),
            }
        }
        if term.poll_recv(cx).is_ready() || int.poll_recv(cx).is_ready() {
            return Poll::Ready(Some("at a second signal"));
        }
        deadline.as_mut().poll(cx).map(|()| Some("at the deadline"))
    })
    .await;
    let aborted = conns.len();
    conns.shutdown().await;
    println!(
        "drained: {} answered, {} failed, {aborted} aborted{} ({next_id} requests in all)",
        tally.answered,
        tally.failed,
        cut_short.map(|why| format!(" {why}")).unwrap_or_default()
    );
    Ok(())
}

/// Serves one request on `conn`, inside its request-id scope.
async fn handle(conn: TcpStream) -> io::Result<()> {
    let id = REQUEST_ID.get();
    let head = match read_head(&conn).await? {
        Some(head) => head,
        None => return respond(&conn, "431 Request Header Fields Too Large", "head too large\n").await,
    };
    let target = head
        .lines()
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .to_owned();
    println!("request {id}: GET {target} started");
    let _ = io::stdout().flush();
    let body = match target.strip_prefix("/slow?ms=") {
        Some(ms) => match ms.parse::<u64>().map(Duration::from_millis) {
            Ok(d) if d <= MAX_SLOW => {
                gosched::time::sleep(d).await;
                format!("request {id}: {target} done after {} ms\n", d.as_millis())
            }
            _ => return respond(&conn, "400 Bad Request", "ms must be 0..=60000\n").await,
        },
        None => format!("request {id}: hello from {target}\n"),
    };
    respond(&conn, "200 OK", &body).await?;
    // Read on another thread than the start, perhaps: the scope went with the future.
    println!("request {}: answered", REQUEST_ID.get());
    let _ = io::stdout().flush();
    Ok(())
}

/// Reads up to the blank line ending the head; `None` if it is longer than [`MAX_HEAD`].
async fn read_head(mut conn: &TcpStream) -> io::Result<Option<String>> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Ok(None);
        }
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(Some(String::from_utf8_lossy(&head).into_owned()))
}

async fn respond(mut conn: &TcpStream, status: &str, body: &str) -> io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(response.as_bytes()).await?;
    conn.flush().await
}
