//! The sending half of one connection, written by the driver loop itself.
//!
//! Frames wait in a queue; the driver writes them all and flushes once per turn, as one
//! branch of its loop. Most turns the socket takes everything at once. When it does not (a
//! peer that stops reading), the branch stays pending while the loop goes on reading,
//! answering commands and running its timers, so a stalled peer cannot stall the keep-alive
//! that is meant to detect it; a write stalled for longer than the write timeout fails the
//! connection. No task or channel per connection: a frame costs no thread wake-up.

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

use super::transport::Socket;
use crate::engine::{ConnectionError, ConnectionErrorKind, Detail};

pub(crate) struct Writer {
    sink: SplitSink<Socket, Message>,
    queue: VecDeque<Message>,
    /// Frames were handed to the sink since its last flush.
    unflushed: bool,
    timeout: Duration,
    /// When the current write must be done by, once one had to wait.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl Writer {
    pub(crate) fn new(sink: SplitSink<Socket, Message>, timeout: Duration) -> Self {
        Self {
            sink,
            queue: VecDeque::new(),
            unflushed: false,
            timeout,
            stalled: None,
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
