//! The native client: the engine driven by tokio and tokio-tungstenite.
//!
//! [`Client`] is a cheap, cloneable handle (`Send + Sync`) to a driver task that owns the
//! engine and the socket. Commands go to the task over a channel; events come back on
//! [`EventStream`]s and the status on a [`tokio::sync::watch`] channel. Dropping the last
//! handle closes the connection and ends the task.

mod driver;
mod transport;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

use crate::AuthToken;
use crate::engine::{
    ClientMessageId, EngineConfig, Event, MessageAck, Metrics, ReconnectPolicy, SendError, Status,
};
use crate::protocol::{Id, JsonCodec, PresenceStatus, WireCodec};
use driver::Command;

/// A boxed future, as token providers return them.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Why the token provider could not supply a token. Say why without quoting the token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TokenError(pub String);

/// Supplies a token for each connection attempt: a fresh one when `refresh` is true, which
/// means the server refused the previous one.
///
/// Any `Fn(bool) -> impl Future<Output = Result<AuthToken, TokenError>>` is a provider:
///
/// ```
/// # use niochat_client::{AuthToken, ClientBuilder, TokenError};
/// let builder = ClientBuilder::new("wss://chat.example.com/ws").token_provider(|refresh: bool| async move {
///     // Ask your identity service; `refresh` says the last token was refused.
///     Ok::<_, TokenError>(AuthToken::new(if refresh { "new" } else { "cached" }))
/// });
/// ```
pub trait TokenProvider: Send + Sync + 'static {
    /// A token for the next attempt.
    fn token(&self, refresh: bool) -> BoxFuture<Result<AuthToken, TokenError>>;
}

impl<F, Fut> TokenProvider for F
where
    F: Fn(bool) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AuthToken, TokenError>> + Send + 'static,
{
    fn token(&self, refresh: bool) -> BoxFuture<Result<AuthToken, TokenError>> {
        Box::pin(self(refresh))
    }
}

/// Why a [`Client`] could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The endpoint is not a `ws://` or `wss://` URL.
    #[error("the endpoint must start with ws:// or wss://")]
    InvalidEndpoint,
    /// A root certificate given to [`ClientBuilder::add_root_certificate`] is not usable.
    #[error("invalid root certificate: {0}")]
    InvalidCertificate(String),
    /// `build()` was called outside a tokio runtime.
    #[error("Client::build must be called inside a tokio runtime")]
    NoRuntime,
}

/// Configures and builds a [`Client`].
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use niochat_client::ClientBuilder;
/// use niochat_client::engine::Event;
///
/// let client = ClientBuilder::new("ws://127.0.0.1:8000/ws").token("my-jwt").build()?;
/// let mut events = client.events();
/// client.connect();
/// client.join("conversation-1").await?;
/// let ack = client.send_message("conversation-1", "Hello!").await?;
/// println!("stored as {}", ack.message_id);
/// while let Some(event) = events.next().await {
///     if let Event::Message { message, .. } = event {
///         println!("{}", message.content.text().unwrap_or_default());
///     }
/// }
/// # Ok(()) }
/// ```
pub struct ClientBuilder {
    config: EngineConfig,
    tokens: Option<Arc<dyn TokenProvider>>,
    codec: Box<dyn WireCodec>,
    extra_roots: Vec<Vec<u8>>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .field("authenticated", &self.tokens.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A client of `endpoint` (`ws://` or `wss://`, without the token) with the defaults of
    /// [`EngineConfig::new`].
    pub fn new(endpoint: impl Into<String>) -> Self {
        let mut config = EngineConfig::new(endpoint);
        config.jitter_seed = random_seed();
        Self {
            config,
            tokens: None,
            codec: Box::new(JsonCodec),
            extra_roots: Vec::new(),
        }
    }

    /// Authenticates every attempt with the same token.
    pub fn token(self, token: impl Into<AuthToken>) -> Self {
        let token = token.into();
        self.token_provider(move |_refresh| {
            let token = token.clone();
            async move { Ok(token) }
        })
    }

    /// Asks `provider` for a token before every attempt.
    pub fn token_provider(mut self, provider: impl TokenProvider) -> Self {
        self.tokens = Some(Arc::new(provider));
        self
    }

    /// Reconnection delays, attempts and jitter.
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.config.reconnect = policy;
        self
    }

    /// How many messages may wait for their acknowledgement (100).
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.config.queue_capacity = capacity;
        self
    }

    /// The keep-alive: ping every `interval` (30 s); dead after `timeout` of silence (10 s).
    pub fn keep_alive(mut self, interval: Duration, timeout: Duration) -> Self {
        self.config.ping_interval = interval;
        self.config.pong_timeout = timeout;
        self
    }

    /// How long a written message may wait for its acknowledgement (10 s).
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.config.ack_timeout = timeout;
        self
    }

    /// How long opening a connection may take (10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// The largest frame sent or accepted, in bytes (1 MiB).
    pub fn max_message_bytes(mut self, max: usize) -> Self {
        self.config.max_message_bytes = max;
        self
    }

    /// Any other engine setting.
    pub fn configure(mut self, change: impl FnOnce(&mut EngineConfig)) -> Self {
        change(&mut self.config);
        self
    }

    /// Also trusts this root certificate (DER) for `wss://`, besides the public web roots:
    /// for backends behind a private certificate authority.
    pub fn add_root_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(der.into());
        self
    }

    /// Speaks another backend's dialect.
    pub fn codec(mut self, codec: impl WireCodec) -> Self {
        self.codec = Box::new(codec);
        self
    }

    /// Starts the driver task. It stays disconnected until [`Client::connect`].
    pub fn build(self) -> Result<Client, BuildError> {
        let endpoint = self.config.endpoint.to_ascii_lowercase();
        if !(endpoint.starts_with("ws://") || endpoint.starts_with("wss://")) {
            return Err(BuildError::InvalidEndpoint);
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| BuildError::NoRuntime)?;
        let (commands, receiver) = mpsc::unbounded_channel();
        let (status_sender, status) = watch::channel(Status::Disconnected);
        let subscribers = Arc::new(Mutex::new(Vec::new()));
        let transport = transport::Transport::new(
            self.config.max_message_bytes,
            self.config.connect_timeout,
            &self.extra_roots,
        )?;
        let driver = driver::Driver::new(
            self.config,
            self.codec,
            transport,
            self.tokens,
            status_sender,
            subscribers.clone(),
        );
        runtime.spawn(driver.run(receiver));
        Ok(Client {
            inner: Arc::new(Handle {
                commands,
                status,
                subscribers,
            }),
        })
    }
}

struct Handle {
    commands: mpsc::UnboundedSender<Command>,
    status: watch::Receiver<Status>,
    subscribers: driver::Subscribers,
}

/// A handle to a chat connection. Clone it freely; the connection closes when the last clone
/// is dropped. See [`ClientBuilder`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Handle>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("status", &*self.inner.status.borrow())
            .finish()
    }
}

impl Client {
    /// Starts a builder for `endpoint`.
    pub fn builder(endpoint: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(endpoint)
    }

    /// Starts connecting (and reconnecting after losses until [`disconnect`](Self::disconnect)).
    pub fn connect(&self) {
        self.command(Command::Connect);
    }

    /// Closes the connection with a close frame and stops reconnecting. Resolves once the close
    /// frame is written (or after a second). Unacknowledged messages stay queued.
    pub async fn disconnect(&self) {
        let (done, wait) = oneshot::channel();
        self.command(Command::Disconnect(done));
        let _ = wait.await;
    }

    /// Reconnects now with a fresh backoff schedule, also after giving up or being refused.
    pub fn reconnect(&self) {
        self.command(Command::Reconnect);
    }

    /// Tells the client the network is back (or the app is in the foreground again): it
    /// reconnects at once if it was waiting, or checks a live connection with a ping.
    pub fn network_available(&self) {
        self.command(Command::NetworkAvailable);
    }

    /// The same hint as [`network_available`](Self::network_available), under the name apps
    /// use when they come back to the foreground.
    pub fn resume(&self) {
        self.network_available();
    }

    /// Sends a chat message and waits for the server's acknowledgement. Offline, the message is
    /// queued and sent after the next connect; the wait includes that time.
    pub async fn send_message(
        &self,
        conversation: impl Into<Id>,
        content: impl Into<String>,
    ) -> Result<MessageAck, SendError> {
        let (_, acknowledged) = self
            .queue_message_inner(conversation.into(), content.into(), true)
            .await?;
        match acknowledged {
            Some(wait) => wait.await.unwrap_or(Err(SendError::Shutdown)),
            None => Err(SendError::Shutdown),
        }
    }

    /// Queues a chat message without waiting for its acknowledgement. Follow it with the
    /// [`Event::Outgoing`] events carrying the returned id.
    pub async fn queue_message(
        &self,
        conversation: impl Into<Id>,
        content: impl Into<String>,
    ) -> Result<ClientMessageId, SendError> {
        self.queue_message_inner(conversation.into(), content.into(), false)
            .await
            .map(|(id, _)| id)
    }

    async fn queue_message_inner(
        &self,
        conversation: Id,
        content: String,
        wait_for_ack: bool,
    ) -> Result<
        (
            ClientMessageId,
            Option<oneshot::Receiver<Result<MessageAck, SendError>>>,
        ),
        SendError,
    > {
        let (ack, acknowledged) = oneshot::channel();
        let ack = wait_for_ack.then_some(ack);
        let id = self
            .request(|reply| Command::SendMessage {
                conversation,
                content,
                ack,
                reply,
            })
            .await??;
        Ok((id, wait_for_ack.then_some(acknowledged)))
    }

    /// Starts or stops the typing indicator. Fails with [`SendError::NotConnected`] offline:
    /// typing is never queued.
    pub async fn set_typing(
        &self,
        conversation: impl Into<Id>,
        is_typing: bool,
    ) -> Result<(), SendError> {
        let conversation = conversation.into();
        self.request(|reply| Command::Typing {
            conversation,
            is_typing,
            reply,
        })
        .await?
    }

    /// Marks messages read up to `message`; offline, the newest receipt per conversation is
    /// sent after the next connect.
    pub async fn mark_read(
        &self,
        conversation: impl Into<Id>,
        message: impl Into<Id>,
    ) -> Result<(), SendError> {
        let (conversation, message) = (conversation.into(), message.into());
        self.request(|reply| Command::Read {
            conversation,
            message,
            reply,
        })
        .await?
    }

    /// Asks for the messages after `last_message` (by default the last one seen). The client
    /// does this by itself after every reconnect.
    pub async fn sync(
        &self,
        conversation: impl Into<Id>,
        last_message: Option<Id>,
    ) -> Result<(), SendError> {
        let conversation = conversation.into();
        self.request(|reply| Command::Sync {
            conversation,
            last_message,
            reply,
        })
        .await?
    }

    /// Pings now; the answer shows in [`Metrics::rtt`].
    pub async fn ping(&self) -> Result<(), SendError> {
        self.request(|reply| Command::Ping { reply }).await?
    }

    /// Announces presence now and after every reconnect.
    ///
    /// Resolves once the client has taken it (sent now, or remembered for the next connect);
    /// fails only with [`SendError::Shutdown`].
    pub async fn set_presence(&self, status: PresenceStatus) -> Result<(), SendError> {
        self.request(|done| Command::Presence(status, done)).await
    }

    /// Joins a conversation now or at the next connect, and again after every reconnect.
    ///
    /// Resolves once the client has taken it (the `join` is written now, or at the next
    /// connect); the server's answer arrives as an [`Event::Reply`].
    pub async fn join(&self, conversation: impl Into<Id>) -> Result<(), SendError> {
        let conversation = conversation.into();
        self.request(|done| Command::Join(conversation, done)).await
    }

    /// Leaves a conversation.
    ///
    /// Resolves once the client has taken it.
    pub async fn leave(&self, conversation: impl Into<Id>) -> Result<(), SendError> {
        let conversation = conversation.into();
        self.request(|done| Command::Leave(conversation, done))
            .await
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.inner.status.borrow().clone()
    }

    /// A watch of the status, for `changed().await` loops and UI bindings.
    pub fn status_watch(&self) -> watch::Receiver<Status> {
        self.inner.status.clone()
    }

    /// A snapshot for a "connection details" panel.
    pub async fn metrics(&self) -> Result<Metrics, SendError> {
        self.request(Command::Metrics).await
    }

    /// A new stream of every event from now on. Each stream gets every event; none is dropped
    /// for a slow reader (streams are unbounded: read them).
    pub fn events(&self) -> EventStream {
        let (sender, receiver) = mpsc::unbounded_channel();
        if let Ok(mut subscribers) = self.inner.subscribers.lock() {
            subscribers.push(sender);
        }
        EventStream { receiver }
    }

    fn command(&self, command: Command) {
        // The driver only stops when the last handle is gone, so this cannot fail while `self` lives.
        let _ = self.inner.commands.send(command);
    }

    async fn request<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, SendError> {
        let (reply, answer) = oneshot::channel();
        self.command(command(reply));
        answer.await.map_err(|_| SendError::Shutdown)
    }
}

/// The events of one [`Client`], in order. It ends when the client shuts down.
#[derive(Debug)]
pub struct EventStream {
    receiver: mpsc::UnboundedReceiver<Event>,
}

impl EventStream {
    /// The next event, or `None` once the client is gone.
    pub async fn next(&mut self) -> Option<Event> {
        self.receiver.recv().await
    }
}

impl futures_util::Stream for EventStream {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Event>> {
        self.receiver.poll_recv(context)
    }
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
