//! hyper 1, hyper-util and axum on gosched (feature `hyper`), with no tokio runtime.
//!
//! hyper leaves three things to the runtime, each a trait in `hyper::rt`; hyper-util's legacy
//! client needs a fourth, a connector. gosched provides all four:
//!
//! | hyper needs | gosched gives | used for |
//! |---|---|---|
//! | `rt::Executor` | [`GoschedExecutor`] | HTTP/2 streams, client connections, `server::conn::auto` |
//! | `rt::Timer` | [`GoschedTimer`] | header-read timeouts, HTTP/2 keep-alive, pool expiry |
//! | `rt::Read` + `rt::Write` | [`GoschedIo`] | any gosched stream (`TcpStream`, `UnixStream`) |
//! | `Service<Uri>` + `Connection` | [`HttpConnector`] | `hyper_util::client::legacy::Client` |
//!
//! Everything runs as gosched tasks on gosched's netpoller and timers: tokio appears only as
//! a library hyper-util links (its `sync` and `net` modules); no tokio runtime is started,
//! so `tokio::runtime::Handle::try_current()` fails inside every handler.
//!
//! # Examples
//! An axum-style service served with hyper-util's `auto` builder (HTTP/1.1 and HTTP/2 on one
//! port), and an HTTP/2 request to it from the pooled legacy client:
//! ```
//! use gosched::hyper::{GoschedExecutor, GoschedIo, GoschedTimer, HttpConnector};
//! use http_body_util::{BodyExt, Full};
//! use hyper::body::{Bytes, Incoming};
//! use hyper_util::client::legacy::Client;
//! use hyper_util::server::conn::auto;
//!
//! async fn hello(req: hyper::Request<Incoming>) -> Result<hyper::Response<Full<Bytes>>, hyper::Error> {
//!     assert!(tokio::runtime::Handle::try_current().is_err()); // no tokio runtime here
//!     let text = format!("hello over {:?}", req.version());
//!     Ok(hyper::Response::new(Full::new(Bytes::from(text))))
//! }
//!
//! #[gosched::main]
//! async fn main() {
//!     let listener = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let url = format!("http://{}/", listener.local_addr().unwrap());
//!     gosched::spawn(async move {
//!         loop {
//!             let (stream, _) = listener.accept().await.unwrap();
//!             gosched::spawn(async move {
//!                 let mut builder = auto::Builder::new(GoschedExecutor);
//!                 builder.http2().timer(GoschedTimer);
//!                 let service = hyper::service::service_fn(hello);
//!                 let _ = builder.serve_connection(GoschedIo::new(stream), service).await;
//!             });
//!         }
//!     });
//!
//!     let client: Client<_, Full<Bytes>> = Client::builder(GoschedExecutor)
//!         .timer(GoschedTimer)
//!         .pool_timer(GoschedTimer)
//!         .http2_only(true)
//!         .build(HttpConnector::new());
//!     let res = client.get(url.parse().unwrap()).await.unwrap();
//!     let body = res.into_body().collect().await.unwrap().to_bytes();
//!     assert_eq!(&body[..], b"hello over HTTP/2.0");
//! }
//! ```

mod connector;
mod executor;
mod io;
mod timer;

pub use connector::{HttpConnecting, HttpConnector};
pub use executor::GoschedExecutor;
pub use io::GoschedIo;
pub use timer::GoschedTimer;
