//! A read-ahead buffer under tungstenite that exists only while data keeps coming.
//!
//! tungstenite reads at most its read buffer's size per system call, and zero-fills that
//! buffer first, so the buffer's size is both what each idle connection keeps resident and
//! how many bytes one `recv` can take. A 4 KiB buffer keeps idle connections small (the
//! memory goal of `BENCHMARKS.md`) but costs a burst of acknowledgements four or five `recv`
//! calls where a client with a 128 KiB buffer makes one (measured with strace on the
//! pipelined benchmark: 4.7 `recv` per window of 100 acknowledgements against 1.1).
//!
//! [`ReadAhead`] sits between the socket and tungstenite. While the connection is quiet it
//! passes reads straight through and holds nothing. When a read fills all that tungstenite
//! asked for (so the socket probably has more), it takes a [`CHUNK`] buffer and serves the
//! following reads from it, one `recv` of up to [`CHUNK`] bytes at a time; the first read that
//! finds the socket empty gives the buffer back. Writes pass through, counted
//! ([`BytesWritten`]): the connection's writer tells a slow write from a stalled one by them.
//!
//! Hand-written rather than `tokio::io::BufReader`, which keeps its buffer for the life of the
//! connection: 32 KiB per idle connection would break the memory goal that the 4 KiB
//! tungstenite buffer is there for.
//!
//! When many answers are on their way (pipelined sends waiting for their acknowledgements),
//! the driver says so through [`AnswersAwaited`] and the burst is read straight into the
//! buffer, in one `recv` as a client with a large buffer makes, instead of a 4 KiB read first
//! and the rest after (strace on the pipelined benchmark: two `recv` per window of 100
//! acknowledgements, against one). A few answers (a sequential send's one acknowledgement)
//! fit the 4 KiB read and still pass straight through, allocating nothing.
//!
//! A burst's buffer, given back, is kept in a small pool for the next burst on any
//! connection of the process: at most [`SPARES`] buffers per process, none per connection.
//! Allocating it anew for each burst (zero-filled, and often on fresh pages after `free`
//! gave them back) was 2.6 % of the driver thread's samples while receiving; callgrind of
//! receiving 600,000 messages: 6,650M instructions before reuse, 6,212M after (measured
//! with one spare per thread, the pool's first form, which kept 32 KiB on every thread
//! that had read a burst).
//!
//! The buffer is zero-filled when it is first made. Reading into its spare capacity with
//! `TcpStream::try_read_buf` instead was tried: it saved the memset (under 1 % of a pipelined
//! run's client samples) but, unlike `poll_read`, does not clear the socket's readiness after
//! a short read, so every burst cost one more `recv` (three per window of acknowledgements
//! instead of two).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How much one read-ahead `recv` takes: a burst of a hundred chat frames. Under glibc's
/// 64 KiB threshold, past which freeing a block makes `malloc` consolidate its free lists.
pub(crate) const CHUNK: usize = 32 << 10;

/// From how many answers awaited a burst is read straight into the read-ahead buffer. Fewer
/// fit, as a rule, in tungstenite's 4 KiB read (an acknowledgement is about 100 bytes).
const MANY_ANSWERS: usize = 32;

/// How many given-back buffers the process keeps: one per connection bursting at once on a
/// two-core machine, and a few more.
const SPARES: usize = 4;

/// Buffers given back, for the next bursts (see the module's documentation).
#[derive(Debug)]
struct Pool(Mutex<Vec<Vec<u8>>>);

/// The process's pool.
static POOL: Pool = Pool::new();

impl Pool {
    const fn new() -> Self {
        Self(Mutex::new(Vec::new()))
    }

    /// A [`CHUNK`] buffer: a spare, or a new one.
    fn take(&self) -> Vec<u8> {
        let spare = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        spare.unwrap_or_else(|| vec![0; CHUNK])
    }

    /// Keeps `buffer` if there is room, else frees it.
    fn give_back(&self, buffer: Vec<u8>) {
        if buffer.len() != CHUNK {
            return;
        }
        let mut spares = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if spares.len() < SPARES {
            spares.push(buffer);
        }
    }
}

/// How many answers the client waits for from the server: set by the driver after each
/// turn, read by the connection's [`ReadAhead`] to tell a burst coming.
#[derive(Clone, Debug, Default)]
pub(crate) struct AnswersAwaited(Arc<AtomicUsize>);

impl AnswersAwaited {
    pub(crate) fn set(&self, awaited: usize) {
        self.0.store(awaited, Ordering::Relaxed);
    }

    /// Whether a burst of answers is coming.
    fn many(&self) -> bool {
        self.0.load(Ordering::Relaxed) >= MANY_ANSWERS
    }
}

/// How many bytes were written to the socket so far, for the connection's writer: a write
/// is stalled only while this does not move.
#[derive(Clone, Debug, Default)]
pub(crate) struct BytesWritten(Arc<AtomicU64>);

impl BytesWritten {
    fn add(&self, written: usize) {
        self.0.fetch_add(written as u64, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A stream whose reads go through a buffer while the peer keeps sending.
#[derive(Debug)]
pub(crate) struct ReadAhead<S> {
    inner: S,
    /// Empty while the connection is quiet; [`CHUNK`] bytes during a burst, or while many
    /// answers are awaited.
    buffer: Vec<u8>,
    /// The bytes of `buffer` read from the socket and not yet handed out.
    start: usize,
    end: usize,
    awaited: AnswersAwaited,
    /// Where burst buffers come from and go back to.
    pool: &'static Pool,
    written: BytesWritten,
}

impl<S> ReadAhead<S> {
    pub(crate) fn new(inner: S, awaited: AnswersAwaited) -> Self {
        Self::with_pool(inner, awaited, &POOL)
    }

    fn with_pool(inner: S, awaited: AnswersAwaited, pool: &'static Pool) -> Self {
        Self {
            inner,
            buffer: Vec::new(),
            start: 0,
            end: 0,
            awaited,
            pool,
            written: BytesWritten::default(),
        }
    }

    /// The count of bytes written through this stream, shared.
    pub(crate) fn bytes_written(&self) -> BytesWritten {
        self.written.clone()
    }

    /// Whether a read-ahead buffer is held (the connection is in a burst).
    #[cfg(test)]
    fn holds_a_buffer(&self) -> bool {
        !self.buffer.is_empty()
    }

    /// The held buffer past the bytes read into it: zeros in a new one, an earlier burst's
    /// bytes in a reused one.
    #[cfg(test)]
    fn unused_bytes(&self) -> &[u8] {
        &self.buffer[self.end..]
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ReadAhead<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if out.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        if this.start == this.end {
            let burst_coming = this.awaited.many();
            if this.buffer.is_empty() && !burst_coming {
                // Quiet: straight into the caller's buffer. Filling it means more may wait.
                ready!(Pin::new(&mut this.inner).poll_read(context, out))?;
                if out.remaining() == 0 {
                    this.buffer = this.pool.take();
                }
                return Poll::Ready(Ok(()));
            }
            if this.buffer.is_empty() {
                // Answers are coming: take them in one read.
                this.buffer = this.pool.take();
            }
            let mut ahead = ReadBuf::new(&mut this.buffer);
            match Pin::new(&mut this.inner).poll_read(context, &mut ahead) {
                Poll::Pending => {
                    // The burst is over: unless more are coming, give the memory back
                    // until the next one.
                    if !burst_coming {
                        this.pool.give_back(std::mem::take(&mut this.buffer));
                    }
                    return Poll::Pending;
                }
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(())) => {
                    this.start = 0;
                    this.end = ahead.filled().len();
                }
            }
        }
        let taken = out.remaining().min(this.end - this.start);
        out.put_slice(&this.buffer[this.start..this.start + taken]);
        this.start += taken;
        Poll::Ready(Ok(()))
    }
}

impl<S> Drop for ReadAhead<S> {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buffer));
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ReadAhead<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = ready!(Pin::new(&mut self.inner).poll_write(context, bytes))?;
        self.written.add(written);
        Poll::Ready(Ok(written))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = ready!(Pin::new(&mut self.inner).poll_write_vectored(context, buffers))?;
        self.written.add(written);
        Poll::Ready(Ok(written))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(context)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(context)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// A pool of the test's own: tests run at once, and would share the process's.
    fn own_pool() -> &'static Pool {
        Box::leak(Box::new(Pool::new()))
    }

    /// A connected pair on 127.0.0.1: the peer's end, and ours under a read-ahead.
    async fn pair() -> (TcpStream, ReadAhead<TcpStream>) {
        pooled_pair(AnswersAwaited::default(), own_pool()).await
    }

    async fn awaiting_pair(awaited: AnswersAwaited) -> (TcpStream, ReadAhead<TcpStream>) {
        pooled_pair(awaited, own_pool()).await
    }

    async fn pooled_pair(
        awaited: AnswersAwaited,
        pool: &'static Pool,
    ) -> (TcpStream, ReadAhead<TcpStream>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (ours, accepted) = tokio::join!(TcpStream::connect(address), listener.accept());
        (
            accepted.unwrap().0,
            ReadAhead::with_pool(ours.unwrap(), awaited, pool),
        )
    }

    /// Whether a read now would wait (nothing on the socket).
    fn would_wait(reader: &mut ReadAhead<TcpStream>) -> bool {
        let mut chunk = [0u8; 4096];
        futures_util::FutureExt::now_or_never(reader.read(&mut chunk)).is_none()
    }

    /// Reads with a 4 KiB buffer, as tungstenite does, until `count` bytes have come.
    async fn read_all(reader: &mut ReadAhead<TcpStream>, count: usize) -> Vec<u8> {
        let mut received = Vec::new();
        let mut chunk = [0u8; 4096];
        while received.len() < count {
            let read = reader.read(&mut chunk).await.unwrap();
            assert_ne!(read, 0, "ended early");
            received.extend_from_slice(&chunk[..read]);
        }
        received
    }

    #[tokio::test]
    async fn a_burst_arrives_whole_and_in_order_and_the_buffer_goes_when_it_ends() {
        let (mut peer, mut reader) = pair().await;
        // Two read-aheads' worth, all waiting on the socket before the first read (it fits
        // in loopback's socket buffers).
        let burst: Vec<u8> = (0..60_000u32).map(|n| (n % 251) as u8).collect();
        peer.write_all(&burst).await.unwrap();
        assert_eq!(read_all(&mut reader, burst.len()).await, burst);
        assert!(reader.holds_a_buffer(), "a full read starts a read-ahead");
        // The socket is empty now: the next read waits, and the buffer is given back.
        assert!(would_wait(&mut reader));
        assert!(!reader.holds_a_buffer());
        // A small frame on a quiet connection passes straight through, holding nothing.
        peer.write_all(b"small").await.unwrap();
        assert_eq!(read_all(&mut reader, 5).await, b"small");
        assert!(!reader.holds_a_buffer());
    }

    #[tokio::test]
    async fn the_next_burst_reuses_a_given_back_buffer_and_reads_only_its_own_bytes() {
        let pool = own_pool();
        let (mut first_peer, mut first) = pooled_pair(AnswersAwaited::default(), pool).await;
        let burst: Vec<u8> = (0..60_000u32).map(|n| (n % 251) as u8).collect();
        first_peer.write_all(&burst).await.unwrap();
        assert_eq!(read_all(&mut first, burst.len()).await, burst);
        assert!(would_wait(&mut first));
        assert!(!first.holds_a_buffer());
        // Another connection: its burst takes memory from the pool, still holding an earlier
        // burst's bytes, and reads only its own.
        let (mut second_peer, mut second) = pooled_pair(AnswersAwaited::default(), pool).await;
        let other: Vec<u8> = (0..9_000u32).map(|n| (n % 13) as u8 + 1).collect();
        second_peer.write_all(&other).await.unwrap();
        assert_eq!(read_all(&mut second, other.len()).await, other);
        assert!(second.holds_a_buffer());
        assert!(
            second.unused_bytes().iter().any(|&byte| byte != 0),
            "not the first burst's buffer"
        );
        // Dropped in a burst, a connection gives its buffer back too.
        let reused = second.unused_bytes().to_vec();
        drop(second);
        let (mut third_peer, mut third) = pooled_pair(AnswersAwaited::default(), pool).await;
        third_peer.write_all(&other).await.unwrap();
        assert_eq!(read_all(&mut third, other.len()).await, other);
        assert_eq!(
            third.unused_bytes(),
            reused,
            "not the second connection's buffer"
        );
    }

    #[test]
    fn the_pool_keeps_a_few_buffers_and_frees_the_rest() {
        let pool = own_pool();
        for _ in 0..SPARES + 2 {
            pool.give_back(vec![1; CHUNK]);
        }
        pool.give_back(vec![1; 10]);
        let kept = pool.0.lock().unwrap();
        assert_eq!(kept.len(), SPARES);
        assert!(kept.iter().all(|buffer| buffer.len() == CHUNK));
    }

    #[tokio::test]
    async fn while_many_answers_are_awaited_the_buffer_stays_between_bursts() {
        let awaited = AnswersAwaited::default();
        let (mut peer, mut reader) = awaiting_pair(awaited.clone()).await;
        // One answer awaited: it passes straight through.
        awaited.set(1);
        peer.write_all(b"one answer").await.unwrap();
        assert_eq!(read_all(&mut reader, 10).await, b"one answer");
        assert!(would_wait(&mut reader));
        assert!(!reader.holds_a_buffer());
        // Many: even their first bytes are read through the buffer, which outlives them.
        awaited.set(MANY_ANSWERS);
        peer.write_all(b"first answers").await.unwrap();
        assert_eq!(read_all(&mut reader, 13).await, b"first answers");
        assert!(would_wait(&mut reader));
        assert!(reader.holds_a_buffer(), "answers are still awaited");
        let burst: Vec<u8> = (0..20_000u32).map(|n| (n % 253) as u8).collect();
        peer.write_all(&burst).await.unwrap();
        assert_eq!(read_all(&mut reader, burst.len()).await, burst);
        // Nothing awaited any more: the next wait gives the memory back.
        awaited.set(0);
        assert!(would_wait(&mut reader));
        assert!(!reader.holds_a_buffer());
    }

    #[tokio::test]
    async fn the_end_of_the_stream_and_writes_pass_through() {
        let (mut peer, mut stream) = pair().await;
        stream.write_all(b"hello").await.unwrap();
        stream.flush().await.unwrap();
        let mut greeting = [0u8; 5];
        peer.read_exact(&mut greeting).await.unwrap();
        assert_eq!(&greeting, b"hello");
        peer.write_all(&[7u8; 10_000]).await.unwrap();
        drop(peer);
        let received = read_all(&mut stream, 10_000).await;
        assert!(received.iter().all(|&byte| byte == 7));
        let mut chunk = [0u8; 4096];
        assert_eq!(stream.read(&mut chunk).await.unwrap(), 0, "end of stream");
    }
}
