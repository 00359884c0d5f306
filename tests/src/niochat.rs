//! A real Django Channels server (daphne, in-memory channel layer) whose consumers behave as
//! NioChat's do, run as a child process: `servers/niochat/niochat_server.py` (see its docstring
//! and `WIRE.md`). Its packages are in the same Python environment as PyTake's.

use serde_json::{Value, json};

use crate::child::{ChildServer, Recipe, workspace};
use crate::pytake::python;

/// A running NioChat replica. Stops when dropped.
pub struct NioChatServer {
    server: ChildServer,
}

impl NioChatServer {
    /// Starts the server with the documented `ws/dashboard/` too.
    pub async fn start() -> Self {
        let script = workspace().join("tests/servers/niochat/niochat_server.py");
        let recipe = Recipe {
            program: python(),
            args: vec![script.display().to_string()],
        };
        Self {
            server: ChildServer::start(recipe).await,
        }
    }

    /// `ws://127.0.0.1:<port>`: the client adds the endpoint's path.
    pub fn url(&self) -> String {
        self.server.ws_url()
    }

    /// A new valid DRF token key (40 hex) for `user`.
    pub async fn token_for(&self, user: u64) -> String {
        let key = format!(
            "{:016x}{:016x}{:08x}",
            fastrand::u64(..),
            fastrand::u64(..),
            fastrand::u32(..)
        );
        let body = json!({"key": key, "user_id": user});
        self.server.http("POST", "/test/tokens", &[], &body).await;
        key
    }

    /// A message stored in `conversation` as NioChat's webhook or send path does, and pushed to
    /// its room. `sender` is `customer` or `agent`. Returns the stored message.
    pub async fn post_message(&self, conversation: u64, content: &str, sender: &str) -> Value {
        let body = json!({"content": content, "sender": sender, "message_type": "text"});
        let path = format!("/test/conversations/{conversation}/messages");
        self.server.http("POST", &path, &[], &body).await
    }

    /// Deletes a message: NioChat re-sends it with `additional_attributes.status = "deleted"`.
    pub async fn delete_message(&self, conversation: u64, message: u64) {
        let path = format!("/test/conversations/{conversation}/messages/{message}/delete");
        self.server
            .http("POST", &path, &[], &json!({"deleted_by": 1}))
            .await;
    }

    /// A reaction to a message (`message_updated`).
    pub async fn react(&self, conversation: u64, message: u64, emoji: &str) {
        let path = format!("/test/conversations/{conversation}/messages/{message}/reaction");
        let body = json!({"emoji": emoji, "user_id": 1});
        self.server.http("POST", &path, &[], &body).await;
    }

    /// A painel event for `provider`.
    pub async fn painel_event(&self, provider: u64, event: Value) {
        let path = format!("/test/painel/{provider}/event");
        self.server.http("POST", &path, &[], &event).await;
    }

    /// A documented dashboard event of `kind` with `data`.
    pub async fn dashboard_event(&self, kind: &str, data: Value) {
        let path = format!("/test/dashboard/{kind}");
        self.server.http("POST", &path, &[], &data).await;
    }

    /// Connections per path.
    pub async fn stats(&self) -> Value {
        self.server
            .http("GET", "/test/stats", &[], &Value::Null)
            .await
    }

    /// Stops the server process (SIGSTOP): its sockets stay open and answer nothing.
    pub fn freeze(&self) {
        self.server.signal("-STOP");
    }

    /// Ends [`freeze`](Self::freeze).
    pub fn thaw(&self) {
        self.server.signal("-CONT");
    }

    /// A restart on the same port.
    pub async fn restart(&self) {
        self.server.stop().await;
        self.server.resume().await;
    }
}
