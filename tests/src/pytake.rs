//! A real python-socketio server that behaves as PyTake's does, run as a child process.
//!
//! `servers/pytake_server.py` is a python-socketio 5 `AsyncServer` on uvicorn with PyTake's
//! handlers (see its docstring and `servers/WIRE.md`). This module starts it on 127.0.0.1,
//! signs its tokens, drives its HTTP routes (PyTake's REST send path and test controls), and
//! restarts it on the same port. The interpreter is the virtual environment `cargo xtask test`
//! installs (`target/niochat-venv`), or `NIOCHAT_PYTHON`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

/// How long the server may take to start (a cold Python import on a busy machine).
const STARTUP: Duration = Duration::from_secs(30);

/// A running PyTake replica. Stops when dropped.
pub struct PyTakeServer {
    child: Mutex<Option<Child>>,
    port: u16,
    secret: String,
    ping: (u64, u64),
}

impl PyTakeServer {
    /// Starts the server with PyTake's keep-alive timing (25 s interval, 20 s timeout).
    pub async fn start() -> Self {
        Self::start_with_ping(25_000, 20_000).await
    }

    /// Starts the server with its Engine.IO pings every `interval_ms`, waiting `timeout_ms`.
    pub async fn start_with_ping(interval_ms: u64, timeout_ms: u64) -> Self {
        let secret = format!("pytake-test-secret-{}", fastrand::u64(..));
        let (child, port) = spawn(&secret, 0, (interval_ms, timeout_ms)).await;
        Self {
            child: Mutex::new(Some(child)),
            port,
            secret,
            ping: (interval_ms, timeout_ms),
        }
    }

    /// `ws://127.0.0.1:<port>`: the client adds `/socket.io/?EIO=4&transport=websocket`.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// A valid token for `user`, with the claims PyTake's login issues.
    pub fn token_for(&self, user: &str) -> String {
        self.sign(user, now() + 3600)
    }

    /// An expired token for `user`: refused with `44` at the namespace CONNECT.
    pub fn expired_token(&self, user: &str) -> String {
        self.sign(user, now().saturating_sub(3600))
    }

    fn sign(&self, user: &str, exp: u64) -> String {
        let claims = json!({
            "sub": user, "exp": exp, "type": "access",
            "organization_id": "00000000-0000-0000-0000-00000000000a", "role": "agent",
        });
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(self.secret.as_bytes()),
        )
        .expect("HS256 signing cannot fail")
    }

    /// PyTake's REST send path: `user` posts `text` to `conversation`; every client in the
    /// room gets `message:new`. Returns the stored message.
    pub async fn post_message(&self, conversation: &str, user: &str, text: &str) -> Value {
        let body = json!({"message_type": "text", "content": {"text": text, "preview_url": false}});
        let path = format!("/api/v1/conversations/{conversation}/messages");
        let auth = format!("Bearer {}", self.token_for(user));
        self.http("POST", &path, Some(&auth), &body).await
    }

    /// PyTake's status webhook: `message:status` to the conversation's room.
    pub async fn message_status(&self, conversation: &str, message: &str, status: &str) {
        let body = json!({"status": status, "conversation_id": conversation});
        self.http(
            "POST",
            &format!("/api/v1/messages/{message}/status"),
            None,
            &body,
        )
        .await;
    }

    /// `user:status` to everyone.
    pub async fn user_status(&self, user: &str, status: &str) {
        let body = json!({"user_id": user, "status": status});
        self.http("POST", "/test/user-status", None, &body).await;
    }

    /// Any event, to everyone or to `room`.
    pub async fn emit(&self, event: &str, data: Value, room: Option<&str>) {
        let body = json!({"event": event, "data": data, "room": room});
        self.http("POST", "/test/emit", None, &body).await;
    }

    /// `{"connect_attempts", "connected", "rooms": {room: [users]}}`.
    pub async fn stats(&self) -> Value {
        self.http("GET", "/test/stats", None, &Value::Null).await
    }

    /// Disconnects every client server-side (`41`).
    pub async fn disconnect_all(&self) {
        self.http("POST", "/test/disconnect-all", None, &Value::Null)
            .await;
    }

    /// Stops the server as a deployment does (SIGTERM: uvicorn closes sockets with 1012).
    pub async fn stop(&self) {
        if let Some(mut child) = self.child.lock().await.take() {
            terminate(&mut child).await;
        }
    }

    /// Fault: the server process stops dead (SIGSTOP): its sockets stay open, nothing is sent
    /// or answered, as a half-open connection looks to a client. [`thaw`](Self::thaw) ends it.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Ends [`freeze`](Self::freeze).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self
            .child
            .try_lock()
            .ok()
            .and_then(|child| child.as_ref().and_then(Child::id));
        if let Some(pid) = pid {
            let _ = std::process::Command::new("kill")
                .args([signal, &pid.to_string()])
                .status();
        }
    }

    /// Starts the server again on the same port after [`stop`](Self::stop).
    pub async fn resume(&self) {
        let (child, _) = spawn(&self.secret, self.port, self.ping).await;
        *self.child.lock().await = Some(child);
    }

    /// A restart on the same port: room memberships are gone, like the real server's.
    pub async fn restart(&self) {
        self.stop().await;
        self.resume().await;
    }

    async fn http(&self, method: &str, path: &str, auth: Option<&str>, body: &Value) -> Value {
        let body = match body {
            Value::Null => String::new(),
            body => body.to_string(),
        };
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.port,
            body.len()
        );
        if let Some(auth) = auth {
            request.push_str(&format!("Authorization: {auth}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("the PyTake server accepts HTTP");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("the request is written");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .await
            .expect("the response is read");
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        assert!(
            head.starts_with("HTTP/1.1 2"),
            "{method} {path} failed: {head}"
        );
        serde_json::from_str(body).unwrap_or(Value::Null)
    }
}

impl Drop for PyTakeServer {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.try_lock()
            && let Some(child) = child.as_mut()
        {
            let _ = child.start_kill();
        }
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
        "no Python environment for the real Socket.IO server at {}: run `cargo xtask test` (it installs one) or set NIOCHAT_PYTHON",
        venv.display()
    );
    venv
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the test kit lives in the workspace")
        .to_owned()
}

async fn spawn(secret: &str, port: u16, (interval, timeout): (u64, u64)) -> (Child, u16) {
    let script = workspace().join("tests/servers/pytake_server.py");
    let mut child = Command::new(python())
        .arg(script)
        .args(["--secret", secret, "--port", &port.to_string()])
        .args(["--ping-interval-ms", &interval.to_string()])
        .args(["--ping-timeout-ms", &timeout.to_string()])
        // A pipe: the server exits when it closes, so no server outlives a crashed test.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the Python interpreter starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let listening = tokio::time::timeout(STARTUP, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(port) = line.strip_prefix("LISTENING ") {
                return port.trim().parse::<u16>().ok();
            }
        }
        None
    })
    .await;
    match listening {
        Ok(Some(port)) => (child, port),
        _ => panic!("the PyTake server did not start within {STARTUP:?}"),
    }
}

async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    if tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|at| at.as_secs())
        .unwrap_or(0)
}
