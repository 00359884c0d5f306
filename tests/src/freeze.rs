//! Freezing the servers that run in this process (the protocol-001 reference server and the
//! PyTake Go replica), the way SIGSTOP freezes a child process: every connection stays open
//! and reads and writes nothing until the server is thawed. Each connection's loop waits here
//! before each step.

use tokio::sync::watch;

/// Waits while `frozen` says the server is frozen. False once the server is gone (nothing can
/// thaw it any more): the connection then ends.
pub(crate) async fn wait_while_frozen(frozen: &mut watch::Receiver<bool>) -> bool {
    while *frozen.borrow_and_update() {
        if frozen.changed().await.is_err() {
            return false;
        }
    }
    true
}
