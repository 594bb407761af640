//! `AsyncReadExt` on `&[u8]`, `Cursor` and a reader that pauses between chunks: read,
//! read_exact, read_to_end, read_to_string, read_buf, the integer readers, take and chain.

mod io_support;

use bytes_crate::BytesMut;
use futures::executor::block_on;
use io_support::Trickle;
use std::io::{Cursor, ErrorKind};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, ReadBuf};

#[test]
fn read_fills_what_it_can() {
    block_on(async {
        let mut src: &[u8] = b"hello";
        let mut buf = [0u8; 3];
        assert_eq!(src.read(&mut buf).await.unwrap(), 3);
        assert_eq!(&buf, b"hel");
        assert_eq!(src.read(&mut buf).await.unwrap(), 2);
        assert_eq!(src.read(&mut buf).await.unwrap(), 0, "end of file reads 0");
        assert_eq!(src.read(&mut []).await.unwrap(), 0);
    });
}

#[test]
fn read_exact_waits_across_chunks_and_fails_at_eof() {
    block_on(async {
        let mut src = Trickle::new(b"abcdef", 2);
        let mut buf = [0u8; 5];
        assert_eq!(src.read_exact(&mut buf).await.unwrap(), 5);
        assert_eq!(&buf, b"abcde");
        let err = src.read_exact(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    });
}

#[test]
fn read_to_end_appends_across_pending_reads() {
    block_on(async {
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let mut src = Trickle::new(&data, 777);
        let mut out = b"head".to_vec();
        assert_eq!(src.read_to_end(&mut out).await.unwrap(), data.len());
        assert_eq!(&out[..4], b"head");
        assert_eq!(&out[4..], &data[..]);
    });
}

#[test]
fn read_to_end_into_exact_capacity_does_not_reallocate() {
    block_on(async {
        let data: Vec<u8> = (0..100).collect();
        for len in [0, 1, 31, 32, 33, 64, 100] {
            for cap in [len, len + 1, len + 40] {
                let mut src = Trickle::new(&data[..len], 7);
                let mut buf = Vec::with_capacity(cap);
                let cap = buf.capacity();
                src.read_to_end(&mut buf).await.unwrap();
                assert_eq!(buf, &data[..len]);
                assert_eq!(buf.capacity(), cap, "len {len}: grew a vector that had room");
            }
        }
        // A vector without room still grows and gets everything.
        let mut buf = Vec::new();
        Trickle::new(&data, 100).read_to_end(&mut buf).await.unwrap();
        assert_eq!(buf, data);
    });
}

#[test]
fn read_to_string_checks_utf8_and_leaves_dst_on_error() {
    block_on(async {
        let mut dst = String::from(">");
        let mut src: &[u8] = "héllo".as_bytes();
        assert_eq!(src.read_to_string(&mut dst).await.unwrap(), 6);
        assert_eq!(dst, ">héllo");

        let mut bad: &[u8] = b"ok\xff";
        let err = bad.read_to_string(&mut dst).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert_eq!(dst, ">héllo", "dst changed by a failed read_to_string");
    });
}

#[test]
fn read_buf_advances_a_bufmut() {
    block_on(async {
        let mut src = Trickle::new(b"0123456789", 4);
        let mut buf = BytesMut::with_capacity(6);
        while buf.len() < 10 {
            let n = src.read_buf(&mut buf).await.unwrap();
            assert!(n > 0 && n <= 4);
        }
        assert_eq!(&buf[..], b"0123456789");
        assert_eq!(src.read_buf(&mut buf).await.unwrap(), 0);

        // A full fixed-size BufMut reads 0 without touching the reader.
        let mut fixed = [0u8; 2];
        let mut window: &mut [u8] = &mut fixed[..];
        let mut src: &[u8] = b"xyz";
        assert_eq!(src.read_buf(&mut window).await.unwrap(), 2);
        assert_eq!(src.read_buf(&mut window).await.unwrap(), 0);
        assert_eq!(src, b"z");
        assert_eq!(&fixed, b"xy");
    });
}

#[test]
fn integer_readers_both_endians() {
    block_on(async {
        let mut bytes = vec![0xfe, 0x01, 0x02, 0x02, 0x01];
        bytes.extend_from_slice(&0x0102_0304u32.to_le_bytes());
        bytes.extend_from_slice(&(-5i64).to_be_bytes());
        bytes.extend_from_slice(&1.5f64.to_le_bytes());
        bytes.extend_from_slice(&u128::MAX.to_be_bytes());
        let mut src = Trickle::new(&bytes, 3);
        assert_eq!(src.read_i8().await.unwrap(), -2);
        assert_eq!(src.read_u16().await.unwrap(), 0x0102);
        assert_eq!(src.read_u16_le().await.unwrap(), 0x0102);
        assert_eq!(src.read_u32_le().await.unwrap(), 0x0102_0304);
        assert_eq!(src.read_i64().await.unwrap(), -5);
        assert_eq!(src.read_f64_le().await.unwrap(), 1.5);
        assert_eq!(src.read_u128().await.unwrap(), u128::MAX);
        assert_eq!(src.read_u8().await.unwrap_err().kind(), ErrorKind::UnexpectedEof);

        let mut short: &[u8] = &[1, 2, 3];
        assert_eq!(
            short.read_u32().await.unwrap_err().kind(),
            ErrorKind::UnexpectedEof
        );
    });
}

#[test]
fn take_limits_reads_and_buffered_reads() {
    block_on(async {
        let mut t = (&b"abcdefgh"[..]).take(5);
        let mut out = Vec::new();
        assert_eq!(t.read_to_end(&mut out).await.unwrap(), 5);
        assert_eq!(out, b"abcde");
        assert_eq!(t.limit(), 0);
        t.set_limit(2);
        let mut two = String::new();
        t.read_to_string(&mut two).await.unwrap();
        assert_eq!(two, "fg");
        assert_eq!(t.into_inner(), b"h");

        // Through AsyncBufRead: fill_buf shows no more than the limit.
        let mut t = (&b"line one\nline two\n"[..]).take(6);
        assert_eq!(t.fill_buf().await.unwrap(), b"line o");
        let mut line = String::new();
        t.read_line(&mut line).await.unwrap();
        assert_eq!(line, "line o");
    });
}

#[test]
fn chain_reads_first_then_second() {
    block_on(async {
        let mut c = (&b"ab"[..]).chain(Trickle::new(b"cde", 1));
        let mut out = Vec::new();
        c.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, b"abcde");
        let (first, second) = c.get_ref();
        assert!(first.is_empty());
        assert_eq!(second.pos, 3);

        let mut lines = (&b"one\ntw"[..]).chain(&b"o\nthree"[..]).lines();
        let mut all = Vec::new();
        while let Some(l) = lines.next_line().await.unwrap() {
            all.push(l);
        }
        assert_eq!(all, ["one", "two", "three"]);
    });
}

#[test]
fn cursor_reads_and_seeks() {
    use tokio::io::{AsyncSeekExt, SeekFrom};
    block_on(async {
        let mut c = Cursor::new(b"0123456789".to_vec());
        c.seek(SeekFrom::Start(8)).await.unwrap();
        let mut rest = String::new();
        c.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "89");
        assert_eq!(c.seek(SeekFrom::Current(-4)).await.unwrap(), 6);
        assert_eq!(c.fill_buf().await.unwrap(), b"6789");
        let err = c.seek(SeekFrom::Current(-100)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn readbuf_is_a_bufmut() {
    use bytes_crate::BufMut;
    let mut storage = [0u8; 6];
    let mut rb = ReadBuf::new(&mut storage);
    rb.put_slice(b"ab");
    BufMut::put_u16(&mut rb, 0x6364);
    assert_eq!(rb.remaining_mut(), 2);
    assert_eq!(rb.filled(), b"abcd");

    let mut raw = [std::mem::MaybeUninit::<u8>::uninit(); 4];
    let mut rb = ReadBuf::uninit(&mut raw);
    BufMut::put_slice(&mut rb, b"xy");
    assert_eq!(rb.filled(), b"xy");
    assert_eq!(rb.initialized().len(), 2);
}

/// A reader that swaps the `ReadBuf` it is given for one over memory of its own.
struct Swapper;

impl AsyncRead for Swapper {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let other: &'static mut [u8] = Box::leak(vec![1u8; 16].into_boxed_slice());
        *buf = ReadBuf::new(other);
        buf.advance(16);
        Poll::Ready(Ok(()))
    }
}

#[test]
#[should_panic(expected = "the reader replaced the ReadBuf it was given")]
fn read_to_end_refuses_a_swapped_readbuf() {
    // With room in the vector, the read goes into its spare capacity, which the swap fakes.
    let mut out = Vec::with_capacity(64);
    let _ = block_on(Swapper.read_to_end(&mut out));
}
