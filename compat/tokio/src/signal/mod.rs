//! tokio::signal on gosched.
//!
//! The mapping: `ctrl_c` and `unix::Signal` are gosched's, re-exported; `unix::SignalKind` is
//! the facade's own (tokio has more named kinds), turned into gosched's by its raw number in
//! `unix::signal`. Delivery is gosched's: signals are coalesced per listener, never lost.
//!
//! # Examples
//! ```no_run
//! # let rt = tokio::runtime::Runtime::new().unwrap();
//! # rt.block_on(async {
//! tokio::signal::ctrl_c().await.unwrap();
//! println!("interrupted");
//! # });
//! ```

#[cfg(unix)]
pub mod unix;

pub use gosched_executor::signal::ctrl_c;
