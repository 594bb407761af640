//! `AsyncWriteExt` on `Vec`, `Cursor` and a writer that pauses and takes a few bytes at a
//! time: write, write_all, write_buf, write_all_buf, vectored writes, the integer writers,
//! flush and shutdown; and `sink`, `empty`, `repeat`.

mod io_support;

use bytes_crate::Buf;
use futures::executor::block_on;
use io_support::Slow;
use std::io::{Cursor, ErrorKind, IoSlice};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn write_all_loops_over_short_writes() {
    block_on(async {
        let mut w = Slow::new(3);
        w.write_all(b"hello world").await.unwrap();
        assert_eq!(w.data, b"hello world");
        assert_eq!(w.writes, 4);
        assert_eq!(
            w.write(b"abcdef").await.unwrap(),
            3,
            "write reports a short write"
        );
    });
}

#[test]
fn write_all_fails_with_write_zero() {
    block_on(async {
        let mut w = Slow::new(0);
        let err = w.write_all(b"x").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);

        let mut storage = [0u8; 4];
        let mut cursor = Cursor::new(&mut storage[..]);
        let err = cursor.write_all(b"too long").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
        assert_eq!(&storage, b"too ");
    });
}

#[test]
fn write_buf_and_write_all_buf_advance_the_buf() {
    block_on(async {
        let mut w = Slow::new(2);
        let mut src: &[u8] = b"abcde";
        assert_eq!(w.write_buf(&mut src).await.unwrap(), 2);
        assert_eq!(src, b"cde");
        let mut chained = Buf::chain(&b"12"[..], &b"345"[..]);
        w.write_all_buf(&mut chained).await.unwrap();
        assert!(!chained.has_remaining());
        assert_eq!(w.data, b"ab12345");
        assert_eq!(w.write_buf(&mut chained).await.unwrap(), 0);

        // A vectored writer (Vec) takes every chunk of a chain in one write.
        let mut v = Vec::new();
        let mut chained = Buf::chain(&b"ab"[..], &b"cd"[..]);
        v.write_all_buf(&mut chained).await.unwrap();
        assert_eq!(v, b"abcd");
    });
}

#[test]
fn write_vectored_writes_in_order() {
    block_on(async {
        let mut v = Vec::new();
        let bufs = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cd")];
        assert_eq!(v.write_vectored(&bufs).await.unwrap(), 4);
        assert_eq!(v, b"abcd");

        // The default vectored write writes the first non-empty slice.
        let mut w = Slow::new(10);
        let bufs = [IoSlice::new(b""), IoSlice::new(b"xy"), IoSlice::new(b"z")];
        assert_eq!(w.write_vectored(&bufs).await.unwrap(), 2);
        assert_eq!(w.data, b"xy");
    });
}

#[test]
fn integer_writers_round_trip() {
    block_on(async {
        let mut w = Slow::new(1);
        w.write_u8(7).await.unwrap();
        w.write_i16(-2).await.unwrap();
        w.write_u32_le(0xdead_beef).await.unwrap();
        w.write_f32(2.5).await.unwrap();
        w.write_i128_le(-1).await.unwrap();
        w.write_u64(u64::MAX - 1).await.unwrap();
        let mut r: &[u8] = &w.data;
        assert_eq!(r.read_u8().await.unwrap(), 7);
        assert_eq!(r.read_i16().await.unwrap(), -2);
        assert_eq!(r.read_u32_le().await.unwrap(), 0xdead_beef);
        assert_eq!(r.read_f32().await.unwrap(), 2.5);
        assert_eq!(r.read_i128_le().await.unwrap(), -1);
        assert_eq!(r.read_u64().await.unwrap(), u64::MAX - 1);
        assert!(r.is_empty());
        assert_eq!(
            Slow::new(0).write_u16(1).await.unwrap_err().kind(),
            ErrorKind::WriteZero
        );
    });
}

#[test]
fn flush_and_shutdown_reach_the_writer() {
    block_on(async {
        let mut w = Slow::new(1);
        w.flush().await.unwrap();
        w.shutdown().await.unwrap();
        assert_eq!((w.flushes, w.shutdowns), (1, 1));
        // Through `Box<T>` and `&mut T`, as tokio implements the traits for both.
        let mut boxed: Box<Slow> = Box::new(Slow::new(1));
        let mut by_ref: &mut Box<Slow> = &mut boxed;
        AsyncWriteExt::flush(&mut by_ref).await.unwrap();
        assert_eq!(boxed.flushes, 1);
    });
}

#[test]
fn cursor_vec_writes_and_overwrites() {
    block_on(async {
        let mut c = Cursor::new(b"xxxxx".to_vec());
        c.set_position(2);
        c.write_all(b"abcd").await.unwrap();
        assert_eq!(c.get_ref(), b"xxabcd");
    });
}

#[test]
fn sink_empty_repeat() {
    block_on(async {
        let mut s = tokio::io::sink();
        assert_eq!(s.write(b"abc").await.unwrap(), 3);
        s.write_all(&[0; 100_000]).await.unwrap();
        s.shutdown().await.unwrap();

        let mut e = tokio::io::empty();
        let mut buf = [0u8; 4];
        assert_eq!(e.read(&mut buf).await.unwrap(), 0);
        assert_eq!(e.write(b"dropped").await.unwrap(), 7);

        let mut r = tokio::io::repeat(b'z').take(5);
        let mut out = String::new();
        r.read_to_string(&mut out).await.unwrap();
        assert_eq!(out, "zzzzz");
    });
}
