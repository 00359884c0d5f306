//! The thread each client runs on: a tokio runtime of its own, so that no foreign runtime is
//! needed, stopped and joined when the client closes, so that closing ends every thread and
//! task the client made.

use futures_channel::oneshot;

use crate::errors::NioChatError;

/// The runtime thread of one client: stopped and joined on close.
pub(crate) struct Runtime {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Runtime {
    pub(crate) fn start() -> Result<(Self, tokio::runtime::Handle), NioChatError> {
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("niochat".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match runtime {
                    Ok(runtime) => {
                        let _ = handle_tx.send(Ok(runtime.handle().clone()));
                        runtime.block_on(async {
                            let _ = stopped.await;
                        });
                        // Dropping the runtime here ends whatever task is left.
                    }
                    Err(error) => {
                        let _ = handle_tx.send(Err(error.to_string()));
                    }
                }
            })
            .map_err(|error| NioChatError::Transport {
                detail: format!("cannot start the client's thread: {error}"),
            })?;
        let handle = handle_rx
            .recv()
            .map_err(|_| NioChatError::Transport {
                detail: "the client's thread ended at once".into(),
            })?
            .map_err(|detail| NioChatError::Transport { detail })?;
        let runtime = Self {
            stop: Some(stop),
            thread: Some(thread),
        };
        Ok((runtime, handle))
    }

    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop();
    }
}
