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
//!
//! A handle's poll runs one pass of the driver's loop, not the loop until it has nothing
//! left to do: the driver calls [`yield_after_inline_pass`] at the end of each pass, which
//! hands the rest to the task. Without it, a caller on a thread with no tokio budget (any
//! thread outside the runtime: every call through the FFI) would read and decode frames for
//! as long as the server kept sending. A panic in a handle's pass ends the driver, as it
//! would end its task, instead of unwinding into the caller.

use std::cell::Cell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
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
    /// Entered for a handle's turn: the driver may start timers, a socket or a closing
    /// task. Here rather than in the handles, so that it goes with the task.
    runtime: Handle,
}

thread_local! {
    /// Set while this thread runs a pass of a driver for a handle.
    static IN_HANDLE_PASS: Cell<bool> = const { Cell::new(false) };
}

/// The end of a pass of the driver's loop: when the pass ran on a handle's thread, wakes the
/// task and returns `Pending` once, so that the task runs whatever comes next.
pub(super) async fn yield_after_inline_pass() {
    let mut yielded = false;
    std::future::poll_fn(|context| {
        if yielded || !IN_HANDLE_PASS.get() {
            return Poll::Ready(());
        }
        yielded = true;
        context.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

/// Spawns `driver` on `runtime` and returns what lets handles run its turns.
pub(super) fn spawn(driver: Driver, runtime: &Handle) -> Box<dyn InlineTurn> {
    let slot = Arc::new(Mutex::new(Slot {
        driver: Some(driver),
        task: None,
        runtime: runtime.clone(),
    }));
    // Handles hold it weakly: once the runtime drops the task (shut down), the driver goes
    // with it and handles fall back to the inbox, which then refuses commands as `Closed`.
    let turns = Box::new(Turns {
        slot: Arc::downgrade(&slot),
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
        let _runtime = slot.runtime.clone().enter();
        // Restored after, not cleared: this pass may run inside another client's.
        let outer = IN_HANDLE_PASS.replace(true);
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| {
            poll_driver(&mut slot, &mut Context::from_waker(&task))
        }));
        IN_HANDLE_PASS.set(outer);
        match polled {
            Ok(Poll::Pending) => {}
            // Done here: the task has yet to learn it.
            Ok(Poll::Ready(())) => task.wake(),
            Err(_) => {
                tracing::error!("the client's driver panicked: the client is closed");
                // Its inbox goes with it: commands resolve as `Closed`, streams end.
                slot.driver = None;
                task.wake();
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

    use super::*;

    #[test]
    fn a_handles_turn_runs_one_pass_then_leaves_the_rest_to_the_task() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let passes = Arc::new(AtomicUsize::new(0));
        // While set, there is always more to do, as while a flood keeps coming.
        let endless = Arc::new(AtomicBool::new(false));
        let work = Arc::new(tokio::sync::Notify::new());
        let driver = {
            let (passes, endless, work) = (passes.clone(), endless.clone(), work.clone());
            Driver(Box::pin(async move {
                // Bounded, so that a regression fails the assertions instead of hanging.
                while passes.fetch_add(1, SeqCst) < 1_000 {
                    yield_after_inline_pass().await;
                    if !endless.load(SeqCst) {
                        work.notified().await;
                    }
                }
            }))
        };
        let turns = spawn(driver, runtime.handle());
        // The task's first poll: one pass, then it waits for work.
        runtime.block_on(tokio::task::yield_now());
        assert_eq!(passes.load(SeqCst), 1);

        endless.store(true, SeqCst);
        work.notify_one();
        // On this thread, outside the runtime (no tokio budget): one pass, and back.
        assert!(turns.run_turn());
        assert_eq!(passes.load(SeqCst), 2);

        // The task, woken by the pass, takes over: it waits for work, then runs the next
        // pass itself.
        endless.store(false, SeqCst);
        runtime.block_on(tokio::task::yield_now());
        assert_eq!(passes.load(SeqCst), 2);
        work.notify_one();
        runtime.block_on(tokio::task::yield_now());
        assert_eq!(passes.load(SeqCst), 3);
    }

    #[test]
    fn a_panic_in_a_handles_turn_ends_the_driver_not_the_caller() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let work = Arc::new(tokio::sync::Notify::new());
        let driver = {
            let work = work.clone();
            Driver(Box::pin(async move {
                work.notified().await;
                panic!("a bug in the driver");
            }))
        };
        let turns = spawn(driver, runtime.handle());
        runtime.block_on(tokio::task::yield_now());
        work.notify_one();
        // The pass panics: caught, the driver dropped, the task told.
        assert!(turns.run_turn());
        // The task ends, and with it the driver's slot: handles fall back to the inbox.
        runtime.block_on(tokio::task::yield_now());
        assert!(!turns.run_turn());
    }
}
