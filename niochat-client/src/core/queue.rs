//! Unbounded per-subscriber queues whose receivers are woken once per batch.
//!
//! A driver publishes everything one turn of the engine produced (a burst of frames, a
//! reconnect's re-join and sync) as one batch: each subscriber's queue is extended under one
//! lock and its task is woken once, not once per event. Nothing is ever dropped for a slow
//! reader; a subscriber that never reads grows its queue, so read what you subscribe to.
//!
//! The same queue carries the client handles' commands to the driver, one at a time
//! ([`Queue::push`]), which the driver takes a turn's worth at a time into a buffer it
//! keeps, trading buffers with the queue ([`Subscription::drain_ready_into`]): no
//! allocation per turn once warm, where `mpsc` allocated a node for each command.
//!
//! Hand-written rather than `futures-channel`'s `mpsc`: that channel wakes its receiver on
//! every send and has no way to push a batch under one lock.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures_core::Stream;

#[derive(Debug)]
struct State<T> {
    items: VecDeque<T>,
    waker: Option<Waker>,
    /// The publisher is gone: the stream ends once drained.
    closed: bool,
    /// The subscription was dropped: stop publishing to it.
    dropped: bool,
}

/// The shared half of one subscription.
#[derive(Debug)]
pub(crate) struct Queue<T> {
    state: Mutex<State<T>>,
}

impl<T> Queue<T> {
    fn new(items: VecDeque<T>) -> Self {
        Self {
            state: Mutex::new(State {
                items,
                waker: None,
                closed: false,
                dropped: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends a batch and wakes the reader once. False when the subscription is gone.
    ///
    /// A reader that keeps up finds its queue empty: the batch then becomes the queue as it
    /// is, without moving its items one by one (events are a few hundred bytes each).
    pub(crate) fn publish(&self, batch: Vec<T>) -> bool {
        self.append(
            |items| match items.is_empty() {
                true => *items = VecDeque::from(batch),
                false => items.extend(batch),
            },
            true,
        )
    }

    /// Appends one item, waking the reader if it waits. False when the subscription is gone
    /// (the item is dropped).
    pub(crate) fn push(&self, item: T) -> bool {
        self.append(|items| items.push_back(item), true)
    }

    /// Appends one item without waking the reader: for a caller about to run the reader's
    /// turn itself, which calls [`wake`](Self::wake) if it could not. False as for `push`.
    pub(crate) fn push_quietly(&self, item: T) -> bool {
        self.append(|items| items.push_back(item), false)
    }

    /// Wakes the reader if it waits.
    pub(crate) fn wake(&self) {
        wake_after_unlock(self.lock());
    }

    /// Ends the stream after what it holds.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        wake_after_unlock(state);
    }

    /// Adds to the items under one lock, unless the subscription is gone, and wakes a
    /// waiting reader if asked to.
    fn append(&self, add: impl FnOnce(&mut VecDeque<T>), wake: bool) -> bool {
        let mut state = self.lock();
        if state.dropped {
            return false;
        }
        add(&mut state.items);
        match wake {
            true => wake_after_unlock(state),
            false => drop(state),
        }
        true
    }
}

/// Wakes a waiting reader once the lock is released (its task may run at once and lock).
fn wake_after_unlock<T>(mut state: MutexGuard<'_, State<T>>) {
    let waker = state.waker.take();
    drop(state);
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// The reading half of one subscription: a [`Stream`] of everything published after it was
/// made.
#[derive(Debug)]
pub struct Subscription<T> {
    queue: Arc<Queue<T>>,
}

impl<T> Subscription<T> {
    /// A subscription starting with `items`, and its shared half.
    pub(crate) fn new(items: VecDeque<T>) -> (Self, Arc<Queue<T>>) {
        let queue = Arc::new(Queue::new(items));
        (
            Self {
                queue: queue.clone(),
            },
            queue,
        )
    }

    /// The next item, or `None` once the client is gone and everything was read.
    pub async fn next(&mut self) -> Option<T> {
        std::future::poll_fn(|context| Pin::new(&mut *self).poll_next(context)).await
    }

    /// The next item if one is waiting, without waiting.
    pub fn try_next(&mut self) -> Option<T> {
        self.queue.lock().items.pop_front()
    }

    /// Everything waiting, without waiting: a whole batch in one lock, handed over as it is
    /// (the queue's buffer becomes the `Vec`; its items are not moved one by one).
    pub fn drain_ready(&mut self) -> Vec<T> {
        Vec::from(std::mem::take(&mut self.queue.lock().items))
    }

    /// Everything waiting, appended to `into` in one lock. When `into` is empty the two
    /// buffers are swapped: the queue keeps `into`'s capacity. A reader that takes every
    /// batch this way with one buffer of its own (the driver taking the handles' commands)
    /// stops the queue from growing from nothing after each batch: about six reallocations
    /// a window of 100 pipelined sends, 3.2 % of their instructions (callgrind, driver in
    /// the app's task). Both buffers keep their largest capacity for the client's life.
    pub(crate) fn drain_ready_into(&mut self, into: &mut VecDeque<T>) {
        let mut state = self.queue.lock();
        match into.is_empty() {
            true => std::mem::swap(&mut state.items, into),
            false => into.extend(state.items.drain(..)),
        }
    }
}

impl<T> Stream for Subscription<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.queue.lock();
        if let Some(item) = state.items.pop_front() {
            return Poll::Ready(Some(item));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        match &state.waker {
            Some(waker) if waker.will_wake(context.waker()) => {}
            _ => state.waker = Some(context.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        let mut state = self.queue.lock();
        state.dropped = true;
        let items = std::mem::take(&mut state.items);
        drop(state);
        // Dropped outside the lock: a dropped command resolves its future, which wakes a
        // task, which could push to this queue.
        drop(items);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use super::*;

    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Polls the subscription with a waker that counts its wake-ups.
    fn poll(subscription: &mut Subscription<i32>, wakes: &Arc<CountingWaker>) -> Poll<Option<i32>> {
        let waker = Waker::from(wakes.clone());
        Pin::new(subscription).poll_next(&mut Context::from_waker(&waker))
    }

    impl<T> Queue<T> {
        fn queue_capacity(&self) -> usize {
            self.lock().items.capacity()
        }
    }

    fn woken(wakes: &CountingWaker) -> usize {
        wakes.0.load(Ordering::SeqCst)
    }

    #[test]
    fn a_batch_wakes_the_reader_once_and_arrives_in_order() {
        let (mut subscription, queue) = Subscription::new(VecDeque::new());
        let wakes = Arc::new(CountingWaker(AtomicUsize::new(0)));
        assert_eq!(poll(&mut subscription, &wakes), Poll::Pending);
        assert!(queue.publish((1..=100).collect()));
        assert_eq!(woken(&wakes), 1);
        assert_eq!(subscription.drain_ready(), (1..=100).collect::<Vec<_>>());
        queue.close();
        assert_eq!(poll(&mut subscription, &wakes), Poll::Ready(None));
    }

    #[test]
    fn draining_into_an_empty_buffer_leaves_its_capacity_to_the_queue() {
        let (mut subscription, queue) = Subscription::new(VecDeque::new());
        let mut taken = VecDeque::with_capacity(64);
        let capacity = taken.capacity();
        assert!(queue.push(1) && queue.push(2));
        subscription.drain_ready_into(&mut taken);
        assert_eq!(taken, [1, 2]);
        assert_eq!(queue.queue_capacity(), capacity);
        // Into a buffer still holding items: appended after them, in order.
        assert!(queue.push(3) && queue.push(4));
        subscription.drain_ready_into(&mut taken);
        assert_eq!(taken, [1, 2, 3, 4]);
        assert_eq!(subscription.try_next(), None);
    }

    #[test]
    fn batches_keep_their_order_whether_the_queue_was_empty_or_not() {
        let (mut subscription, queue) = Subscription::new(VecDeque::new());
        assert!(queue.publish(vec![1, 2, 3]));
        assert_eq!(subscription.try_next(), Some(1));
        // Not empty: appended after what is still waiting.
        assert!(queue.publish(vec![4, 5]));
        assert_eq!(subscription.drain_ready(), vec![2, 3, 4, 5]);
        assert_eq!(subscription.drain_ready(), Vec::<i32>::new());
        // Empty again: the batch becomes the queue, and later batches follow it.
        assert!(queue.publish(vec![6]));
        assert!(queue.publish(vec![7, 8]));
        assert_eq!(subscription.try_next(), Some(6));
        assert_eq!(subscription.drain_ready(), vec![7, 8]);
    }

    #[test]
    fn a_dropped_subscription_is_no_longer_published_to() {
        let (subscription, queue) = Subscription::<u8>::new(VecDeque::new());
        drop(subscription);
        assert!(!queue.publish(vec![1]));
        assert!(!queue.push(2));
    }

    /// An item whose drop pushes to its own queue, as a dropped command does when its
    /// future's task wakes and sends another.
    struct PushesWhenDropped(Option<Arc<Queue<PushesWhenDropped>>>);

    impl Drop for PushesWhenDropped {
        fn drop(&mut self) {
            if let Some(queue) = self.0.take() {
                assert!(!queue.push(PushesWhenDropped(None)), "the reader is gone");
            }
        }
    }

    #[test]
    fn dropping_a_subscription_drops_its_items_outside_the_lock() {
        let (subscription, queue) = Subscription::new(VecDeque::new());
        assert!(queue.push(PushesWhenDropped(Some(queue.clone()))));
        // Under the lock, the item's push would lock again: a deadlock (or a panic).
        drop(subscription);
    }

    #[test]
    fn a_quiet_push_wakes_no_one_until_asked() {
        let (mut subscription, queue) = Subscription::new(VecDeque::new());
        let wakes = Arc::new(CountingWaker(AtomicUsize::new(0)));
        assert_eq!(poll(&mut subscription, &wakes), Poll::Pending);
        assert!(queue.push_quietly(1));
        assert_eq!(woken(&wakes), 0);
        queue.wake();
        assert_eq!(woken(&wakes), 1);
        assert_eq!(poll(&mut subscription, &wakes), Poll::Ready(Some(1)));
        drop(subscription);
        assert!(!queue.push_quietly(2), "the reader is gone");
    }

    #[test]
    fn pushed_items_arrive_in_order_and_wake_a_waiting_reader_once() {
        let (mut subscription, queue) = Subscription::new(VecDeque::new());
        let wakes = Arc::new(CountingWaker(AtomicUsize::new(0)));
        assert_eq!(poll(&mut subscription, &wakes), Poll::Pending);
        for item in 1..=3 {
            assert!(queue.push(item));
        }
        assert_eq!(woken(&wakes), 1);
        assert_eq!(subscription.try_next(), Some(1));
        queue.close();
        assert_eq!(subscription.drain_ready(), vec![2, 3]);
        assert_eq!(poll(&mut subscription, &wakes), Poll::Ready(None));
    }
}
