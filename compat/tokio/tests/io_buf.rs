//! Buffered reading and writing: `BufReader` (boundaries, bypass, seek), `BufWriter` (when
//! bytes reach the inner writer), `BufStream`, and `AsyncBufReadExt` (read_until, read_line,
//! lines, split, fill_buf/consume), including their cancel safety.

mod io_support;

use futures::executor::block_on;
use io_support::{Slow, Trickle, poll_once};
use std::io::{Cursor, ErrorKind, SeekFrom};
use tokio::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader, BufStream, BufWriter,
};

#[test]
fn bufreader_serves_small_reads_from_one_inner_read() {
    block_on(async {
        let mut r = BufReader::with_capacity(8, Trickle::new(b"0123456789abcdef", 100));
        let mut two = [0u8; 2];
        r.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"01");
        assert_eq!(r.buffer(), b"234567");
        r.read_exact(&mut two).await.unwrap();
        r.read_exact(&mut two).await.unwrap();
        r.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"67");
        assert_eq!(r.get_ref().asked, [8], "four small reads took one inner read");
        assert!(r.buffer().is_empty());
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"89abcdef");
    });
}

#[test]
fn bufreader_large_reads_bypass_an_empty_buffer() {
    block_on(async {
        let mut r = BufReader::with_capacity(4, Trickle::new(b"0123456789", 100));
        let mut big = [0u8; 6];
        assert_eq!(r.read(&mut big).await.unwrap(), 6);
        assert_eq!(
            r.get_ref().asked,
            [6],
            "the read went straight to the inner reader"
        );
        let mut small = [0u8; 1];
        r.read_exact(&mut small).await.unwrap();
        assert_eq!(r.buffer(), b"789");
        let inner = r.into_inner();
        assert_eq!(inner.pos, 10);
    });
}

#[test]
fn bufreader_seek_counts_from_what_was_read() {
    block_on(async {
        let data: Vec<u8> = (0..100).collect();
        let mut r = BufReader::with_capacity(10, Cursor::new(data));
        assert_eq!(r.read_u8().await.unwrap(), 0);
        assert_eq!(r.read_u8().await.unwrap(), 1);
        assert_eq!(r.buffer().len(), 8);
        assert_eq!(r.stream_position().await.unwrap(), 2);
        assert_eq!(r.seek(SeekFrom::Current(5)).await.unwrap(), 7);
        assert!(r.buffer().is_empty(), "a seek discards the buffer");
        assert_eq!(r.read_u8().await.unwrap(), 7);
        assert_eq!(r.seek(SeekFrom::Start(50)).await.unwrap(), 50);
        assert_eq!(r.read_u8().await.unwrap(), 50);
        assert_eq!(r.seek(SeekFrom::End(-1)).await.unwrap(), 99);
        assert_eq!(r.read_u8().await.unwrap(), 99);
        // An offset that overflows once the buffered bytes are subtracted is done in two
        // steps; the cursor then refuses the negative position.
        r.rewind().await.unwrap();
        r.read_u8().await.unwrap();
        let err = r.seek(SeekFrom::Current(i64::MIN + 1)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn bufreader_passes_writes_through() {
    block_on(async {
        let (a, mut b) = tokio::io::duplex(64);
        let mut r = BufReader::new(a);
        r.write_all(b"to b").await.unwrap();
        let mut got = [0u8; 4];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"to b");
    });
}

#[test]
fn bufwriter_holds_small_writes_until_full_or_flushed() {
    block_on(async {
        let mut w = BufWriter::with_capacity(8, Slow::new(100));
        w.write_all(b"abc").await.unwrap();
        assert!(w.get_ref().data.is_empty());
        assert_eq!(w.buffer(), b"abc");
        w.write_all(b"defgh").await.unwrap();
        assert!(w.get_ref().data.is_empty(), "exactly full is still buffered");
        w.write_all(b"i").await.unwrap();
        assert_eq!(w.get_ref().data, b"abcdefgh");
        assert_eq!(w.buffer(), b"i");
        // A write as large as the buffer goes straight through, after what is buffered.
        w.write_all(b"JKLMNOPQ").await.unwrap();
        assert_eq!(w.get_ref().data, b"abcdefghiJKLMNOPQ");
        assert!(w.buffer().is_empty());
        w.write_all(b"r").await.unwrap();
        w.flush().await.unwrap();
        assert_eq!(w.get_ref().data, b"abcdefghiJKLMNOPQr");
        assert_eq!(w.get_ref().flushes, 1);
        w.write_all(b"s").await.unwrap();
        w.shutdown().await.unwrap();
        assert_eq!(
            w.get_ref().data.last(),
            Some(&b's'),
            "shutdown writes the buffer out"
        );
        assert_eq!(w.get_ref().shutdowns, 1);
    });
}

#[test]
fn bufwriter_flushes_through_short_writes_and_reports_write_zero() {
    block_on(async {
        let mut w = BufWriter::with_capacity(16, Slow::new(3));
        w.write_all(b"0123456789").await.unwrap();
        w.flush().await.unwrap();
        assert_eq!(w.get_ref().data, b"0123456789");

        let mut w = BufWriter::new(Slow::new(0));
        w.write_all(b"lost").await.unwrap();
        assert_eq!(w.flush().await.unwrap_err().kind(), ErrorKind::WriteZero);
    });
}

#[test]
fn bufwriter_dropped_unflushed_loses_data() {
    block_on(async {
        let mut inner = Vec::new();
        {
            let mut w = BufWriter::new(&mut inner);
            w.write_all(b"never flushed").await.unwrap();
        }
        assert!(inner.is_empty());
    });
}

#[test]
fn bufstream_buffers_both_directions() {
    block_on(async {
        let (a, mut b) = tokio::io::duplex(64);
        let mut s = BufStream::with_capacity(16, 16, a);
        s.write_all(b"ping\n").await.unwrap();
        assert!(
            poll_once(std::pin::pin!(b.read_u8())).is_pending(),
            "unflushed bytes reached the peer"
        );
        s.flush().await.unwrap();
        let mut line = String::new();
        BufReader::new(&mut b).read_line(&mut line).await.unwrap();
        assert_eq!(line, "ping\n");
        b.write_all(b"pong\nrest").await.unwrap();
        line.clear();
        s.read_line(&mut line).await.unwrap();
        assert_eq!(line, "pong\n");
        assert_eq!(s.fill_buf().await.unwrap(), b"rest");
    });
}

#[test]
fn read_until_and_read_line() {
    block_on(async {
        let mut r = BufReader::with_capacity(3, Trickle::new(b"ab;cdef;g", 2));
        let mut buf = Vec::new();
        assert_eq!(r.read_until(b';', &mut buf).await.unwrap(), 3);
        assert_eq!(r.read_until(b';', &mut buf).await.unwrap(), 5);
        assert_eq!(buf, b"ab;cdef;");
        assert_eq!(r.read_until(b';', &mut buf).await.unwrap(), 1);
        assert_eq!(r.read_until(b';', &mut buf).await.unwrap(), 0);

        let mut src: &[u8] = b"one\r\ntwo";
        let mut line = String::from("#");
        assert_eq!(src.read_line(&mut line).await.unwrap(), 5);
        assert_eq!(src.read_line(&mut line).await.unwrap(), 3);
        assert_eq!(line, "#one\r\ntwo");
        assert_eq!(src.read_line(&mut line).await.unwrap(), 0);

        let mut bad: &[u8] = b"ok\xff\n";
        let err = bad.read_line(&mut line).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert_eq!(line, "#one\r\ntwo", "a failed read_line changed buf");
    });
}

#[test]
fn lines_and_split_on_slices() {
    block_on(async {
        let mut lines = (&b"a\nb\r\n\nlast"[..]).lines();
        let mut got = Vec::new();
        while let Some(l) = lines.next_line().await.unwrap() {
            got.push(l);
        }
        assert_eq!(got, ["a", "b", "", "last"]);

        let mut parts = AsyncBufReadExt::split(&b"x,y,"[..], b',');
        let mut got = Vec::new();
        while let Some(p) = parts.next_segment().await.unwrap() {
            got.push(p);
        }
        assert_eq!(
            got,
            [b"x".to_vec(), b"y".to_vec()],
            "a trailing delimiter adds no segment"
        );

        let mut lines = (&b"fine\n\xffbad\n"[..]).lines();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("fine"));
        assert_eq!(
            lines.next_line().await.unwrap_err().kind(),
            ErrorKind::InvalidData
        );
    });
}

#[test]
fn next_line_is_cancel_safe() {
    block_on(async {
        let (rd, mut wr) = tokio::io::duplex(64);
        let mut lines = BufReader::new(rd).lines();
        wr.write_all(b"hal").await.unwrap();
        {
            let fut = std::pin::pin!(lines.next_line());
            assert!(poll_once(fut).is_pending());
            // The future is dropped here, mid-line.
        }
        wr.write_all(b"f a line\nnext").await.unwrap();
        drop(wr);
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("half a line"));
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("next"));
        assert_eq!(lines.next_line().await.unwrap(), None);
    });
}

#[test]
fn fill_buf_and_consume() {
    block_on(async {
        let mut r = BufReader::with_capacity(4, &b"abcdef"[..]);
        assert_eq!(r.fill_buf().await.unwrap(), b"abcd");
        r.consume(3);
        assert_eq!(r.fill_buf().await.unwrap(), b"d");
        r.consume(10);
        assert_eq!(r.fill_buf().await.unwrap(), b"ef");
        r.consume(2);
        assert_eq!(r.fill_buf().await.unwrap(), b"");
    });
}

#[test]
fn debug_shows_fill_not_contents() {
    block_on(async {
        let mut r = BufReader::with_capacity(8, &b"secret bytes"[..]);
        r.read_u8().await.unwrap();
        let shown = format!("{r:?}");
        assert!(shown.contains("7/8"), "{shown}");
        let mut w = BufWriter::with_capacity(8, Vec::new());
        w.write_all(b"abc").await.unwrap();
        assert!(format!("{w:?}").contains("3/8"));
        let (a, _b) = tokio::io::duplex(4);
        assert!(!format!("{a:?}").contains("VecDeque"));
    });
}

#[test]
fn bufwriter_vectored_writes() {
    use std::io::IoSlice;
    block_on(async {
        let msg = b"foo bar baz";
        // Over a writer without vectored writes, the slices are gathered until the buffer is full.
        let mut w = BufWriter::with_capacity(8, Slow::new(100));
        let bufs = [
            IoSlice::new(b""),
            IoSlice::new(&msg[..4]),
            IoSlice::new(&msg[4..8]),
            IoSlice::new(&msg[8..]),
        ];
        assert_eq!(w.write_vectored(&bufs).await.unwrap(), 8);
        assert_eq!(w.buffer(), &msg[..8]);
        assert!(w.get_ref().data.is_empty());
        assert_eq!(w.write_vectored(&[IoSlice::new(&msg[8..])]).await.unwrap(), 3);
        assert_eq!(w.get_ref().data, &msg[..8]);
        assert_eq!(w.buffer(), &msg[8..]);
        assert_eq!(w.write_vectored(&[IoSlice::new(b""); 3]).await.unwrap(), 0);
        w.flush().await.unwrap();
        assert_eq!(w.get_ref().data, msg);

        // Over a vectored writer, a total as large as the buffer goes straight through.
        let mut w = BufWriter::with_capacity(8, Vec::new());
        let bufs = [IoSlice::new(&msg[..4]), IoSlice::new(&msg[4..])];
        assert_eq!(w.write_vectored(&bufs).await.unwrap(), 11);
        assert_eq!(w.get_ref(), msg);
        assert_eq!(
            w.write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"c")])
                .await
                .unwrap(),
            3
        );
        assert_eq!(w.buffer(), b"abc");
    });
}

/// Yields its chunks, one per read, then an error.
struct ThenFail(Vec<&'static [u8]>);

impl tokio::io::AsyncRead for ThenFail {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.0.is_empty() {
            return std::task::Poll::Ready(Err(std::io::Error::other("the world has no end")));
        }
        let chunk = self.0.remove(0);
        buf.put_slice(chunk);
        std::task::Poll::Ready(Ok(()))
    }
}

#[test]
fn read_line_keeps_utf8_read_before_an_io_error() {
    block_on(async {
        let mut r = BufReader::new(ThenFail(vec![b"Hello Wor"]));
        let mut line = String::from("Foo");
        let err = r.read_line(&mut line).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other);
        assert_eq!(line, "FooHello Wor");

        let mut r = BufReader::new(ThenFail(vec![b"Hello Wor", b"\xff\xff"]));
        let mut line = String::from("Foo");
        let err = r.read_line(&mut line).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other, "the I/O error, not the UTF-8 one");
        assert_eq!(line, "Foo");
    });
}

#[test]
fn bufreader_seek_after_failed_and_relative_seeks() {
    block_on(async {
        let inner: &[u8] = &[5, 6, 7, 0, 1, 2, 3, 4];
        let mut r = BufReader::with_capacity(2, Cursor::new(inner));
        assert_eq!(r.seek(SeekFrom::Start(3)).await.unwrap(), 3);
        assert_eq!(r.fill_buf().await.unwrap(), [0, 1]);
        assert!(r.seek(SeekFrom::Current(i64::MIN)).await.is_err());
        assert_eq!(
            r.fill_buf().await.unwrap(),
            [0, 1],
            "a failed seek moved the reader"
        );
        assert_eq!(r.seek(SeekFrom::Current(1)).await.unwrap(), 4);
        assert_eq!(r.fill_buf().await.unwrap(), [1, 2]);
        r.consume(1);
        assert_eq!(r.seek(SeekFrom::Current(-2)).await.unwrap(), 3);
    });
}

/// A reader whose every byte is its position (mod 256), seekable anywhere in `u64`.
struct PositionReader {
    pos: u64,
}

impl tokio::io::AsyncRead for PositionReader {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let n = buf.remaining();
        for b in buf.initialize_unfilled() {
            *b = self.pos as u8;
            self.pos = self.pos.wrapping_add(1);
        }
        buf.advance(n);
        std::task::Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncSeek for PositionReader {
    fn start_seek(mut self: std::pin::Pin<&mut Self>, pos: SeekFrom) -> std::io::Result<()> {
        self.pos = match pos {
            SeekFrom::Start(n) => n,
            SeekFrom::Current(n) => self.pos.wrapping_add(n as u64),
            SeekFrom::End(n) => u64::MAX.wrapping_add(n as u64),
        };
        Ok(())
    }

    fn poll_complete(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<u64>> {
        std::task::Poll::Ready(Ok(self.pos))
    }
}

#[test]
fn bufreader_seek_that_underflows_takes_two_inner_seeks() {
    block_on(async {
        let mut r = BufReader::with_capacity(5, PositionReader { pos: 0 });
        assert_eq!(r.fill_buf().await.unwrap(), [0, 1, 2, 3, 4]);
        assert_eq!(r.seek(SeekFrom::End(-5)).await.unwrap(), u64::MAX - 5);
        assert_eq!(r.fill_buf().await.unwrap().len(), 5);
        // `i64::MIN` minus the 5 buffered bytes does not fit in an i64.
        let expected = (u64::MAX - 5).wrapping_add(i64::MIN as u64);
        assert_eq!(r.seek(SeekFrom::Current(i64::MIN)).await.unwrap(), expected);
        assert_eq!(r.fill_buf().await.unwrap().len(), 5);
        assert_eq!(r.seek(SeekFrom::Current(0)).await.unwrap(), expected);
        assert_eq!(r.get_ref().pos, expected);
    });
}
