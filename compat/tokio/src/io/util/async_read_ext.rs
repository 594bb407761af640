//! `AsyncReadExt`: tokio's reading methods on every `AsyncRead`.

use super::chain::{Chain, chain};
use super::read::{Read, ReadExact, ReadIntoBuf, read, read_buf, read_exact};
use super::read_int::{ReadInt, read_int_methods};
use super::read_to_end::{ReadToEnd, ReadToString, read_to_end, read_to_string};
use super::take::{Take, take};
use crate::io::AsyncRead;
use bytes_crate::BufMut;

/// Reads bytes from a source (tokio's `tokio::io::AsyncReadExt`), implemented for every
/// [`AsyncRead`].
///
/// ```
/// use tokio::io::AsyncReadExt;
///
/// # futures::executor::block_on(async {
/// let mut reader: &[u8] = b"\x00\x2a hello";
/// assert_eq!(reader.read_u16().await.unwrap(), 42);
/// let mut rest = String::new();
/// reader.read_to_string(&mut rest).await.unwrap();
/// assert_eq!(rest, " hello");
/// # });
/// ```
pub trait AsyncReadExt: AsyncRead {
    /// Creates a reader that reads all of `self`, then all of `next`.
    fn chain<R: AsyncRead>(self, next: R) -> Chain<Self, R>
    where
        Self: Sized,
    {
        chain(self, next)
    }

    /// Reads some bytes into `buf`, returning how many (0: end of file, or `buf` is empty).
    ///
    /// Cancel safe: if the future is dropped before it completes, no data was read.
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> Read<'a, Self>
    where
        Self: Unpin,
    {
        read(self, buf)
    }

    /// Reads some bytes into a [`bytes::BufMut`](bytes_crate::BufMut), advancing it, and
    /// returns how many (0: end of file, or `buf` has no room).
    ///
    /// Cancel safe: if the future is dropped before it completes, no data was read.
    fn read_buf<'a, B>(&'a mut self, buf: &'a mut B) -> ReadIntoBuf<'a, Self, B>
    where
        Self: Unpin,
        B: BufMut + ?Sized,
    {
        read_buf(self, buf)
    }

    /// Reads exactly `buf.len()` bytes, failing with `UnexpectedEof` if the reader ends first.
    ///
    /// Not cancel safe: bytes read before the future is dropped are lost (those already in
    /// `buf` stay there, but how many is not reported).
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadExact<'a, Self>
    where
        Self: Unpin,
    {
        read_exact(self, buf)
    }

    read_int_methods! {
        read_u8, u8, from_be_bytes, "an unsigned 8-bit integer";
        read_i8, i8, from_be_bytes, "a signed 8-bit integer";
        read_u16, u16, from_be_bytes, "a big-endian unsigned 16-bit integer";
        read_i16, i16, from_be_bytes, "a big-endian signed 16-bit integer";
        read_u32, u32, from_be_bytes, "a big-endian unsigned 32-bit integer";
        read_i32, i32, from_be_bytes, "a big-endian signed 32-bit integer";
        read_u64, u64, from_be_bytes, "a big-endian unsigned 64-bit integer";
        read_i64, i64, from_be_bytes, "a big-endian signed 64-bit integer";
        read_u128, u128, from_be_bytes, "a big-endian unsigned 128-bit integer";
        read_i128, i128, from_be_bytes, "a big-endian signed 128-bit integer";
        read_f32, f32, from_be_bytes, "a big-endian 32-bit float";
        read_f64, f64, from_be_bytes, "a big-endian 64-bit float";
        read_u16_le, u16, from_le_bytes, "a little-endian unsigned 16-bit integer";
        read_i16_le, i16, from_le_bytes, "a little-endian signed 16-bit integer";
        read_u32_le, u32, from_le_bytes, "a little-endian unsigned 32-bit integer";
        read_i32_le, i32, from_le_bytes, "a little-endian signed 32-bit integer";
        read_u64_le, u64, from_le_bytes, "a little-endian unsigned 64-bit integer";
        read_i64_le, i64, from_le_bytes, "a little-endian signed 64-bit integer";
        read_u128_le, u128, from_le_bytes, "a little-endian unsigned 128-bit integer";
        read_i128_le, i128, from_le_bytes, "a little-endian signed 128-bit integer";
        read_f32_le, f32, from_le_bytes, "a little-endian 32-bit float";
        read_f64_le, f64, from_le_bytes, "a little-endian 64-bit float";
    }

    /// Reads until end of file, appending to `buf`; returns how many bytes were read.
    ///
    /// Bytes read before an error or a cancellation stay appended to `buf`.
    fn read_to_end<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> ReadToEnd<'a, Self>
    where
        Self: Unpin,
    {
        read_to_end(self, buf)
    }

    /// Reads until end of file, appending to `dst`; returns how many bytes were read.
    ///
    /// If the bytes are not UTF-8 this fails with `InvalidData` and `dst` is unchanged. Not
    /// cancel safe: bytes read before the future is dropped are lost and `dst` is unchanged.
    fn read_to_string<'a>(&'a mut self, dst: &'a mut String) -> ReadToString<'a, Self>
    where
        Self: Unpin,
    {
        read_to_string(self, dst)
    }

    /// Creates a reader that reads at most `limit` bytes from `self`.
    fn take(self, limit: u64) -> Take<Self>
    where
        Self: Sized,
    {
        take(self, limit)
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}
