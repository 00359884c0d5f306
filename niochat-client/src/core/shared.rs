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

    /// Publishes one turn's events: one lock and one wake-up per subscriber.
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
        let mut state = self.lock();
        if let Some(last) = statuses.last() {
            state.status = last.clone();
            state
                .statuses
                .retain(|queue| queue.publish(statuses.clone()));
        }
        let mut batch = Some(batch);
        let last = state.events.len().saturating_sub(1);
        let mut index = 0;
        state.events.retain(|queue| {
            let events = match index == last {
                true => batch.take().unwrap_or_default(),
                false => batch.clone().unwrap_or_default(),
            };
            index += 1;
            queue.publish(events)
        });
        self.event_streams
            .store(!state.events.is_empty(), Ordering::Release);
    }

    /// The driver is gone: every stream ends after what it holds.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        self.event_streams.store(false, Ordering::Release);
        for queue in state.events.drain(..) {
            queue.close();
        }
        for queue in state.statuses.drain(..) {
            queue.close();
        }
    }
}
