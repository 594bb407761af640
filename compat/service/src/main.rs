//! Serves the proof service until Ctrl-C or SIGTERM: `gosched-tokio-service [ADDR]` (default
//! 127.0.0.1:8080), printing the address it listens on. Used under wrk to compare the facade
//! with crates.io tokio (`compat/bench.sh`).

use gosched_tokio_service::Service;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let service = Service::new();
    service
        .serve(listener, async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("a SIGTERM listener");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        })
        .await
}
