//! The sending half of one connection, written by the driver loop itself.
//!
//! Frames wait in a queue; the driver writes them all and flushes once per turn, as one
//! branch of its loop. Most turns the socket takes everything at once. When it does not (a
//! peer that stops reading), the branch stays pending while the loop goes on reading,
//! answering commands and running its timers, so a stalled peer cannot stall the keep-alive
//! that is meant to detect it; a write that makes no progress (no byte taken by the socket)
//! for longer than the write timeout fails the connection. A slow link that keeps taking
//! bytes is not a stalled one: a large backlog may take longer than the timeout to drain.
//! No task or channel per connection: a frame costs no thread wake-up.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_util::stream::SplitSink;
use futures_util::{FutureExt, SinkExt};
use tokio::task::JoinHandle;
use tokio::time::{Instant, Sleep};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::read_ahead::BytesWritten;
use super::transport::Socket;
use crate::engine::{ConnectionError, ConnectionErrorKind, Detail};

pub(crate) struct Writer {
    sink: SplitSink<Socket, Message>,
    queue: VecDeque<Message>,
    /// Frames were handed to the sink since its last flush.
    unflushed: bool,
    timeout: Duration,
    /// When the current write must have made progress by, once one had to wait.
    stalled: Option<Pin<Box<Sleep>>>,
    /// The socket's count of bytes written, and its value when `stalled` was armed.
    written: BytesWritten,
    written_when_armed: u64,
}

impl Writer {
    pub(crate) fn new(
        sink: SplitSink<Socket, Message>,
        timeout: Duration,
        written: BytesWritten,
    ) -> Self {
        Self {
            sink,
            queue: VecDeque::new(),
            unflushed: false,
            timeout,
            stalled: None,
            written,
            written_when_armed: 0,
        }
    }

    pub(crate) fn send(&mut self, text: String) {
        self.queue.push_back(Message::text(text));
    }

    pub(crate) fn ping(&mut self) {
        self.queue.push_back(Message::Ping(Vec::new().into()));
    }

    /// Whether there is something to write or flush.
    pub(crate) fn busy(&self) -> bool {
        !self.queue.is_empty() || self.unflushed
    }

    /// Writes what the socket takes now, without waiting. `Err`: the connection is broken.
    pub(crate) fn write_now(&mut self) -> Result<(), ConnectionError> {
        match std::future::poll_fn(|cx| self.poll_write(cx)).now_or_never() {
            Some(done) => done,
            // The socket is full: the driver waits for it in its loop, with a deadline.
            None => Ok(()),
        }
    }

    /// Resolves when everything queued is written and flushed, or the write failed or
    /// stalled past the timeout. Cancel-safe: a frame leaves the queue only once the sink
    /// has taken it.
    pub(crate) async fn written(&mut self) -> Result<(), ConnectionError> {
        std::future::poll_fn(|cx| self.poll_write(cx)).await
    }

    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ConnectionError>> {
        match self.poll_queue(cx) {
            Poll::Ready(Ok(())) => {
                self.stalled = None;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(failed(error.to_string()))),
            Poll::Pending => {
                let timeout = self.timeout;
                let written = self.written.get();
                if written != self.written_when_armed {
                    // Bytes went out since the deadline was armed: slow, not stalled.
                    self.written_when_armed = written;
                    self.stalled = None;
                }
                let deadline = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        Poll::Ready(Err(failed(format!("a write took longer than {timeout:?}"))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn poll_queue(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        while !self.queue.is_empty() {
            ready!(self.sink.poll_ready_unpin(cx))?;
            if let Some(message) = self.queue.pop_front() {
                self.sink.start_send_unpin(message)?;
                self.unflushed = true;
            }
        }
        if self.unflushed {
            ready!(self.sink.poll_flush_unpin(cx))?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }

    /// Writes what is queued and a close frame in a task of its own, which ends when the
    /// close is sent or the write timeout passes.
    pub(crate) fn close(mut self, code: u16, reason: String) -> JoinHandle<()> {
        self.queue.push_back(Message::Close(Some(CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        })));
        let deadline = Instant::now() + self.timeout;
        tokio::spawn(async move {
            let _ = tokio::time::timeout_at(deadline, self.written()).await;
        })
    }
}

fn failed(detail: String) -> ConnectionError {
    ConnectionError::with_source(ConnectionErrorKind::Transport, Detail(detail))
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpSocket;
    use tokio_tungstenite::tungstenite::protocol::Role;
    use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

    use super::*;
    use crate::native::read_ahead::{AnswersAwaited, ReadAhead};

    /// A writer on a real TCP connection with small socket buffers, whose peer reads
    /// `chunk` bytes every `every` (forever) or nothing at all.
    async fn writer_to_a_reader(timeout: Duration, chunk: usize, every: Duration) -> Writer {
        let listening = TcpSocket::new_v4().unwrap();
        listening.set_recv_buffer_size(4096).unwrap();
        listening.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = listening.listen(1).unwrap();
        let address = listener.local_addr().unwrap();
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_send_buffer_size(4096).unwrap();
        let (ours, theirs) = tokio::join!(socket.connect(address), listener.accept());
        let (mut theirs, _) = theirs.unwrap();
        tokio::spawn(async move {
            let mut buffer = vec![0; chunk.max(1)];
            loop {
                tokio::time::sleep(every).await;
                if chunk > 0 && theirs.read(&mut buffer).await.unwrap_or(0) == 0 {
                    break;
                }
            }
        });
        let stream = ReadAhead::new(ours.unwrap(), AnswersAwaited::default());
        let written = stream.bytes_written();
        let socket =
            WebSocketStream::from_raw_socket(MaybeTlsStream::Plain(stream), Role::Client, None)
                .await;
        let (sink, _reader) = socket.split();
        Writer::new(sink, timeout, written)
    }

    #[tokio::test]
    async fn a_slow_link_that_keeps_taking_bytes_is_not_a_stalled_one() {
        // 400 KB at about 400 KB/s: a second to drain, five times the write timeout.
        let timeout = Duration::from_millis(200);
        let mut writer = writer_to_a_reader(timeout, 4096, Duration::from_millis(10)).await;
        writer.send("x".repeat(400_000));
        let written = tokio::time::timeout(Duration::from_secs(20), writer.written()).await;
        assert!(matches!(written, Ok(Ok(()))), "{written:?}");
    }

    #[tokio::test]
    async fn a_peer_that_takes_nothing_fails_the_write_after_the_timeout() {
        let timeout = Duration::from_millis(200);
        let mut writer = writer_to_a_reader(timeout, 0, Duration::from_secs(3600)).await;
        writer.send("x".repeat(400_000));
        let written = tokio::time::timeout(Duration::from_secs(20), writer.written()).await;
        assert!(matches!(written, Ok(Err(_))), "{written:?}");
    }
}
