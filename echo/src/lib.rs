//! The HTTP/1.1 echo server of `examples/http_echo` and its load generator, generic over the
//! runtime so the same code runs on gosched and on tokio. Used by the example,
//! `benches/http.rs` and the HTTP tests in `tests/`; not published.
//!
//! - [`server`]: the server and its limits; [`parse`]: its request parser (bytes in, answers
//!   out, no I/O);
//! - [`client`]: the load that checks every echo;
//! - [`rt`]: the [`Rt`](rt::Rt) trait, the few runtime operations both need, for
//!   [`Gosched`](rt::Gosched) and [`Tokio`](rt::Tokio);
//! - [`drain`]: the graceful stop of `--server-only`.

pub mod client;
pub mod drain;
pub mod parse;
pub mod rt;
pub mod server;
