//! The `Client` object: one chat connection, driven by the core's tokio driver on a thread of
//! its own, so that no foreign runtime is needed and closing the client ends every thread and
//! task it made. Every method hands its work to the core's `Client`, whose futures are
//! runtime-free: Kotlin coroutines, Swift tasks and asyncio poll them directly.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use niochat_client::engine::{Jitter, ReconnectPolicy};
use niochat_client::model::PresenceStatus;
use niochat_client::{Backend, ClientBuilder, EventStream};

use crate::callbacks::{ForeignStore, ForeignTokens, OutboxStorage, TokenProvider};
use crate::errors::NioChatError;
use crate::records::{
    BackendConfig, ClientConfig, Event, MessageAck, Metrics, NioChatEndpoint, Status,
};
use crate::runtime::Runtime;

struct Open {
    client: niochat_client::Client,
    runtime: Runtime,
}

/// A chat connection that reconnects by itself, queues messages offline and delivers each
/// message once. Call `connect()` to start and `shutdown()` when done.
#[derive(uniffi::Object)]
pub struct Client {
    open: Mutex<Option<Open>>,
    events: tokio::sync::Mutex<EventStream>,
}

fn closed() -> NioChatError {
    NioChatError::Closed {
        detail: "the client is closed".into(),
    }
}

fn builder(config: ClientConfig) -> ClientBuilder {
    let backend = match config.backend {
        None | Some(BackendConfig::Renum) => Backend::Renum,
        Some(BackendConfig::PyTake) => Backend::PyTake,
        Some(BackendConfig::ConectCrm) => Backend::ConectCrm,
        Some(BackendConfig::PyTakeGo { user_id }) => {
            Backend::PyTakeGo(niochat_client::dialect::pytake_go::PyTakeGo {
                user_id: user_id.map(Into::into),
            })
        }
        Some(BackendConfig::NioChat { endpoint, user }) => {
            use niochat_client::dialect::niochat::{Endpoint, NioChat};
            let endpoint = match endpoint {
                NioChatEndpoint::Conversation { id } => Endpoint::Conversation(id.into()),
                NioChatEndpoint::Painel { id } => Endpoint::Painel(id.into()),
                NioChatEndpoint::ConversasDashboard => Endpoint::ConversasDashboard,
                NioChatEndpoint::UserStatus => Endpoint::UserStatus,
                NioChatEndpoint::User { id } => Endpoint::User(id.into()),
                NioChatEndpoint::Dashboard => Endpoint::Dashboard,
            };
            let mut protocol = NioChat::new(endpoint);
            protocol.user = user.map(Into::into);
            Backend::NioChat(protocol)
        }
    };
    let ms = Duration::from_millis;
    let mut builder = ClientBuilder::new(config.url).backend(backend);
    if let Some(token) = config.token {
        builder = builder.token(token);
    }
    if let Some(capacity) = config.queue_capacity {
        builder = builder.queue_capacity(capacity as usize);
    }
    // Each one on its own: setting only the interval keeps the default timeout.
    if let Some(interval) = config.keep_alive_interval_ms {
        builder = builder.configure(|engine| engine.ping_interval = ms(interval));
    }
    if let Some(timeout) = config.keep_alive_timeout_ms {
        builder = builder.configure(|engine| engine.pong_timeout = ms(timeout));
    }
    let mut policy = ReconnectPolicy::default();
    if let Some(delay) = config.reconnect_initial_delay_ms {
        policy.initial_delay = ms(delay);
    }
    if let Some(delay) = config.reconnect_max_delay_ms {
        policy.max_delay = ms(delay);
    }
    if let Some(limit) = config.reconnect_attempts {
        policy.max_attempts = limit.into();
    }
    policy.jitter = match config.reconnect_jitter {
        Some(false) => Jitter::None,
        _ => Jitter::Full,
    };
    builder = builder.reconnect(policy);
    if let Some(timeout) = config.ack_timeout_ms {
        builder = builder.ack_timeout(ms(timeout));
    }
    if let Some(timeout) = config.connect_timeout_ms {
        builder = builder.connect_timeout(ms(timeout));
    }
    if let Some(grace) = config.background_grace_ms {
        builder = builder.configure(|engine| engine.background_grace = ms(grace));
    }
    builder
}

#[uniffi::export]
impl Client {
    /// A client for `config`; it stays disconnected until `connect()`. `tokens` is asked
    /// before every attempt (else `config.token` is used); `storage` keeps the outbox across
    /// restarts (else it lives as long as the client).
    #[uniffi::constructor]
    pub fn new(
        config: ClientConfig,
        tokens: Option<Arc<dyn TokenProvider>>,
        storage: Option<Arc<dyn OutboxStorage>>,
    ) -> Result<Arc<Self>, NioChatError> {
        let mut builder = builder(config);
        if let Some(tokens) = tokens {
            builder = builder.token_provider(ForeignTokens(tokens));
        }
        if let Some(storage) = storage {
            builder = builder.outbox_store(ForeignStore(storage));
        }
        builder.check()?;
        let (runtime, handle) = Runtime::start()?;
        // Calls come from the app's threads, often the UI thread: the connection's work
        // (saving the outbox through the app's storage, waking its coroutines) stays on the
        // runtime's thread, where the driver is spawned by hand. A storage whose `load` threw
        // is `Storage`, not a setting.
        let (client, driver) = builder.build_with_driver()?;
        // Subscribed before the driver's first turn, which announces the messages restored
        // from `storage` (`Outgoing` `Queued`): a stream opened after it would miss them.
        let events = client.events();
        handle.spawn(driver);
        Ok(Arc::new(Self {
            open: Mutex::new(Some(Open { client, runtime })),
            events: tokio::sync::Mutex::new(events),
        }))
    }

    /// Starts connecting, and reconnecting after losses, until `disconnect()`.
    pub fn connect(&self) -> Result<(), NioChatError> {
        self.client()?.connect();
        Ok(())
    }

    /// Closes the connection and stops reconnecting; queued messages stay for `connect()`.
    pub async fn disconnect(&self) -> Result<(), NioChatError> {
        self.client()?.disconnect().await;
        Ok(())
    }

    /// Reconnects now on a fresh schedule, also after giving up or being refused.
    pub fn reconnect(&self) -> Result<(), NioChatError> {
        self.client()?.reconnect();
        Ok(())
    }

    /// The platform's connectivity changed: offline, no attempt and no ping; online,
    /// reconnect at once on a fresh schedule (or check the open connection) — in the
    /// background, once the app is in the foreground again.
    pub fn network_changed(&self, available: bool) -> Result<(), NioChatError> {
        let client = self.client()?;
        match available {
            true => client.network_available(),
            false => client.network_lost(),
        }
        Ok(())
    }

    /// The app went to the background: no pings and no attempts; the connection closes after
    /// the grace.
    pub fn enter_background(&self) -> Result<(), NioChatError> {
        self.client()?.enter_background();
        Ok(())
    }

    /// The app is in the foreground: reconnect at once and sync what was missed (unless
    /// `network_changed(false)` was the last word on the network: then its `true` does).
    pub fn enter_foreground(&self) -> Result<(), NioChatError> {
        self.client()?.enter_foreground();
        Ok(())
    }

    /// Sends a chat message; returns the server's acknowledgement (offline: after the
    /// reconnect).
    pub async fn send_message(
        &self,
        conversation_id: String,
        text: String,
    ) -> Result<MessageAck, NioChatError> {
        let ack = self.client()?.send_message(conversation_id, text).await?;
        Ok((&ack).into())
    }

    /// Queues a chat message and returns its local id at once; follow it with `Outgoing`
    /// events.
    pub async fn queue_message(
        &self,
        conversation_id: String,
        text: String,
    ) -> Result<u64, NioChatError> {
        let id = self.client()?.queue_message(conversation_id, text).await?;
        Ok(id.get())
    }

    /// Joins now or at the next connect, and again after every reconnect.
    pub async fn join(&self, conversation_id: String) -> Result<(), NioChatError> {
        Ok(self.client()?.join(conversation_id).await?)
    }

    pub async fn leave(&self, conversation_id: String) -> Result<(), NioChatError> {
        Ok(self.client()?.leave(conversation_id).await?)
    }

    pub async fn set_typing(
        &self,
        conversation_id: String,
        is_typing: bool,
    ) -> Result<(), NioChatError> {
        Ok(self
            .client()?
            .set_typing(conversation_id, is_typing)
            .await?)
    }

    pub async fn mark_read(
        &self,
        conversation_id: String,
        message_id: String,
    ) -> Result<(), NioChatError> {
        Ok(self
            .client()?
            .mark_read(conversation_id, message_id)
            .await?)
    }

    /// `online`, `away` or `offline` (or a backend's own value).
    pub async fn set_presence(&self, status: String) -> Result<(), NioChatError> {
        let status = PresenceStatus::from(status.as_str());
        Ok(self.client()?.set_presence(status).await?)
    }

    /// Asks for the messages after `after` (default: the last seen); returns how many came.
    pub async fn sync(
        &self,
        conversation_id: String,
        after: Option<String>,
    ) -> Result<u64, NioChatError> {
        let count = self
            .client()?
            .sync(conversation_id, after.map(Into::into))
            .await?;
        Ok(count as u64)
    }

    /// The round trip in milliseconds.
    pub async fn ping(&self) -> Result<f64, NioChatError> {
        let rtt = self.client()?.ping().await?;
        Ok(rtt.as_secs_f64() * 1000.0)
    }

    /// The current status.
    pub fn status(&self) -> Status {
        match self.client() {
            Ok(client) => (&client.status()).into(),
            Err(_) => Status::Disconnected,
        }
    }

    pub async fn metrics(&self) -> Result<Metrics, NioChatError> {
        let metrics = self.client()?.metrics().await?;
        Ok((&metrics).into())
    }

    /// The next events, waiting for at least one: every event in order, none dropped (a
    /// Kotlin `Flow` or a Swift `AsyncStream` loops over this). Empty once the client is
    /// closed. Cancelling the call loses nothing: the events wait for the next call.
    pub async fn next_events(&self) -> Vec<Event> {
        let mut events = self.events.lock().await;
        let Some(first) = events.next().await else {
            return Vec::new();
        };
        let mut batch = vec![Event::from(&first)];
        batch.extend(events.drain_ready().iter().map(Event::from));
        batch
    }

    /// The next event, waiting for it; `None` once the client is closed. What the Kotlin
    /// `Flow` loops over: a collector that stops after any event (`first { }`, `take(n)`)
    /// leaves the rest for the next collector, where a batch would have been taken whole.
    pub async fn next_event(&self) -> Option<Event> {
        let mut events = self.events.lock().await;
        events.next().await.map(|event| Event::from(&event))
    }

    /// Closes the connection (with a close frame), ends the client's thread and frees it.
    /// Pending calls resolve with `Closed`; later calls fail with `Closed`. (`close()` in
    /// Kotlin and Swift frees the native handle itself, after this.)
    pub async fn shutdown(&self) {
        let open = self
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(Open {
            client,
            mut runtime,
        }) = open
        {
            client.disconnect().await;
            drop(client);
            // Joining the thread blocks (while, say, the app's storage finishes a save): it
            // is done on a thread of its own, and the caller's coroutine or task waits for
            // it without holding its thread (Android's main thread, a Swift actor).
            let (done, finished) = futures_channel::oneshot::channel::<()>();
            let joiner = std::thread::Builder::new()
                .name("niochat-close".into())
                .spawn(move || {
                    runtime.stop();
                    let _ = done.send(());
                });
            // Without a thread to be had, `runtime` was dropped, which stopped it here.
            if joiner.is_ok() {
                let _ = finished.await;
            }
        }
    }
}

impl Client {
    fn client(&self) -> Result<niochat_client::Client, NioChatError> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
            .map(|open| open.client.clone())
            .ok_or_else(closed)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use niochat_client::engine::ReconnectPolicy;

    use super::builder;
    use crate::{ClientConfig, ReconnectAttempts};

    fn config() -> ClientConfig {
        ClientConfig {
            url: "ws://127.0.0.1:9/ws".into(),
            backend: None,
            token: None,
            queue_capacity: None,
            keep_alive_interval_ms: None,
            keep_alive_timeout_ms: None,
            reconnect_initial_delay_ms: None,
            reconnect_max_delay_ms: None,
            reconnect_attempts: None,
            reconnect_jitter: None,
            ack_timeout_ms: None,
            connect_timeout_ms: None,
            background_grace_ms: None,
        }
    }

    #[test]
    fn each_keep_alive_setting_applies_on_its_own() {
        let defaults = builder(config()).config().clone();
        let interval_only = builder(ClientConfig {
            keep_alive_interval_ms: Some(5_000),
            ..config()
        });
        assert_eq!(interval_only.config().ping_interval, Duration::from_secs(5));
        assert_eq!(interval_only.config().pong_timeout, defaults.pong_timeout);
        let timeout_only = builder(ClientConfig {
            keep_alive_timeout_ms: Some(2_000),
            ..config()
        });
        assert_eq!(timeout_only.config().pong_timeout, Duration::from_secs(2));
        assert_eq!(timeout_only.config().ping_interval, defaults.ping_interval);
    }

    #[test]
    fn reconnect_attempts_mean_what_they_mean_in_rust_and_javascript() {
        let limit = |attempts| {
            builder(ClientConfig {
                reconnect_attempts: attempts,
                ..config()
            })
            .config()
            .reconnect
            .max_attempts
        };
        assert_eq!(limit(None), ReconnectPolicy::default().max_attempts);
        assert_eq!(
            limit(Some(ReconnectAttempts::AtMost { attempts: 0 })),
            Some(0)
        );
        assert_eq!(
            limit(Some(ReconnectAttempts::AtMost { attempts: 3 })),
            Some(3)
        );
        assert_eq!(limit(Some(ReconnectAttempts::Forever)), None);
    }
}
