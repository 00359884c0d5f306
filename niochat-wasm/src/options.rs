//! `ClientOptions` (see `niochat.d.ts`) read into a [`ClientBuilder`]: names translated,
//! milliseconds turned into durations, unknown fields refused (a typo is an error, not a
//! silently ignored setting). The token provider and the outbox store are added by the
//! caller, which owns the JavaScript values.

use std::time::Duration;

use niochat_client::dialect::niochat::{Endpoint, NioChat};
use niochat_client::dialect::pytake_go::PyTakeGo;
use niochat_client::engine::{Jitter, ReconnectPolicy};
use niochat_client::{Backend, ClientBuilder};
use serde::Deserialize;

/// The options object of `new NioChatClient(options)`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientOptions {
    pub url: String,
    #[serde(default)]
    pub backend: Option<BackendOption>,
    #[serde(default)]
    pub token: Option<String>,
    /// A function: read by the caller (and absent from the JSON this is read from).
    #[serde(default)]
    pub get_token: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub queue_capacity: Option<usize>,
    #[serde(default)]
    pub keep_alive: Option<KeepAliveOption>,
    #[serde(default)]
    pub reconnect: Option<ReconnectOption>,
    #[serde(default)]
    pub ack_timeout_ms: Option<u64>,
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    #[serde(default)]
    pub token_timeout_ms: Option<u64>,
    #[serde(default)]
    pub max_outgoing_bytes: Option<usize>,
    #[serde(default)]
    pub max_incoming_bytes: Option<usize>,
    /// The `localStorage` key of a persisted outbox.
    #[serde(default)]
    pub persist_outbox: Option<String>,
    /// The name of an in-memory outbox shared by the clients of this page that give it.
    #[serde(default)]
    pub shared_outbox: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum BackendOption {
    Name(String),
    PyTakeGo {
        name: PyTakeGoName,
        #[serde(default, rename = "userId")]
        user_id: Option<String>,
    },
    NioChat {
        name: NioChatName,
        endpoint: NioChatEndpoint,
        #[serde(default)]
        user: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
pub enum PyTakeGoName {
    #[serde(rename = "pytake-go")]
    PyTakeGo,
}

#[derive(Debug, Deserialize)]
pub enum NioChatName {
    #[serde(rename = "niochat")]
    NioChat,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum NioChatEndpoint {
    Conversation { id: String },
    Painel { id: String },
    ConversasDashboard,
    UserStatus,
    User { id: String },
    Dashboard,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeepAliveOption {
    pub interval_ms: u64,
    pub timeout_ms: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReconnectOption {
    #[serde(default)]
    pub initial_delay_ms: Option<u64>,
    #[serde(default)]
    pub max_delay_ms: Option<u64>,
    /// `null`: retry forever.
    #[serde(default, deserialize_with = "present")]
    pub max_attempts: Option<Option<u32>>,
    #[serde(default)]
    pub jitter: Option<String>,
}

/// A field that is present, even as `null`, is `Some`.
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<u32>>, D::Error> {
    Option::<u32>::deserialize(deserializer).map(Some)
}

fn backend(option: Option<BackendOption>) -> Result<Backend, String> {
    Ok(match option {
        None => Backend::Renum,
        Some(BackendOption::Name(name)) => match name.as_str() {
            "niochat" => {
                return Err(
                    "backend \"niochat\" needs {name, endpoint}: one endpoint per client".into(),
                );
            }
            other => Backend::from_name(other).ok_or_else(|| {
                format!("unknown backend {other:?}: renum, pytake, pytake-go, conectcrm or niochat")
            })?,
        },
        Some(BackendOption::PyTakeGo { user_id, .. }) => Backend::PyTakeGo(PyTakeGo {
            user_id: user_id.map(Into::into),
        }),
        Some(BackendOption::NioChat { endpoint, user, .. }) => {
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
    })
}

fn reconnect(option: ReconnectOption) -> Result<ReconnectPolicy, String> {
    let mut policy = ReconnectPolicy::default();
    if let Some(ms) = option.initial_delay_ms {
        policy.initial_delay = Duration::from_millis(ms);
    }
    if let Some(ms) = option.max_delay_ms {
        policy.max_delay = Duration::from_millis(ms);
    }
    if let Some(max_attempts) = option.max_attempts {
        policy.max_attempts = max_attempts;
    }
    policy.jitter = match option.jitter.as_deref() {
        None | Some("full") => Jitter::Full,
        Some("equal") => Jitter::Equal,
        Some("none") => Jitter::None,
        Some(other) => return Err(format!("unknown jitter {other:?}: full, equal or none")),
    };
    Ok(policy)
}

/// The builder these options describe (settings are checked when it is built).
pub fn builder(options: ClientOptions) -> Result<ClientBuilder, String> {
    let mut builder = ClientBuilder::new(options.url).backend(backend(options.backend)?);
    if let Some(token) = options.token {
        builder = builder.token(token);
    }
    if let Some(capacity) = options.queue_capacity {
        builder = builder.queue_capacity(capacity);
    }
    if let Some(keep_alive) = options.keep_alive {
        builder = builder.keep_alive(
            Duration::from_millis(keep_alive.interval_ms),
            Duration::from_millis(keep_alive.timeout_ms),
        );
    }
    if let Some(option) = options.reconnect {
        builder = builder.reconnect(reconnect(option)?);
    }
    if let Some(ms) = options.ack_timeout_ms {
        builder = builder.ack_timeout(Duration::from_millis(ms));
    }
    if let Some(ms) = options.connect_timeout_ms {
        builder = builder.connect_timeout(Duration::from_millis(ms));
    }
    if let Some(ms) = options.token_timeout_ms {
        builder = builder.token_timeout(Duration::from_millis(ms));
    }
    if options.max_outgoing_bytes.is_some() || options.max_incoming_bytes.is_some() {
        let defaults = builder.config().clone();
        builder = builder.frame_limits(
            options
                .max_outgoing_bytes
                .unwrap_or(defaults.max_outgoing_bytes),
            options
                .max_incoming_bytes
                .unwrap_or(defaults.max_incoming_bytes),
        );
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: serde_json::Value) -> Result<ClientBuilder, String> {
        let options: ClientOptions = serde_json::from_value(value).map_err(|e| e.to_string())?;
        builder(options)
    }

    #[test]
    fn every_option_is_read_and_checked() {
        let built = read(json!({
            "url": "wss://chat.example.com/ws", "backend": "pytake", "token": "t",
            "queueCapacity": 50, "keepAlive": {"intervalMs": 1000, "timeoutMs": 500},
            "reconnect": {"initialDelayMs": 200, "maxDelayMs": 5000, "maxAttempts": null, "jitter": "equal"},
            "ackTimeoutMs": 3000, "connectTimeoutMs": 4000, "tokenTimeoutMs": 2000,
            "maxOutgoingBytes": 1000, "maxIncomingBytes": 2000, "persistOutbox": "k",
            "sharedOutbox": "s",
        }))
        .expect("valid options");
        let config = built.config();
        assert_eq!(config.queue_capacity, 50);
        assert_eq!(config.reconnect.max_attempts, None);
        assert_eq!(config.reconnect.jitter, Jitter::Equal);
        assert_eq!(config.max_incoming_bytes, 2000);
        assert!(built.check().is_ok());
    }

    #[test]
    fn a_typo_or_an_unknown_backend_is_an_error_not_a_default() {
        let typo = read(json!({"url": "ws://x", "queueCapcity": 5})).unwrap_err();
        assert!(typo.contains("queueCapcity"), "{typo}");
        let backend = read(json!({"url": "ws://x", "backend": "slack"})).unwrap_err();
        assert!(backend.contains("unknown backend"), "{backend}");
    }

    #[test]
    fn structured_backends_are_read() {
        let go = read(json!({"url": "ws://x", "backend": {"name": "pytake-go", "userId": "u1"}}));
        assert!(go.is_ok());
        let niochat = read(json!({"url": "ws://x",
            "backend": {"name": "niochat", "endpoint": {"kind": "conversation", "id": "42"}}}));
        assert!(niochat.is_ok(), "{:?}", niochat.err());
    }

    #[test]
    fn a_structured_backend_with_a_field_it_does_not_have_is_an_error() {
        // `user_id` for `userId` was dropped without a word: the user id never sent.
        let snake =
            read(json!({"url": "ws://x", "backend": {"name": "pytake-go", "user_id": "u1"}}));
        assert!(snake.is_err(), "accepted");
        let endpoint = read(json!({"url": "ws://x",
            "backend": {"name": "niochat", "endpoint": {"kind": "conversation", "id": "42", "room": "x"}}}));
        assert!(endpoint.is_err(), "accepted");
    }
}
