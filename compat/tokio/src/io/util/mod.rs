//! tokio's `io-util` surface: the extension traits, their futures (one file per family), and
//! the utilities (copies, pipes, buffers, splits).
//!
//! The futures the extension traits return are public types in private modules, as tokio's
//! are: users await them but cannot name them.

mod async_buf_read_ext;
mod async_read_ext;
mod async_write_ext;
mod buf_reader;
mod buf_stream;
mod buf_writer;
mod chain;
mod copy;
mod copy_bidirectional;
mod copy_buf;
mod duplex;
mod empty;
mod fill_buf;
mod join;
mod lines;
mod read;
mod read_int;
mod read_to_end;
mod read_until;
mod seek;
mod segments;
mod split;
mod take;
mod write;
mod write_int;

pub use async_buf_read_ext::AsyncBufReadExt;
pub use async_read_ext::AsyncReadExt;
pub use async_write_ext::AsyncWriteExt;
pub use buf_reader::BufReader;
pub use buf_stream::BufStream;
pub use buf_writer::BufWriter;
pub use chain::Chain;
pub use copy::copy;
pub use copy_bidirectional::{copy_bidirectional, copy_bidirectional_with_sizes};
pub use copy_buf::copy_buf;
pub use duplex::{DuplexStream, SimplexStream, duplex, simplex};
pub use empty::{Empty, Repeat, Sink, empty, repeat, sink};
pub use join::{Join, join};
pub use lines::Lines;
pub use seek::AsyncSeekExt;
pub use segments::Split;
pub use split::{ReadHalf, WriteHalf, split};
pub use take::Take;
