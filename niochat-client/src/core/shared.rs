//! What the client handles and the driver share: the current status and the subscribers to
//! events and status changes.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::queue::{Queue, Subscription};
use crate::engine::{Event, Status};

/// Every event from the moment it was made, in order; none is dropped. See
/// [`Client::events`](super::Client::events).
pub type EventStream = Subscription<Event>;

/// The status at the moment it was made, then every change, in order (the transient `Error`
/// statuses included). See [`Client::status_changes`](super::Client::status_changes).
pub type StatusStream = Subscription<Status>;

#[derive(Debug)]
struct State {
    status: Status,
    events: Vec<Arc<Queue<Event>>>,
    statuses: Vec<Arc<Queue<Status>>>,
    closed: bool,
}

#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Whether an event stream may be open, read without the lock by the driver for every
    /// event: with none, an event is not built into a batch only to be dropped. Set when a
    /// stream subscribes; cleared when a publish finds every stream dropped.
    event_streams: AtomicBool,
    /// The engine [is quiet](crate::engine::Engine::is_quiet) as of the driver's last turn: a
    /// handle's command may then run a turn of the driver on the handle's thread (see
    /// `Client::send`). Set at every [`ClientCore::flush`](super::ClientCore::flush).
    quiet: AtomicBool,
}

impl Shared {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                status: Status::Disconnected,
                events: Vec::new(),
                statuses: Vec::new(),
                closed: false,
            }),
            event_streams: AtomicBool::new(false),
            quiet: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn status(&self) -> Status {
        self.lock().status.clone()
    }

    pub(crate) fn subscribe_events(&self) -> EventStream {
        let (subscription, queue) = Subscription::new(VecDeque::new());
        let mut state = self.lock();
        match state.closed {
            true => queue.close(),
            false => {
                state.events.push(queue);
                self.event_streams.store(true, Ordering::Release);
            }
        }
        subscription
    }

    /// Whether any event stream may still be open (see `event_streams`). Status changes are
    /// published whatever this says: they keep [`status`](Self::status) current.
    pub(crate) fn has_event_streams(&self) -> bool {
        self.event_streams.load(Ordering::Acquire)
    }

    pub(crate) fn set_quiet(&self, quiet: bool) {
        self.quiet.store(quiet, Ordering::Release);
    }

    pub(crate) fn is_quiet(&self) -> bool {
        self.quiet.load(Ordering::Acquire)
    }

    pub(crate) fn subscribe_statuses(&self) -> StatusStream {
        let mut state = self.lock();
        let (subscription, queue) = Subscription::new(VecDeque::from([state.status.clone()]));
        match state.closed {
            true => queue.close(),
            false => state.statuses.push(queue),
        }
        subscription
    }

    /// Publishes one turn's events: one wake-up per subscriber. The subscribers are taken
    /// under the lock and woken after it is released: a reader's waker may run code at once
    /// (a coroutine resumed in place) that calls back into the client, which would wait for
    /// this lock on its own thread. Only the driver publishes, one turn at a time.
    pub(crate) fn publish(&self, batch: Vec<Event>) {
        if batch.is_empty() {
            return;
        }
        let statuses: Vec<Status> = batch
            .iter()
            .filter_map(|event| match event {
                Event::Status(status) => Some(status.clone()),
                _ => None,
            })
            .collect();
        let (status_queues, event_queues) = {
            let mut state = self.lock();
            if let Some(last) = statuses.last() {
                state.status = last.clone();
            }
            let status_queues = match statuses.is_empty() {
                true => Vec::new(),
                false => state.statuses.clone(),
            };
            (status_queues, state.events.clone())
        };
        let gone_statuses: Vec<_> = status_queues
            .iter()
            .filter(|queue| !queue.publish(statuses.clone()))
            .collect();
        let mut batch = Some(batch);
        let last = event_queues.len().saturating_sub(1);
        let gone_events: Vec<_> = event_queues
            .iter()
            .enumerate()
            .filter(|(index, queue)| {
                let events = match *index == last {
                    true => batch.take().unwrap_or_default(),
                    false => batch.clone().unwrap_or_default(),
                };
                !queue.publish(events)
            })
            .map(|(_, queue)| queue)
            .collect();
        if gone_statuses.is_empty() && gone_events.is_empty() {
            return;
        }
        let mut state = self.lock();
        state
            .statuses
            .retain(|queue| !gone_statuses.iter().any(|gone| Arc::ptr_eq(gone, queue)));
        state
            .events
            .retain(|queue| !gone_events.iter().any(|gone| Arc::ptr_eq(gone, queue)));
        self.event_streams
            .store(!state.events.is_empty(), Ordering::Release);
    }

    /// The driver is gone: every stream ends after what it holds.
    pub(crate) fn close(&self) {
        let (events, statuses) = {
            let mut state = self.lock();
            state.closed = true;
            self.event_streams.store(false, Ordering::Release);
            (
                std::mem::take(&mut state.events),
                std::mem::take(&mut state.statuses),
            )
        };
        // Woken outside the lock, as in `publish`.
        for queue in events {
            queue.close();
        }
        for queue in statuses {
            queue.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::atomic::AtomicUsize;
    use std::task::{Context, Wake, Waker};

    use futures_core::Stream;

    use super::*;

    /// A reader's waker that, as a coroutine resumed in place would, looks at the client's
    /// shared state at once: it counts the wake-ups that found the state free.
    struct LooksAtOnce {
        shared: Arc<Shared>,
        found_free: AtomicUsize,
    }

    impl Wake for LooksAtOnce {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            if self.shared.state.try_lock().is_ok() {
                self.found_free.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    #[test]
    fn readers_are_woken_after_the_shared_state_is_released() {
        let shared = Arc::new(Shared::new());
        let mut events = shared.subscribe_events();
        let mut statuses = shared.subscribe_statuses();
        let reader = Arc::new(LooksAtOnce {
            shared: shared.clone(),
            found_free: AtomicUsize::new(0),
        });
        let waker = Waker::from(reader.clone());
        let mut context = Context::from_waker(&waker);
        // The status stream starts with the current status; wait after it.
        let _ = Pin::new(&mut statuses).poll_next(&mut context);
        assert!(Pin::new(&mut statuses).poll_next(&mut context).is_pending());
        assert!(Pin::new(&mut events).poll_next(&mut context).is_pending());

        shared.publish(vec![Event::Status(Status::Connecting)]);
        assert_eq!(
            reader.found_free.load(Ordering::SeqCst),
            2,
            "woken under the lock"
        );

        let _ = Pin::new(&mut statuses).poll_next(&mut context);
        let _ = Pin::new(&mut events).poll_next(&mut context);
        assert!(Pin::new(&mut statuses).poll_next(&mut context).is_pending());
        assert!(Pin::new(&mut events).poll_next(&mut context).is_pending());
        shared.close();
        assert_eq!(
            reader.found_free.load(Ordering::SeqCst),
            4,
            "woken under the lock"
        );
    }
}
