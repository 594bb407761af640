//! tokio's API on the gosched executor.
//!
//! This crate is named `tokio` so that a program puts it under `[patch.crates-io]` and every
//! tokio-based library in its graph (axum::serve, reqwest, hyper-util, tower) runs on gosched's
//! G/P/M scheduler, with no tokio runtime and no copy of tokio in the process:
//!
//! ```toml
//! [patch.crates-io]
//! tokio = { path = "path/to/gosched/compat/tokio" }
//! ```
//!
//! Every task spawned here is a gosched task; every socket and timer is gosched's. tokio's
//! documentation is the specification of each item; where behaviour differs, `README.md`'s table
//! says how. Each module keeps its mapping to gosched in one place.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks, missing_debug_implementations)]

pub mod io;
pub mod net;
pub mod runtime;
pub mod signal;
pub mod sync;
pub mod task;
pub mod time;

#[doc(hidden)]
pub mod macros;

pub use task::spawn;
pub use tokio_macros_crate::{main, test};
