//! [`Answer`]: what a [`Client`](super::Client) request method returns.
//!
//! A request is handed to the connection when its method is called, not when the returned
//! future is first polled. So the order of calls is the order on the wire: two
//! `send_message` calls whose futures are spawned as separate tasks, or awaited in another
//! order, or never awaited at all, still go out in the order they were made. With lazy
//! `async fn`s that order would be the executor's — on a multi-threaded runtime, not the
//! caller's — and a chat would show messages in an order nobody wrote them.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::oneshot;

use crate::engine::{CommandError, Refused};

/// The answer to a request the client has already taken. Awaiting it waits for the outcome;
/// dropping it does not take the request back (a message is still sent).
#[must_use = "the request is already on its way; await this to learn its outcome"]
pub struct Answer<T, E = CommandError> {
    receiver: oneshot::Receiver<Result<T, E>>,
}

impl<T, E> Answer<T, E> {
    pub(crate) fn new(receiver: oneshot::Receiver<Result<T, E>>) -> Self {
        Self { receiver }
    }
}

impl<T, E> std::fmt::Debug for Answer<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer").finish_non_exhaustive()
    }
}

impl<T, E: From<Refused>> Future for Answer<T, E> {
    type Output = Result<T, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The sender is dropped without an answer only when the client is gone.
        Pin::new(&mut self.receiver)
            .poll(cx)
            .map(|answer| answer.unwrap_or(Err(Refused::Closed.into())))
    }
}
