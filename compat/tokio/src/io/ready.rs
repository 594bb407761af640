//! `tokio::io::Interest` and `tokio::io::Ready`: gosched-net's, which have tokio's constants,
//! predicates and operators (`PRIORITY` is not there yet: gosched's poller does not watch
//! out-of-band data).
//!
//! # Examples
//! ```
//! use tokio::io::{Interest, Ready};
//!
//! let both = Interest::READABLE | Interest::WRITABLE;
//! assert!(both.is_readable() && both.is_writable());
//! assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
//! let r = Ready::READABLE | Ready::READ_CLOSED;
//! assert!(r.is_read_closed() && !r.is_writable());
//! ```

pub use gosched_net::{Interest, Ready};
