//! A replica of PyTake Go's WebSocket handler (gin + gorilla/websocket), in Rust since no Go
//! toolchain exists on these machines. It does what `servers/pytake_go/SPEC.md` establishes
//! from the real code:
//!
//! - `GET /api/v1/conversations/ws` upgrades anyone (no auth; other paths are 404); nothing is
//!   sent on connect;
//! - every client frame is parsed as the start of a JSON value: an object or `null` is ignored
//!   (the `{type:"auth", token, user_id}` frame included), anything else ends the handler and
//!   drops TCP without a close frame;
//! - it never pings; it answers WebSocket pings (tungstenite does, as gorilla does);
//! - it broadcasts `{"data":{...},"type":"..."}` envelopes (sorted keys, a trailing newline)
//!   to every connection: `new_message`, `status_update`, `stats_update`,
//!   `conversations_cleared`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use crate::freeze::wait_while_frozen;
use crate::ids::uuid;

const PATH: &str = "/api/v1/conversations/ws";

#[derive(Default)]
struct State {
    clients: Mutex<HashMap<u64, mpsc::UnboundedSender<String>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    next: AtomicU64,
    handshakes: AtomicU64,
    auth_frames: AtomicU64,
    dropped: AtomicU64,
}

impl State {
    fn clients(&self) -> MutexGuard<'_, HashMap<u64, mpsc::UnboundedSender<String>>> {
        self.clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A PyTake Go replica on 127.0.0.1. Stops when dropped.
pub struct PyTakeGoServer {
    state: Arc<State>,
    address: SocketAddr,
    listener: JoinHandle<()>,
    frozen: watch::Sender<bool>,
}

impl PyTakeGoServer {
    /// Starts the replica on a free port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the replica binds");
        let address = listener.local_addr().expect("a bound address");
        let state = Arc::new(State::default());
        let frozen = watch::channel(false).0;
        let listener = tokio::spawn(accept(listener, state.clone(), frozen.clone()));
        Self {
            state,
            address,
            listener,
            frozen,
        }
    }

    /// `ws://127.0.0.1:<port>`: the client adds `/api/v1/conversations/ws`.
    pub fn url(&self) -> String {
        format!("ws://{}", self.address)
    }

    /// A customer's message from the WhatsApp webhook: `new_message`, then `stats_update`.
    /// Returns the message's id.
    pub fn customer_message(&self, conversation: &str, content: &str) -> String {
        let id = uuid();
        self.broadcast(
            "new_message",
            json!({"content": content, "conversation_id": conversation, "created_at": now(),
                   "id": id, "is_from_me": false, "sender": {"agent": false, "customer": true},
                   "status": "received", "type": "text", "wamid": format!("wamid.{}", uuid())}),
        );
        self.broadcast(
            "stats_update",
            json!({"active_conversations": 1, "messages_today": 1, "unread_count": 1}),
        );
        id
    }

    /// An agent's message sent through the REST API: `new_message` (no `wamid`). Returns its id.
    pub fn agent_message(&self, conversation: &str, content: &str) -> String {
        let id = uuid();
        self.broadcast(
            "new_message",
            json!({"content": content, "conversation_id": conversation, "created_at": now(),
                   "id": id, "is_from_me": true, "sender": {"agent": true, "customer": false},
                   "status": "sent", "type": "text"}),
        );
        id
    }

    /// `type` with `data` to every connection, as the real `broadcastMessage` writes it.
    pub fn broadcast(&self, kind: &str, data: Value) {
        // serde_json's maps are sorted, as Go's encoding of a map is; Go ends with a newline.
        let text = format!("{}\n", json!({"data": data, "type": kind}));
        for client in self.state.clients().values() {
            let _ = client.send(text.clone());
        }
    }

    /// Exactly `text` to every connection (for the decoder's sake).
    pub fn send_raw(&self, text: &str) {
        for client in self.state.clients().values() {
            let _ = client.send(text.to_owned());
        }
    }

    /// How many handshakes were accepted.
    pub fn handshakes(&self) -> u64 {
        self.state.handshakes.load(Ordering::SeqCst)
    }

    /// How many auth frames arrived (and were ignored, as the real handler does).
    pub fn auth_frames(&self) -> u64 {
        self.state.auth_frames.load(Ordering::SeqCst)
    }

    /// How many connections the handler dropped for a frame it could not parse.
    pub fn dropped(&self) -> u64 {
        self.state.dropped.load(Ordering::SeqCst)
    }

    /// Open connections.
    pub fn connections(&self) -> usize {
        self.state.clients().len()
    }

    /// Fault: every connection's TCP is cut, without a close frame.
    pub fn drop_all_connections(&self) {
        self.state.clients().clear();
        let tasks: Vec<_> = self
            .state
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .collect();
        for task in tasks {
            task.abort();
        }
    }

    /// Fault: stops reading and writing (pings go unanswered), keeping TCP open.
    pub fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    /// Ends [`freeze`](Self::freeze).
    pub fn thaw(&self) {
        self.frozen.send_replace(false);
    }
}

impl Drop for PyTakeGoServer {
    fn drop(&mut self) {
        self.listener.abort();
        self.drop_all_connections();
    }
}

async fn accept(listener: TcpListener, state: Arc<State>, frozen: watch::Sender<bool>) {
    while let Ok((stream, _)) = listener.accept().await {
        let task = tokio::spawn(serve(stream, state.clone(), frozen.subscribe()));
        state
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(task);
    }
}

async fn serve(stream: TcpStream, state: Arc<State>, mut frozen: watch::Receiver<bool>) {
    // The signature is tungstenite's handshake callback's; its error type is not ours to box.
    #[allow(clippy::result_large_err)]
    let route = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        match request.uri().path() == PATH {
            true => Ok(response),
            false => {
                let mut refusal = ErrorResponse::new(Some("404 page not found".into()));
                *refusal.status_mut() = StatusCode::NOT_FOUND;
                Err(refusal)
            }
        }
    };
    let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, route).await else {
        return;
    };
    state.handshakes.fetch_add(1, Ordering::SeqCst);
    let id = state.next.fetch_add(1, Ordering::SeqCst);
    let (sender, mut outgoing) = mpsc::unbounded_channel();
    state.clients().insert(id, sender);
    let (mut sink, mut reader) = socket.split();
    loop {
        if !wait_while_frozen(&mut frozen).await {
            break;
        }
        tokio::select! {
            _ = frozen.changed() => continue,
            Some(text) = outgoing.recv() => {
                if sink.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
            read = reader.next() => match read {
                Some(Ok(Message::Text(text))) => {
                    if !accepts(text.as_bytes(), &state) {
                        // The Go handler returns: TCP goes, no close frame.
                        state.dropped.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                }
                Some(Ok(Message::Binary(bytes))) => {
                    if !accepts(&bytes, &state) {
                        state.dropped.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    let _ = sink.send(Message::Close(frame)).await;
                    break;
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => break,
            },
        }
    }
    state.clients().remove(&id);
}

/// What the Go handler's `ReadJSON` into a map accepts: an object or `null` at the start of the
/// payload, whatever follows it.
fn accepts(payload: &[u8], state: &State) -> bool {
    let text = String::from_utf8_lossy(payload);
    let mut decoder = serde_json::Deserializer::from_str(&text);
    match Value::deserialize(&mut decoder) {
        Ok(Value::Object(object)) => {
            if object.get("type").and_then(Value::as_str) == Some("auth") {
                state.auth_frames.fetch_add(1, Ordering::SeqCst);
            }
            true
        }
        Ok(Value::Null) => true,
        _ => false,
    }
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
