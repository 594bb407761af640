//! `AsyncWriteExt`: tokio's writing methods on every `AsyncWrite`.

use super::write::{Flush, Shutdown, Write, WriteAll, WriteAllBuf, WriteBuf, WriteVectored};
use super::write_int::{WriteInt, write_int_methods};
use crate::io::AsyncWrite;
use bytes_crate::Buf;
use std::io::IoSlice;
use std::marker::PhantomPinned;

/// Writes bytes to a sink (tokio's `tokio::io::AsyncWriteExt`), implemented for every
/// [`AsyncWrite`].
///
/// ```
/// use tokio::io::AsyncWriteExt;
///
/// # futures::executor::block_on(async {
/// let mut out = Vec::new();
/// out.write_all(b"len=").await.unwrap();
/// out.write_u16_le(0x0102).await.unwrap();
/// out.flush().await.unwrap();
/// assert_eq!(out, b"len=\x02\x01");
/// # });
/// ```
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes some of `buf`, returning how many bytes were written.
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing was written.
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> Write<'a, Self>
    where
        Self: Unpin,
    {
        Write {
            writer: self,
            buf,
            _pin: PhantomPinned,
        }
    }

    /// Writes some of the data in `bufs`, in order, returning how many bytes were written.
    ///
    /// Cancel safe, as `write`.
    fn write_vectored<'a, 'b>(&'a mut self, bufs: &'a [IoSlice<'b>]) -> WriteVectored<'a, 'b, Self>
    where
        Self: Unpin,
    {
        WriteVectored {
            writer: self,
            bufs,
            _pin: PhantomPinned,
        }
    }

    /// Writes some of a [`bytes::Buf`](bytes_crate::Buf), advancing it past what was written,
    /// and returns how many bytes that was (0 if `buf` had nothing left).
    ///
    /// Cancel safe, as `write`.
    fn write_buf<'a, B>(&'a mut self, buf: &'a mut B) -> WriteBuf<'a, Self, B>
    where
        Self: Sized + Unpin,
        B: Buf,
    {
        WriteBuf {
            writer: self,
            buf,
            _pin: PhantomPinned,
        }
    }

    /// Writes all of `buf`, failing with `WriteZero` if the writer accepts no more.
    ///
    /// Not cancel safe: if the future is dropped, how much of `buf` was written is unknown.
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> WriteAll<'a, Self>
    where
        Self: Unpin,
    {
        WriteAll {
            writer: self,
            buf,
            _pin: PhantomPinned,
        }
    }

    /// Writes all of a [`bytes::Buf`](bytes_crate::Buf), advancing it as bytes are written
    /// (with vectored writes when the writer prefers them).
    ///
    /// Cancel safe in this sense: if the future is dropped, `buf` has been advanced past
    /// exactly what was written, so calling again continues where it stopped.
    fn write_all_buf<'a, B>(&'a mut self, buf: &'a mut B) -> WriteAllBuf<'a, Self, B>
    where
        Self: Sized + Unpin,
        B: Buf,
    {
        WriteAllBuf {
            writer: self,
            buf,
            _pin: PhantomPinned,
        }
    }

    write_int_methods! {
        write_u8, u8, to_be_bytes, "an unsigned 8-bit integer";
        write_i8, i8, to_be_bytes, "a signed 8-bit integer";
        write_u16, u16, to_be_bytes, "a big-endian unsigned 16-bit integer";
        write_i16, i16, to_be_bytes, "a big-endian signed 16-bit integer";
        write_u32, u32, to_be_bytes, "a big-endian unsigned 32-bit integer";
        write_i32, i32, to_be_bytes, "a big-endian signed 32-bit integer";
        write_u64, u64, to_be_bytes, "a big-endian unsigned 64-bit integer";
        write_i64, i64, to_be_bytes, "a big-endian signed 64-bit integer";
        write_u128, u128, to_be_bytes, "a big-endian unsigned 128-bit integer";
        write_i128, i128, to_be_bytes, "a big-endian signed 128-bit integer";
        write_f32, f32, to_be_bytes, "a big-endian 32-bit float";
        write_f64, f64, to_be_bytes, "a big-endian 64-bit float";
        write_u16_le, u16, to_le_bytes, "a little-endian unsigned 16-bit integer";
        write_i16_le, i16, to_le_bytes, "a little-endian signed 16-bit integer";
        write_u32_le, u32, to_le_bytes, "a little-endian unsigned 32-bit integer";
        write_i32_le, i32, to_le_bytes, "a little-endian signed 32-bit integer";
        write_u64_le, u64, to_le_bytes, "a little-endian unsigned 64-bit integer";
        write_i64_le, i64, to_le_bytes, "a little-endian signed 64-bit integer";
        write_u128_le, u128, to_le_bytes, "a little-endian unsigned 128-bit integer";
        write_i128_le, i128, to_le_bytes, "a little-endian signed 128-bit integer";
        write_f32_le, f32, to_le_bytes, "a little-endian 32-bit float";
        write_f64_le, f64, to_le_bytes, "a little-endian 64-bit float";
    }

    /// Flushes buffered data to its destination.
    fn flush(&mut self) -> Flush<'_, Self>
    where
        Self: Unpin,
    {
        Flush {
            writer: self,
            _pin: PhantomPinned,
        }
    }

    /// Shuts the writer down: for a socket, its write half (the peer reads end of file).
    fn shutdown(&mut self) -> Shutdown<'_, Self>
    where
        Self: Unpin,
    {
        Shutdown {
            writer: self,
            _pin: PhantomPinned,
        }
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}
