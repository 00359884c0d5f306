//! The driver `build()` spawns, shared with the client's handles so that a command made
//! while the connection is quiet runs the driver's turn on the caller's thread (see
//! [`InlineTurn`] for why).
//!
//! The driver future sits behind a mutex. Its task polls it as any task polls its future; a
//! handle polls it too, with the task's waker, after putting its command in the inbox. So
//! whichever thread runs a turn, every wake-up the driver registers (socket readiness,
//! timer, inbox) goes to the task: a handle's turn can take work off the task, never leave
//! it stranded. A handle never waits for the mutex: if the task (or another handle) holds
//! it, the handle wakes the task instead, as it would without this.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};

use tokio::runtime::Handle;

use super::Driver;
use crate::core::InlineTurn;

struct Slot {
    /// `None` once it completed.
    driver: Option<Driver>,
    /// The task's waker, from its last poll: every turn, whoever runs it, polls with it.
    task: Option<Waker>,
}

/// Spawns `driver` on `runtime` and returns what lets handles run its turns.
pub(super) fn spawn(driver: Driver, runtime: &Handle) -> Box<dyn InlineTurn> {
    let slot = Arc::new(Mutex::new(Slot {
        driver: Some(driver),
        task: None,
    }));
    // Handles hold it weakly: once the runtime drops the task (shut down), the driver goes
    // with it and handles fall back to the inbox, which then refuses commands as `Closed`.
    let turns = Box::new(Turns {
        slot: Arc::downgrade(&slot),
        runtime: runtime.clone(),
    });
    runtime.spawn(std::future::poll_fn(move |context| {
        let mut slot = lock(&slot);
        match &slot.task {
            Some(task) if task.will_wake(context.waker()) => {}
            _ => slot.task = Some(context.waker().clone()),
        }
        poll_driver(&mut slot, context)
    }));
    turns
}

/// Polls the driver once; drops it when it completes.
fn poll_driver(slot: &mut Slot, context: &mut Context<'_>) -> Poll<()> {
    let Some(driver) = &mut slot.driver else {
        return Poll::Ready(());
    };
    let polled = std::pin::Pin::new(driver).poll(context);
    if polled.is_ready() {
        slot.driver = None;
    }
    polled
}

/// The task holds the mutex only while it polls, which never waits: blocking on it is brief.
fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Turns {
    slot: Weak<Mutex<Slot>>,
    /// Entered for the turn: the driver may start timers, a socket or a closing task.
    runtime: Handle,
}

impl InlineTurn for Turns {
    fn run_turn(&self) -> bool {
        let Some(slot) = self.slot.upgrade() else {
            return false;
        };
        // Held by the task or another handle (or by this thread, from inside a turn): that
        // one is at work, so leave the command to the task.
        let Ok(mut slot) = slot.try_lock() else {
            return false;
        };
        let Some(task) = slot.task.clone() else {
            return false; // the task has not started: it reads the inbox first thing
        };
        let _runtime = self.runtime.enter();
        if poll_driver(&mut slot, &mut Context::from_waker(&task)).is_ready() {
            // Done here: the task has yet to learn it.
            task.wake();
        }
        true
    }
}
