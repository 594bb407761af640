//! tokio::io on gosched: the four I/O traits and `ReadBuf` (`traits.rs`, `read_buf.rs`), and
//! in `util/` their extension traits, the futures those return, and the utilities: `copy`,
//! `copy_buf`, `copy_bidirectional`, `split`, `duplex`/`simplex`, `BufReader`, `BufWriter`,
//! `BufStream`, `empty`, `sink`, `repeat`, `join`.
//!
//! Everything here is runtime-agnostic: the in-memory readers and pipes wake tasks through
//! their `Context`'s waker only, so they work under any executor (the tests use
//! `futures::executor::block_on`). As tokio's, `duplex` and `simplex` pipes spend the task's
//! cooperative budget on a gosched worker (outside one, nothing is budgeted).

mod read_buf;
mod ready;
mod traits;
mod util;

pub use read_buf::ReadBuf;
pub use ready::{Interest, Ready};
pub use std::io::{Error, ErrorKind, Result, SeekFrom};
pub use traits::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use util::{
    AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader, BufStream, BufWriter, Chain,
    DuplexStream, Empty, Join, Lines, ReadHalf, Repeat, SimplexStream, Sink, Split, Take, WriteHalf, copy,
    copy_bidirectional, copy_bidirectional_with_sizes, copy_buf, duplex, empty, join, repeat, simplex, sink,
    split,
};
