//! Real servers run as child processes (python-socketio, Django Channels, Node socket.io):
//! starting one on 127.0.0.1, reading the port it printed, driving its HTTP test routes,
//! stopping it as a deployment does, restarting it on the same port, freezing it.
//!
//! Every server script prints `LISTENING <port>` once bound, and exits when its standard input
//! (a pipe held here) closes, so no server outlives a crashed test.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

/// How long a server may take to start (a cold Python or Node import on a busy machine).
const STARTUP: Duration = Duration::from_secs(30);

/// How to start one server: the program and its arguments (without `--port`).
#[derive(Clone, Debug)]
pub(crate) struct Recipe {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<String>,
}

/// A running child server. Stops when dropped.
pub(crate) struct ChildServer {
    child: Mutex<Option<Child>>,
    recipe: Recipe,
    pub(crate) port: u16,
}

impl ChildServer {
    pub(crate) async fn start(recipe: Recipe) -> Self {
        let (child, port) = spawn(&recipe, 0).await;
        Self {
            child: Mutex::new(Some(child)),
            recipe,
            port,
        }
    }

    /// `ws://127.0.0.1:<port>`: each client adds its backend's path.
    pub(crate) fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Stops the server as a deployment does (SIGTERM).
    pub(crate) async fn stop(&self) {
        if let Some(mut child) = self.child.lock().await.take() {
            self.signal_child(&child, "-TERM");
            if tokio::time::timeout(Duration::from_secs(10), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
    }

    /// Starts the server again on the same port after [`stop`](Self::stop).
    pub(crate) async fn resume(&self) {
        let (child, _) = spawn(&self.recipe, self.port).await;
        *self.child.lock().await = Some(child);
    }

    /// Sends `signal` (`-STOP`, `-CONT`...) to the server process.
    pub(crate) fn signal(&self, signal: &str) {
        if let Ok(child) = self.child.try_lock()
            && let Some(child) = child.as_ref()
        {
            self.signal_child(child, signal);
        }
    }

    fn signal_child(&self, child: &Child, signal: &str) {
        if let Some(pid) = child.id() {
            let _ = std::process::Command::new("kill")
                .args([signal, &pid.to_string()])
                .status();
        }
    }

    /// An HTTP request to the server's test routes; panics unless it answers 2xx.
    pub(crate) async fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Value {
        let body = match body {
            Value::Null => String::new(),
            body => body.to_string(),
        };
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.port,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("the server accepts HTTP");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("the request is written");
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .expect("the response is read");
        let response = String::from_utf8_lossy(&response);
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        assert!(
            head.starts_with("HTTP/1.1 2") || head.starts_with("HTTP/1.0 2"),
            "{method} {path} failed: {head}"
        );
        let body = dechunk(head, body);
        serde_json::from_str(&body).unwrap_or(Value::Null)
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.try_lock()
            && let Some(child) = child.as_mut()
        {
            let _ = child.start_kill();
        }
    }
}

/// A chunked HTTP body, joined (Node answers chunked).
fn dechunk(head: &str, body: &str) -> String {
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return body.to_owned();
    }
    let mut joined = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        joined.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    joined
}

/// The workspace root.
pub(crate) fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the test kit lives in the workspace")
        .to_owned()
}

async fn spawn(recipe: &Recipe, port: u16) -> (Child, u16) {
    let mut child = Command::new(&recipe.program)
        .args(&recipe.args)
        .args(["--port", &port.to_string()])
        // A pipe: the server exits when it closes, so no server outlives a crashed test.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|error| panic!("{} does not start: {error}", recipe.program.display()));
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
        _ => panic!(
            "{} {:?} did not start within {STARTUP:?}",
            recipe.program.display(),
            recipe.args
        ),
    }
}
