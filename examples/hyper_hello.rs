//! hyper 1 on gosched: an HTTP/1.1 server whose connections are gosched `TcpStream`s, handed
//! to hyper through `hyper_util::rt::TokioIo` (gosched-net's feature `tokio-io` implements
//! tokio's I/O traits; no tokio runtime runs). A hyper client on gosched then sends it
//! `--requests` requests and checks the answers.
//!
//! ```sh
//! cargo run --release --example hyper_hello                       # server + client, then exit
//! cargo run --release --example hyper_hello -- --server-only      # serve 127.0.0.1:3000
//! curl http://127.0.0.1:3000/you
//! ```

use clap::Parser;
use gosched::net::{TcpListener, TcpStream};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;

#[derive(Parser, Debug)]
#[command(about = "A hyper 1 server (and client) running on gosched")]
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
}

/// `GET /name` → `Hello, name!` (`Hello, World!` for `/`).
async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let name = req.uri().path().trim_start_matches('/');
    let name = if name.is_empty() { "World" } else { name };
    Ok(Response::builder()
        .header("server", "hyper on gosched")
        .body(Full::new(Bytes::from(format!("Hello, {name}!"))))
        .expect("a valid response"))
}

async fn serve(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (conn, _) = listener.accept().await?;
        gosched::spawn(async move {
            let served = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(conn), service_fn(hello))
                .await;
            if let Err(e) = served {
                eprintln!("hyper_hello: connection: {e}");
            }
        });
    }
}

/// Sends `n` requests on one keep-alive connection; returns how many got the right answer.
async fn client(addr: SocketAddr, n: usize) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let conn = TcpStream::connect(addr).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(conn)).await?;
    let driver = gosched::spawn(connection);
    let mut ok = 0;
    for i in 0..n {
        let req = Request::get(format!("/gopher{i}"))
            .header("host", addr.to_string())
            .body(Full::new(Bytes::new()))?;
        sender.ready().await?; // the previous response's connection work is done
        let res = sender.send_request(req).await?;
        let status = res.status();
        let body = res.into_body().collect().await?.to_bytes();
        if i == 0 {
            println!("GET /gopher0 -> {status} {:?}", String::from_utf8_lossy(&body));
        }
        ok += usize::from(status == 200 && body == format!("Hello, gopher{i}!"));
    }
    drop(sender);
    driver.await??;
    Ok(ok)
}

#[gosched::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args = Args::parse();
    let default = if args.server_only {
        "127.0.0.1:3000"
    } else {
        "127.0.0.1:0"
    };
    let listener = TcpListener::bind(args.addr.unwrap_or(default.parse()?)).await?;
    let addr = listener.local_addr()?;
    println!("hyper_hello: listening on http://{addr}/");
    if args.server_only {
        return Ok(serve(listener).await?);
    }
    gosched::spawn(serve(listener));
    let ok = client(addr, args.requests).await?;
    println!("responses ok: {ok}/{}", args.requests);
    if ok != args.requests {
        std::process::exit(1);
    }
    Ok(())
}
