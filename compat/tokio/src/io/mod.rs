//! tokio::io on gosched: the four I/O traits, `ReadBuf`, and (in the files beside this one)
//! their extension traits and utilities.

mod read_buf;
mod traits;

pub use read_buf::ReadBuf;
pub use std::io::{Error, ErrorKind, Result, SeekFrom};
pub use traits::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
