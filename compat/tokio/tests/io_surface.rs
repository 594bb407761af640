//! The io and macros rows of README.md's "provided" column, checked at compile time: every
//! method is called with the argument types tokio documents and its output is bound to the
//! type tokio documents (a signature that differs fails to compile), plus the auto traits
//! tokio documents. The bodies are compiled, and run once over in-memory streams.
#![allow(clippy::type_complexity)]

use bytes_crate::BytesMut;
use futures::executor::block_on;
use std::io::{self, Cursor, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt, AsyncWrite,
    AsyncWriteExt, BufReader, BufStream, BufWriter, Chain, DuplexStream, Empty, Join, Lines, ReadBuf,
    ReadHalf, Repeat, SimplexStream, Sink, Split, Take, WriteHalf,
};

fn send_sync_unpin<T: Send + Sync + Unpin>() {}
fn send<T: Send>(_: &T) {}

#[test]
fn auto_traits() {
    send_sync_unpin::<DuplexStream>();
    send_sync_unpin::<SimplexStream>();
    send_sync_unpin::<ReadHalf<DuplexStream>>();
    send_sync_unpin::<WriteHalf<DuplexStream>>();
    send_sync_unpin::<BufReader<DuplexStream>>();
    send_sync_unpin::<BufWriter<DuplexStream>>();
    send_sync_unpin::<BufStream<DuplexStream>>();
    send_sync_unpin::<Lines<BufReader<DuplexStream>>>();
    send_sync_unpin::<Split<BufReader<DuplexStream>>>();
    send_sync_unpin::<Take<DuplexStream>>();
    send_sync_unpin::<Chain<DuplexStream, Empty>>();
    send_sync_unpin::<Join<DuplexStream, Sink>>();
    send_sync_unpin::<Repeat>();
    // The futures of a `Send` stream are `Send`, so they can be awaited in spawned tasks.
    let (mut a, _b) = tokio::io::duplex(8);
    let mut buf = [0u8; 4];
    send(&a.read(&mut buf));
    send(&a.write_all(b"x"));
    send(&tokio::io::copy(&mut &b""[..], &mut Vec::new()));
    let (mut c, mut d) = tokio::io::duplex(8);
    send(&tokio::io::copy_bidirectional(&mut c, &mut d));
    let mut lines = BufReader::new(c).lines();
    send(&lines.next_line());
}

async fn read_ext<R: AsyncRead + Unpin>(mut r: R) -> io::Result<()> {
    let mut buf = [0u8; 64];
    let _: usize = r.read(&mut buf).await?;
    let _: usize = r.read_buf(&mut BytesMut::new()).await?;
    let _: usize = r.read_exact(&mut buf[..0]).await?;
    let _: usize = r.read_to_end(&mut Vec::new()).await?;
    let _: usize = r.read_to_string(&mut String::new()).await?;
    let zero = &mut &[0u8; 0][..];
    let _: io::Result<u8> = zero.read_u8().await;
    let _: io::Result<i8> = zero.read_i8().await;
    let _: io::Result<u16> = zero.read_u16().await;
    let _: io::Result<i16> = zero.read_i16_le().await;
    let _: io::Result<u32> = zero.read_u32_le().await;
    let _: io::Result<i32> = zero.read_i32().await;
    let _: io::Result<u64> = zero.read_u64().await;
    let _: io::Result<i64> = zero.read_i64_le().await;
    let _: io::Result<u128> = zero.read_u128_le().await;
    let _: io::Result<i128> = zero.read_i128().await;
    let _: io::Result<f32> = zero.read_f32().await;
    let _: io::Result<f64> = zero.read_f64_le().await;
    let t: Take<R> = r.take(1);
    let _: u64 = t.limit();
    let _: Chain<Take<R>, &[u8]> = t.chain(&b""[..]);
    Ok(())
}

async fn write_ext<W: AsyncWrite + Unpin>(mut w: W) -> io::Result<()> {
    let _: usize = w.write(b"").await?;
    let _: usize = w.write_vectored(&[IoSlice::new(b"")]).await?;
    let _: usize = w.write_buf(&mut &b""[..]).await?;
    let _: () = w.write_all(b"").await?;
    let _: () = w.write_all_buf(&mut &b""[..]).await?;
    let _: () = w.write_u8(0).await?;
    let _: () = w.write_i16_le(0).await?;
    let _: () = w.write_u32(0).await?;
    let _: () = w.write_i64(0).await?;
    let _: () = w.write_u128_le(0).await?;
    let _: () = w.write_f32_le(0.0).await?;
    let _: () = w.write_f64(0.0).await?;
    let _: () = w.flush().await?;
    let _: () = w.shutdown().await?;
    Ok(())
}

async fn buf_read_ext<R: AsyncBufRead + Unpin>(mut r: R) -> io::Result<()> {
    let _: usize = r.read_until(b'\n', &mut Vec::new()).await?;
    let _: usize = r.read_line(&mut String::new()).await?;
    let n = {
        let b: &[u8] = r.fill_buf().await?;
        b.len()
    };
    AsyncBufReadExt::consume(&mut r, n);
    let mut lines: Lines<R> = r.lines();
    let _: Option<String> = lines.next_line().await?;
    let _: Poll<io::Result<Option<String>>> = Pin::new(&mut lines).poll_next_line(&mut noop_cx());
    let r: R = lines.into_inner();
    let mut split: Split<R> = AsyncBufReadExt::split(r, b',');
    let _: Option<Vec<u8>> = split.next_segment().await?;
    Ok(())
}

fn noop_cx() -> Context<'static> {
    Context::from_waker(futures::task::noop_waker_ref())
}

async fn seek_ext<S: AsyncSeek + Unpin>(mut s: S) -> io::Result<()> {
    let _: u64 = s.seek(SeekFrom::Start(0)).await?;
    let _: u64 = s.rewind().await?;
    let _: u64 = s.stream_position().await?;
    Ok(())
}

async fn utilities() -> io::Result<()> {
    let (a, b): (DuplexStream, DuplexStream) = tokio::io::duplex(64);
    let (rd, wr): (ReadHalf<DuplexStream>, WriteHalf<DuplexStream>) = tokio::io::split(a);
    let _: bool = rd.is_pair_of(&wr);
    let mut a: DuplexStream = rd.unsplit(wr);
    let (_r, _w): (ReadHalf<SimplexStream>, WriteHalf<SimplexStream>) = tokio::io::simplex(8);
    let _: SimplexStream = SimplexStream::new_unsplit(8);
    let _: u64 = tokio::io::copy(&mut tokio::io::empty(), &mut tokio::io::sink()).await?;
    let _: u64 = tokio::io::copy_buf(&mut &b""[..], &mut tokio::io::sink()).await?;
    drop(b);
    let (mut c, d) = tokio::io::duplex(64);
    drop(d);
    let _: io::Result<(u64, u64)> = tokio::io::copy_bidirectional(&mut a, &mut c).await;
    let _: io::Result<(u64, u64)> = tokio::io::copy_bidirectional_with_sizes(&mut a, &mut c, 1, 1).await;
    let _: Empty = tokio::io::empty();
    let _: Sink = tokio::io::sink();
    let _: Repeat = tokio::io::repeat(0);
    let mut j: Join<&[u8], Vec<u8>> = tokio::io::join(&b""[..], Vec::new());
    let _: (&&[u8], &Vec<u8>) = (j.reader(), j.writer());
    let _: &mut Vec<u8> = j.writer_mut();
    let _: (&[u8], Vec<u8>) = j.into_inner();
    Ok(())
}

fn buffers() {
    let r: BufReader<&[u8]> = BufReader::with_capacity(4, &b""[..]);
    let _: &[u8] = r.buffer();
    let _: &&[u8] = r.get_ref();
    let mut r: BufReader<&[u8]> = BufReader::new(r.into_inner());
    let _: &mut &[u8] = r.get_mut();
    let _: Pin<&mut &[u8]> = Pin::new(&mut r).get_pin_mut();
    let w: BufWriter<Vec<u8>> = BufWriter::with_capacity(4, Vec::new());
    let _: &[u8] = w.buffer();
    let mut w: BufWriter<Vec<u8>> = BufWriter::new(w.into_inner());
    let _: &mut Vec<u8> = w.get_mut();
    let _: Pin<&mut Vec<u8>> = Pin::new(&mut w).get_pin_mut();
    let s: BufStream<Cursor<Vec<u8>>> = BufStream::with_capacity(4, 4, Cursor::new(Vec::new()));
    let mut s: BufStream<Cursor<Vec<u8>>> = BufStream::new(s.into_inner());
    let _: &mut Cursor<Vec<u8>> = s.get_mut();
    let _: Pin<&mut Cursor<Vec<u8>>> = Pin::new(&mut s).get_pin_mut();
    fn seekable<T: AsyncSeek>() {}
    seekable::<BufReader<Cursor<Vec<u8>>>>();
    seekable::<BufWriter<Cursor<Vec<u8>>>>();
    seekable::<BufStream<Cursor<Vec<u8>>>>();
    fn rw<T: AsyncRead + AsyncWrite>() {}
    rw::<BufReader<DuplexStream>>();
    rw::<BufWriter<DuplexStream>>();
    let mut storage = [0u8; 4];
    let rb: ReadBuf<'_> = ReadBuf::new(&mut storage);
    let _: usize = rb.remaining();
}

#[test]
fn signatures() {
    block_on(async {
        read_ext(&b"abc"[..]).await.unwrap();
        write_ext(Vec::new()).await.unwrap();
        buf_read_ext(&b"a\nb,c"[..]).await.unwrap();
        seek_ext(Cursor::new(vec![1u8])).await.unwrap();
        utilities().await.unwrap();
    });
    buffers();
}

#[test]
fn macros() {
    block_on(async {
        let a: u8 = tokio::select! { biased; v = async { 1 } => v, else => 0 };
        let (b, c): (u8, &str) = tokio::join!(async { 2 }, async { "c" });
        let d: Result<(u8,), ()> = tokio::try_join!(async { Ok(4) });
        let fut = async { 5u8 };
        tokio::pin!(fut);
        let e: u8 = (&mut fut).await;
        assert_eq!((a, b, c, d, e), (1, 2, "c", Ok((4,)), 5));
    });
}
