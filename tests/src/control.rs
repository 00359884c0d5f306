//! Test servers for tests that run outside this process (a browser, a JVM, Python), driven
//! over a control WebSocket.
//!
//! A browser test cannot start a server or call its fault injection: `cargo xtask` starts
//! [`ControlledServers`] (the `niochat-test-servers` binary), passes the control URL to the
//! suite, and the suite sends JSON commands such as `{"cmd":"drop_all"}` and reads one JSON
//! answer each. A WebSocket, not HTTP: browsers let a page open WebSockets to any origin,
//! with no CORS to configure.
//!
//! Suites run their tests concurrently, so faults aim at one user, or at a server of their
//! own. Commands (`backend` is `renum`, the protocol-001 reference server; `renum-faults`, a
//! second one for server-wide faults; or `pytake`, the real python-socketio server; answers
//! are `{"ok":true,...}` or `{"ok":false,"error":...}`):
//! - `{"cmd":"endpoint","backend","user","expired"?}` → `{url, token}`
//! - `{"cmd":"drop","backend","user"?}`: the user's connections (or, on `pytake`, every
//!   connection) dropped without a close frame
//! - `{"cmd":"freeze"}` / `{"cmd":"thaw"}`: `renum-faults` stops answering, TCP kept
//!   (half-open)
//! - `{"cmd":"refuse","count","status"}`: the next `renum-faults` handshakes are refused
//! - `{"cmd":"messages","conversation"}` → `{contents: [..]}` stored by the 001 server
//! - `{"cmd":"post","backend","conversation","user","content"}`: another user posts
//! - `{"cmd":"connections","user"?}` / `{"cmd":"handshakes"}` → `{count}` on the 001 server

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use crate::{PyTakeServer, TestServer};

/// The servers and their control endpoint.
pub struct ControlledServers {
    renum: TestServer,
    renum_faults: TestServer,
    pytake: PyTakeServer,
}

impl ControlledServers {
    /// Starts the 001 reference server and the PyTake server (short Engine.IO pings, so a
    /// browser test sees keep-alive at work within seconds).
    pub async fn start() -> Self {
        Self {
            renum: TestServer::start().await,
            renum_faults: TestServer::start().await,
            pytake: PyTakeServer::start_with_ping(1_000, 1_000).await,
        }
    }

    /// Listens for control connections on 127.0.0.1 and returns the control URL; serves
    /// them until the process ends.
    pub async fn serve(self) -> std::io::Result<String> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("ws://{}", listener.local_addr()?);
        let servers = std::sync::Arc::new(self);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let servers = servers.clone();
                tokio::spawn(async move {
                    let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
                        return;
                    };
                    while let Some(Ok(message)) = socket.next().await {
                        let Message::Text(text) = message else {
                            continue;
                        };
                        let answer = match serde_json::from_str::<Value>(&text) {
                            Ok(command) => servers.run(&command).await,
                            Err(error) => Err(format!("not JSON: {error}")),
                        };
                        let answer = match answer {
                            Ok(mut fields) => {
                                fields["ok"] = json!(true);
                                fields
                            }
                            Err(error) => json!({"ok": false, "error": error}),
                        };
                        if socket
                            .send(Message::text(answer.to_string()))
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                });
            }
        });
        Ok(url)
    }

    async fn run(&self, command: &Value) -> Result<Value, String> {
        let text = |name: &str| command[name].as_str().unwrap_or_default().to_owned();
        let backend = text("backend");
        let renum = match backend.as_str() {
            "renum-faults" => &self.renum_faults,
            _ => &self.renum,
        };
        match (text("cmd").as_str(), backend.as_str()) {
            ("endpoint", "renum" | "renum-faults") => {
                let user = text("user");
                let token = match command["expired"].as_bool() {
                    Some(true) => renum.expired_token(&user),
                    _ => renum.token_for(&user),
                };
                Ok(json!({"url": format!("{}/ws", renum.url()), "token": token}))
            }
            ("endpoint", "pytake") => {
                let user = text("user");
                let token = match command["expired"].as_bool() {
                    Some(true) => self.pytake.expired_token(&user),
                    _ => self.pytake.token_for(&user),
                };
                Ok(json!({"url": self.pytake.url(), "token": token}))
            }
            ("drop", "pytake") => {
                self.pytake.disconnect_all().await;
                Ok(json!({}))
            }
            ("drop", _) => {
                match command["user"].as_str() {
                    Some(user) => renum.drop_connections_of(user),
                    None => renum.drop_all_connections(),
                }
                Ok(json!({}))
            }
            ("freeze", _) => {
                self.renum_faults.freeze();
                Ok(json!({}))
            }
            ("thaw", _) => {
                self.renum_faults.thaw();
                Ok(json!({}))
            }
            ("refuse", _) => {
                let count = command["count"].as_u64().unwrap_or(1) as usize;
                let status = command["status"].as_u64().unwrap_or(403) as u16;
                self.renum_faults.refuse_next_handshakes(count, status);
                Ok(json!({}))
            }
            ("messages", _) => {
                let contents: Vec<String> = renum
                    .messages(&text("conversation"))
                    .iter()
                    .map(|message| message.content.text().unwrap_or_default().to_owned())
                    .collect();
                Ok(json!({"contents": contents}))
            }
            ("post", "pytake") => {
                let stored = self
                    .pytake
                    .post_message(&text("conversation"), &text("user"), &text("content"))
                    .await;
                Ok(json!({"message": stored}))
            }
            ("post", _) => {
                renum.post_message(&text("conversation"), &text("user"), &text("content"));
                Ok(json!({}))
            }
            ("connections", _) => match command["user"].as_str() {
                Some(user) => Ok(json!({"count": renum.connections_of(user)})),
                None => Ok(json!({"count": renum.connections()})),
            },
            ("handshakes", _) => Ok(json!({"count": renum.handshakes()})),
            (other, _) => Err(format!("unknown command {other:?}")),
        }
    }
}
