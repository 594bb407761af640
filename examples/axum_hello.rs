//! An axum `Router` on gosched: hyper-util's `auto` connection builder (HTTP/1.1 and HTTP/2)
//! over gosched `TcpStream`s, with `gosched::hyper`'s executor, timer and I/O adapter (facade
//! feature `hyper`). No tokio runtime runs: `GET /runtime` says what the handler runs on. A
//! built-in client (hyper-util's pooled legacy client through `gosched::hyper::HttpConnector`)
//! sends `--requests` requests and checks the answers.
//!
//! `--runtime tokio` serves the same `Router` with `axum::serve` on a tokio runtime instead,
//! to compare the two under `wrk`:
//!
//! ```sh
//! cargo run --release --example axum_hello                        # server + client, then exit
//! cargo run --release --example axum_hello -- --server-only       # serve 127.0.0.1:3000
//! curl http://127.0.0.1:3000/hello/you
//! wrk -t1 -c64 -d5s --latency http://127.0.0.1:3000/
//! cargo run --release --example axum_hello -- --server-only --runtime tokio   # axum::serve
//! ```

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use clap::{Parser, ValueEnum};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::Connect;
use std::io::Write;
use std::net::SocketAddr;

#[derive(Parser, Debug)]
#[command(about = "An axum Router served on gosched (or on tokio with axum::serve, to compare)")]
struct Args {
    /// Only serve, on --addr (default 127.0.0.1:3000), until killed.
    #[arg(long)]
    server_only: bool,
    /// Where to listen (default: a free port, or 127.0.0.1:3000 with --server-only).
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// Requests the built-in client sends.
    #[arg(long, default_value_t = 10)]
    requests: usize,
    /// Ps (gosched) or worker threads (tokio); default: GOSCHED_MAXPROCS or the CPU count.
    #[arg(long)]
    maxprocs: Option<usize>,
    /// The runtime under the server and the client.
    #[arg(long, value_enum, default_value_t = RuntimeKind::Gosched)]
    runtime: RuntimeKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum RuntimeKind {
    Gosched,
    Tokio,
}

/// The application, the same on both runtimes.
fn router() -> Router {
    Router::new()
        .route("/", get(|| async { "Hello, World!" }))
        .route(
            "/hello/{name}",
            get(|Path(name): Path<String>| async move { format!("Hello, {name}!") }),
        )
        .route("/runtime", get(|| async { runtime_report() }))
}

/// What the handler runs on: a gosched task or not, a tokio runtime or not.
fn runtime_report() -> String {
    let gosched = match gosched::task::try_id() {
        Some(id) => format!("gosched task {id}"),
        None => "not a gosched task".to_owned(),
    };
    let tokio = match tokio::runtime::Handle::try_current() {
        Ok(_) => "a tokio runtime",
        Err(_) => "no tokio runtime",
    };
    format!("{gosched}, {tokio}")
}

/// Serves `router` on gosched until the listener fails: one task per connection.
async fn serve_on_gosched(listener: gosched::net::TcpListener, router: Router) -> std::io::Result<()> {
    use gosched::hyper::{GoschedExecutor, GoschedIo, GoschedTimer};
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        gosched::spawn(async move {
            let mut builder = hyper_util::server::conn::auto::Builder::new(GoschedExecutor);
            builder.http2().timer(GoschedTimer);
            let conn = builder.serve_connection_with_upgrades(GoschedIo::new(stream), service);
            if let Err(e) = conn.await {
                eprintln!("axum_hello: connection: {e}");
            }
        });
    }
}

/// Sends `n` requests through a pooled client; returns how many got the right answer.
async fn check<C>(client: Client<C, Empty<Bytes>>, addr: SocketAddr, n: usize) -> usize
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let get = |path: String| {
        let client = client.clone();
        async move {
            let res = client.get(format!("http://{addr}{path}").parse()?).await?;
            let status = res.status();
            let body = res.into_body().collect().await?.to_bytes();
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((
                status,
                String::from_utf8_lossy(&body).into_owned(),
            ))
        }
    };
    match get("/runtime".to_owned()).await {
        Ok((_, body)) => println!("GET /runtime -> {body}"),
        Err(e) => println!("GET /runtime -> error: {e}"),
    }
    let mut ok = 0;
    for i in 0..n {
        match get(format!("/hello/gopher{i}")).await {
            Ok((status, body)) => {
                if i == 0 {
                    println!("GET /hello/gopher0 -> {status} {body:?}");
                }
                ok += usize::from(status == 200 && body == format!("Hello, gopher{i}!"));
            }
            Err(e) => eprintln!("axum_hello: request {i}: {e}"),
        }
    }
    ok
}

fn listen_addr(args: &Args) -> SocketAddr {
    let default = if args.server_only {
        "127.0.0.1:3000"
    } else {
        "127.0.0.1:0"
    };
    args.addr
        .unwrap_or_else(|| default.parse().expect("a literal address"))
}

fn announce(runtime: &str, addr: SocketAddr) -> std::io::Result<()> {
    println!("axum_hello ({runtime}): listening on http://{addr}/");
    std::io::stdout().flush()
}

/// The app on gosched; the number of good responses.
async fn on_gosched(args: &Args) -> std::io::Result<usize> {
    use gosched::hyper::{GoschedExecutor, GoschedTimer, HttpConnector};
    let listener = gosched::net::TcpListener::bind(listen_addr(args)).await?;
    let addr = listener.local_addr()?;
    announce("gosched", addr)?;
    if args.server_only {
        serve_on_gosched(listener, router()).await?;
        unreachable!("serve returns only on error");
    }
    drop(gosched::spawn(serve_on_gosched(listener, router())));
    let client = Client::builder(GoschedExecutor)
        .timer(GoschedTimer)
        .pool_timer(GoschedTimer)
        .build(HttpConnector::new());
    Ok(check(client, addr, args.requests).await)
}

/// The app on tokio, served by `axum::serve`; the number of good responses.
async fn on_tokio(args: &Args) -> std::io::Result<usize> {
    use axum::serve::ListenerExt;
    use hyper_util::rt::{TokioExecutor, TokioTimer};
    let listener = tokio::net::TcpListener::bind(listen_addr(args)).await?;
    let addr = listener.local_addr()?;
    announce("tokio", addr)?;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    if args.server_only {
        axum::serve(listener, router()).await?;
        unreachable!("serve returns only on error");
    }
    tokio::spawn(async move { axum::serve(listener, router()).await });
    let client = Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new());
    Ok(check(client, addr, args.requests).await)
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let ok = match args.runtime {
        RuntimeKind::Gosched => {
            let mut b = gosched::runtime::Builder::new();
            if let Some(n) = args.maxprocs {
                b = b.maxprocs(n);
            }
            let rt = b.build()?;
            let ok = rt.block_on(on_gosched(&args))?;
            let m = rt.metrics();
            println!(
                "runtime: gosched maxprocs={} threads={} spawned={} polls={}",
                m.maxprocs, m.threads, m.spawned_total, m.polls_total
            );
            ok
        }
        RuntimeKind::Tokio => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            if let Some(n) = args.maxprocs {
                b.worker_threads(n);
            }
            let rt = b.enable_all().build()?;
            let ok = rt.block_on(on_tokio(&args))?;
            println!("runtime: tokio worker_threads={}", rt.metrics().num_workers());
            ok
        }
    };
    println!("responses ok: {ok}/{}", args.requests);
    if ok != args.requests {
        std::process::exit(1);
    }
    Ok(())
}
