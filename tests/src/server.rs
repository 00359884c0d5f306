//! The listener, the shared state, and the fault switches.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use niochat_client::model::{ChatMessage, ErrorCode, Id};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// What a connection task is told to send.
#[derive(Debug)]
pub(crate) enum Outgoing {
    Text(String),
    /// A WebSocket ping frame, as uvicorn sends every 20 s.
    Ping,
}

/// One live connection, as the server sees it.
pub(crate) struct Peer {
    /// The authenticated user; `None` during the handshake.
    pub(crate) user: Option<String>,
    pub(crate) rooms: HashSet<Id>,
    pub(crate) sender: mpsc::UnboundedSender<Outgoing>,
    pub(crate) task: Option<JoinHandle<()>>,
}

/// A message as the server stored it.
pub type StoredMessage = ChatMessage;

#[derive(Default)]
pub(crate) struct Faults {
    /// HTTP statuses for the next handshakes, refused in order.
    pub(crate) refusals: VecDeque<u16>,
    /// Error codes for the next chat messages, answered instead of storing them.
    pub(crate) rejections: VecDeque<ErrorCode>,
    /// How many of the next chat messages are stored, then their connection cut before the
    /// acknowledgement is sent.
    pub(crate) cut_before_ack: usize,
    /// The real server's registry of one socket per user: when one of a user's connections
    /// ends, every other connection of that user loses its rooms, silently.
    pub(crate) one_socket_per_user: bool,
    /// How many connections lost their rooms that way.
    pub(crate) silent_room_drops: u64,
}

pub(crate) struct State {
    pub(crate) secret: Vec<u8>,
    pub(crate) peers: Mutex<HashMap<u64, Peer>>,
    /// Messages per conversation, oldest first. Survives restarts, like a database.
    pub(crate) store: Mutex<HashMap<Id, Vec<StoredMessage>>>,
    pub(crate) faults: Mutex<Faults>,
    /// True while the server is silent: connections neither read nor write, TCP stays open.
    pub(crate) frozen: watch::Sender<bool>,
    pub(crate) next_peer: AtomicU64,
    pub(crate) handshakes: AtomicU64,
    pub(crate) pongs: AtomicU64,
}

impl State {
    pub(crate) fn peers(&self) -> MutexGuard<'_, HashMap<u64, Peer>> {
        self.peers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, HashMap<Id, Vec<StoredMessage>>> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends `text` to every peer in `room` but `except`.
    pub(crate) fn broadcast(&self, room: &Id, except: Option<u64>, text: &str) {
        for (id, peer) in self.peers().iter() {
            if Some(*id) != except && peer.user.is_some() && peer.rooms.contains(room) {
                let _ = peer.sender.send(Outgoing::Text(text.to_owned()));
            }
        }
    }
}

/// A protocol-001 server on 127.0.0.1. Stops when dropped.
pub struct TestServer {
    state: Arc<State>,
    address: SocketAddr,
    listener: Mutex<Option<JoinHandle<()>>>,
    tls: Option<Arc<crate::tls::Identity>>,
}

impl TestServer {
    /// Starts a server on a free port.
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().expect("an address")).await
    }

    /// Starts a `wss://` server on a free port, with a self-signed certificate for `localhost`
    /// and 127.0.0.1: clients must trust [`certificate_der`](Self::certificate_der).
    pub async fn start_tls() -> Self {
        let address = "127.0.0.1:0".parse().expect("an address");
        Self::bind(address, Some(Arc::new(crate::tls::self_signed()))).await
    }

    /// Starts a server on `address` (port 0: a free one).
    pub async fn start_on(address: SocketAddr) -> Self {
        Self::bind(address, None).await
    }

    async fn bind(address: SocketAddr, tls: Option<Arc<crate::tls::Identity>>) -> Self {
        let state = Arc::new(State {
            secret: format!("niochat-test-secret-{}", fastrand::u64(..)).into_bytes(),
            peers: Mutex::default(),
            store: Mutex::default(),
            faults: Mutex::default(),
            frozen: watch::channel(false).0,
            next_peer: AtomicU64::new(1),
            handshakes: AtomicU64::new(0),
            pongs: AtomicU64::new(0),
        });
        let listener = TcpListener::bind(address)
            .await
            .expect("the test server binds");
        let address = listener.local_addr().expect("a bound address");
        let task = tokio::spawn(accept_loop(listener, state.clone(), tls.clone()));
        Self {
            state,
            address,
            listener: Mutex::new(Some(task)),
            tls,
        }
    }

    /// `ws://127.0.0.1:<port>/ws` (`wss://localhost:<port>/ws` with TLS), without a token.
    pub fn url(&self) -> String {
        match self.tls {
            Some(_) => format!("wss://localhost:{}/ws", self.address.port()),
            None => format!("ws://{}/ws", self.address),
        }
    }

    /// The self-signed certificate (DER) of a [`start_tls`](Self::start_tls) server.
    pub fn certificate_der(&self) -> Option<Vec<u8>> {
        self.tls
            .as_ref()
            .map(|identity| identity.certificate.clone())
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A valid token for `user`.
    pub fn token_for(&self, user: &str) -> String {
        crate::jwt::token_for(&self.state.secret, user)
    }

    /// An expired token for `user`: refused with 403 at the handshake.
    pub fn expired_token(&self, user: &str) -> String {
        crate::jwt::expired_token(&self.state.secret, user)
    }

    /// How many handshakes were attempted, refused ones included.
    pub fn handshakes(&self) -> u64 {
        self.state.handshakes.load(Ordering::SeqCst)
    }

    /// How many authenticated connections are open.
    pub fn connections(&self) -> usize {
        self.state
            .peers()
            .values()
            .filter(|peer| peer.user.is_some())
            .count()
    }

    /// The messages stored in `conversation`, oldest first.
    pub fn messages(&self, conversation: &str) -> Vec<StoredMessage> {
        self.state
            .store()
            .get(&Id::from(conversation))
            .cloned()
            .unwrap_or_default()
    }

    /// Stores a message from `user` and broadcasts it to the room, as if another client sent it.
    pub fn post_message(&self, conversation: &str, user: &str, content: &str) -> StoredMessage {
        crate::session::store_and_broadcast(
            &self.state,
            None,
            user,
            Id::from(conversation),
            content.to_owned(),
        )
    }

    /// Fault: drops every connection now, without a close frame (a network cut).
    pub fn drop_all_connections(&self) {
        let tasks: Vec<JoinHandle<()>> = self
            .state
            .peers()
            .drain()
            .filter_map(|(_, mut peer)| peer.task.take())
            .collect();
        for task in tasks {
            task.abort();
        }
    }

    /// Fault: behaves like the real server's registry of one socket per user (see
    /// PROTOCOLS.md): when a connection of a user ends, the user's other connections lose
    /// their rooms without being told, and stop receiving until they join again.
    pub fn one_socket_per_user(&self, on: bool) {
        self.state.faults().one_socket_per_user = on;
    }

    /// How many connections lost their rooms to [`one_socket_per_user`](Self::one_socket_per_user).
    pub fn silent_room_drops(&self) -> u64 {
        self.state.faults().silent_room_drops
    }

    /// Whether a connection of `user` is in `conversation`'s room.
    pub fn in_room(&self, user: &str, conversation: &str) -> bool {
        let room = Id::from(conversation);
        self.state
            .peers()
            .values()
            .any(|peer| peer.user.as_deref() == Some(user) && peer.rooms.contains(&room))
    }

    /// How many connections `user` has open (authenticated).
    pub fn connections_of(&self, user: &str) -> usize {
        self.state
            .peers()
            .values()
            .filter(|peer| peer.user.as_deref() == Some(user))
            .count()
    }

    /// Fault: drops the connections of `user` now, without a close frame; the others stay.
    pub fn drop_connections_of(&self, user: &str) {
        let tasks: Vec<JoinHandle<()>> = self
            .state
            .peers()
            .values_mut()
            .filter(|peer| peer.user.as_deref() == Some(user))
            .filter_map(|peer| peer.task.take())
            .collect();
        for task in tasks {
            task.abort();
        }
    }

    /// Fault: stops answering (no reads, no writes) while keeping every TCP connection open, as
    /// a half-open connection looks to a client. [`thaw`](Self::thaw) ends it.
    pub fn freeze(&self) {
        self.state.frozen.send_replace(true);
    }

    /// Ends [`freeze`](Self::freeze).
    pub fn thaw(&self) {
        self.state.frozen.send_replace(false);
    }

    /// Fault: refuses the next `count` handshakes with HTTP `status` (503, 403, ...).
    pub fn refuse_next_handshakes(&self, count: usize, status: u16) {
        self.state
            .faults()
            .refusals
            .extend(std::iter::repeat_n(status, count));
    }

    /// Fault: answers the next `count` chat messages with an `error` of `code` instead of
    /// storing them, as the real server answers an empty message with `VALIDATION_ERROR`.
    pub fn reject_next_messages(&self, count: usize, code: ErrorCode) {
        self.state
            .faults()
            .rejections
            .extend(std::iter::repeat_n(code, count));
    }

    /// Fault: stores the next `count` chat messages, then cuts their connection before the
    /// acknowledgement goes out (the client cannot know they were stored).
    pub fn cut_before_next_acks(&self, count: usize) {
        self.state.faults().cut_before_ack += count;
    }

    /// Fault: sends `text` (by default not JSON) to every connection.
    pub fn send_raw_to_all(&self, text: &str) {
        for peer in self
            .state
            .peers()
            .values()
            .filter(|peer| peer.user.is_some())
        {
            let _ = peer.sender.send(Outgoing::Text(text.to_owned()));
        }
    }

    /// Sends a WebSocket ping frame to every connection, as the real server's uvicorn does
    /// (and closes connections that do not answer).
    pub fn ping_all(&self) {
        for peer in self
            .state
            .peers()
            .values()
            .filter(|peer| peer.user.is_some())
        {
            let _ = peer.sender.send(Outgoing::Ping);
        }
    }

    /// How many WebSocket pong frames clients sent back.
    pub fn pongs(&self) -> u64 {
        self.state.pongs.load(Ordering::SeqCst)
    }

    /// Fault: sends a frame that is not JSON to every connection.
    pub fn send_malformed_to_all(&self) {
        self.send_raw_to_all("{this is not json");
    }

    /// Stops listening and drops every connection. Stored messages are kept.
    pub async fn stop(&self) {
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(listener) = listener {
            listener.abort();
            let _ = listener.await;
        }
        self.drop_all_connections();
    }

    /// Listens again on the same port after [`stop`](Self::stop).
    pub async fn resume(&self) {
        let listener = TcpListener::bind(self.address)
            .await
            .expect("the port is free again");
        let task = tokio::spawn(accept_loop(listener, self.state.clone(), self.tls.clone()));
        *self
            .listener
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(task);
    }

    /// Fault: a restart on the same port; stored messages survive, room membership does not.
    pub async fn restart(&self) {
        self.stop().await;
        self.resume().await;
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(listener) = self
            .listener
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
        {
            listener.abort();
        }
        self.drop_all_connections();
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    tls: Option<Arc<crate::tls::Identity>>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let id = state.next_peer.fetch_add(1, Ordering::SeqCst);
        let (sender, outgoing) = mpsc::unbounded_channel();
        state.peers().insert(
            id,
            Peer {
                user: None,
                rooms: HashSet::new(),
                sender,
                task: None,
            },
        );
        let state_for_session = state.clone();
        let tls = tls.clone();
        let task = tokio::spawn(async move {
            match tls {
                None => crate::session::serve(stream, id, state_for_session, outgoing).await,
                Some(identity) => match identity.acceptor.accept(stream).await {
                    Ok(stream) => {
                        crate::session::serve(stream, id, state_for_session, outgoing).await
                    }
                    Err(_) => {
                        state_for_session.peers().remove(&id);
                    }
                },
            }
        });
        // Keep the handle so that faults can cut the connection; the session may be over already.
        match state.peers().get_mut(&id) {
            Some(peer) => peer.task = Some(task),
            None => task.abort(),
        }
    }
}
