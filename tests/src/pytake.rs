//! A real python-socketio server that behaves as PyTake's does, run as a child process.
//!
//! `servers/pytake_server.py` is a python-socketio 5 `AsyncServer` on uvicorn with PyTake's
//! handlers (see its docstring and `servers/WIRE.md`). This module starts it on 127.0.0.1,
//! signs its tokens, drives its HTTP routes (PyTake's REST send path and test controls), and
//! restarts it on the same port. The interpreter is the virtual environment `cargo xtask test`
//! installs (`target/niochat-venv`), or `NIOCHAT_PYTHON`.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::child::{ChildServer, Recipe, workspace};
use crate::jwt::TokenSecret;

/// A running PyTake replica. Stops when dropped.
pub struct PyTakeServer {
    server: ChildServer,
    secret: TokenSecret,
}

impl PyTakeServer {
    /// Starts the server with PyTake's keep-alive timing (25 s interval, 20 s timeout).
    pub async fn start() -> Self {
        Self::start_with_ping(25_000, 20_000).await
    }

    /// Starts the server with its Engine.IO pings every `interval_ms`, waiting `timeout_ms`.
    pub async fn start_with_ping(interval_ms: u64, timeout_ms: u64) -> Self {
        let secret = TokenSecret::new("pytake");
        let script = workspace().join("tests/servers/pytake_server.py");
        let mut args = vec![script.display().to_string()];
        args.extend(secret.args());
        args.extend([
            "--ping-interval-ms".into(),
            interval_ms.to_string(),
            "--ping-timeout-ms".into(),
            timeout_ms.to_string(),
        ]);
        let recipe = Recipe {
            program: python(),
            args,
        };
        Self {
            server: ChildServer::start(recipe).await,
            secret,
        }
    }

    /// `ws://127.0.0.1:<port>`: the client adds `/socket.io/?EIO=4&transport=websocket`.
    pub fn url(&self) -> String {
        self.server.ws_url()
    }

    /// The address it listens on (for a proxy in front of it).
    pub fn address(&self) -> std::net::SocketAddr {
        let url = self.url();
        let address = url.trim_start_matches("ws://");
        address
            .parse()
            .unwrap_or_else(|_| panic!("not an address: {address}"))
    }

    /// A valid token for `user`, with the claims PyTake's login issues.
    pub fn token_for(&self, user: &str) -> String {
        self.secret.valid(|exp| claims(user, exp))
    }

    /// An expired token for `user`: refused with `44` at the namespace CONNECT.
    pub fn expired_token(&self, user: &str) -> String {
        self.secret.expired(|exp| claims(user, exp))
    }

    /// PyTake's REST send path: `user` posts `text` to `conversation`; every client in the
    /// room gets `message:new`. Returns the stored message.
    pub async fn post_message(&self, conversation: &str, user: &str, text: &str) -> Value {
        let body = json!({"message_type": "text", "content": {"text": text, "preview_url": false}});
        let path = format!("/api/v1/conversations/{conversation}/messages");
        let auth = format!("Bearer {}", self.token_for(user));
        self.server
            .http("POST", &path, &[("Authorization", &auth)], &body)
            .await
    }

    /// PyTake's status webhook: `message:status` to the conversation's room.
    pub async fn message_status(&self, conversation: &str, message: &str, status: &str) {
        let body = json!({"status": status, "conversation_id": conversation});
        let path = format!("/api/v1/messages/{message}/status");
        self.server.http("POST", &path, &[], &body).await;
    }

    /// `user:status` to everyone.
    pub async fn user_status(&self, user: &str, status: &str) {
        let body = json!({"user_id": user, "status": status});
        self.server
            .http("POST", "/test/user-status", &[], &body)
            .await;
    }

    /// Any event, to everyone or to `room`.
    pub async fn emit(&self, event: &str, data: Value, room: Option<&str>) {
        let body = json!({"event": event, "data": data, "room": room});
        self.server.http("POST", "/test/emit", &[], &body).await;
    }

    /// An event whose data carries `bytes` (as `blob`): python-socketio sends them as a binary
    /// attachment.
    pub async fn emit_with_bytes(
        &self,
        event: &str,
        data: Value,
        bytes: &[u8],
        room: Option<&str>,
    ) {
        let body = json!({"event": event, "data": data, "bytes": bytes, "room": room});
        self.server.http("POST", "/test/emit", &[], &body).await;
    }

    /// `{"connect_attempts", "connected", "rooms": {room: [users]}}`.
    pub async fn stats(&self) -> Value {
        self.server
            .http("GET", "/test/stats", &[], &Value::Null)
            .await
    }

    /// Disconnects every client server-side (`41`).
    pub async fn disconnect_all(&self) {
        let path = "/test/disconnect-all";
        self.server.http("POST", path, &[], &Value::Null).await;
    }

    /// Stops the server as a deployment does (SIGTERM: uvicorn closes sockets with 1012).
    pub async fn stop(&self) {
        self.server.stop().await;
    }

    /// Starts the server again on the same port after [`stop`](Self::stop).
    pub async fn resume(&self) {
        self.server.resume().await;
    }

    /// A restart on the same port: room memberships are gone, like the real server's.
    pub async fn restart(&self) {
        self.stop().await;
        self.resume().await;
    }

    /// Fault: the server process stops dead (SIGSTOP): its sockets stay open, nothing is sent
    /// or answered, as a half-open connection looks to a client. [`thaw`](Self::thaw) ends it.
    pub fn freeze(&self) {
        self.server.signal("-STOP");
    }

    /// Ends [`freeze`](Self::freeze).
    pub fn thaw(&self) {
        self.server.signal("-CONT");
    }
}

/// The Python interpreter with the pinned packages.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("NIOCHAT_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = workspace().join("target/niochat-venv/bin/python");
    assert!(
        venv.exists(),
        "no Python environment for the real servers at {}: run `cargo xtask test` (it installs one) or set NIOCHAT_PYTHON",
        venv.display()
    );
    venv
}

/// The claims PyTake's login issues for `user`.
fn claims(user: &str, exp: u64) -> Value {
    json!({
        "sub": user, "exp": exp, "type": "access",
        "organization_id": "00000000-0000-0000-0000-00000000000a", "role": "agent",
    })
}
