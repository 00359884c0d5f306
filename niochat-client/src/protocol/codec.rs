//! The wire codec: how typed frames become text on a socket and back.
//!
//! The engine speaks in [`ClientFrame`] and [`ServerFrame`] and never sees JSON or URLs; a
//! [`WireCodec`] turns them into text frames and builds the URL to open. Protocol 001's JSON
//! codec is [`JsonCodec`]; another backend's dialect is another implementation of the trait.

use serde_json::Value;

use super::frames::{ClientFrame, FrameError, ServerFrame};
use crate::auth::{AuthToken, SecretUrl};

/// A text frame the codec could not read. It keeps the text, so nothing is lost.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// The text is not JSON.
    #[error("frame is not JSON: {reason}")]
    NotJson {
        /// The parser's message.
        reason: String,
        /// The frame as received.
        raw: String,
    },
    /// The text is JSON but not an object.
    #[error("frame is not a JSON object")]
    NotAnObject {
        /// The frame as received.
        raw: String,
    },
    /// The `type` is known but the fields do not fit it.
    #[error("invalid `{frame_type}` frame: {reason}")]
    InvalidFrame {
        /// The frame's `type`.
        frame_type: String,
        /// What did not fit.
        reason: String,
        /// The frame as received.
        raw: String,
    },
    /// The socket carried a binary frame, which this protocol does not use.
    #[error("unexpected binary frame of {len} bytes")]
    Binary {
        /// Its length.
        len: usize,
    },
}

impl DecodeError {
    /// The frame's text as received (empty for binary frames).
    pub fn raw(&self) -> &str {
        match self {
            DecodeError::NotJson { raw, .. }
            | DecodeError::NotAnObject { raw }
            | DecodeError::InvalidFrame { raw, .. } => raw,
            DecodeError::Binary { .. } => "",
        }
    }
}

/// Translates between typed frames and a backend's text frames.
pub trait WireCodec: Send + 'static {
    /// The URL to open for `endpoint`, carrying `token` the way the backend expects.
    fn connect_url(&self, endpoint: &str, token: Option<&AuthToken>) -> SecretUrl;
    /// One client frame as a text frame.
    fn encode(&self, frame: &ClientFrame) -> String;
    /// One text frame from the server.
    fn decode(&self, text: &str) -> Result<ServerFrame, DecodeError>;
}

/// Protocol 001: JSON objects with a `type`, the token in the `token` query parameter.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonCodec;

impl WireCodec for JsonCodec {
    fn connect_url(&self, endpoint: &str, token: Option<&AuthToken>) -> SecretUrl {
        match token {
            Some(token) => SecretUrl::with_query_token(endpoint, "token", token),
            None => SecretUrl::new(endpoint),
        }
    }

    fn encode(&self, frame: &ClientFrame) -> String {
        frame.to_json().to_string()
    }

    fn decode(&self, text: &str) -> Result<ServerFrame, DecodeError> {
        decode_json(text, ServerFrame::from_json)
    }
}

impl JsonCodec {
    /// Reads a client frame: what a protocol-001 server does with the client's text.
    pub fn decode_client(&self, text: &str) -> Result<ClientFrame, DecodeError> {
        decode_json(text, ClientFrame::from_json)
    }

    /// Writes a server frame: what a protocol-001 server sends.
    pub fn encode_server(&self, frame: &ServerFrame) -> String {
        frame.to_json().to_string()
    }
}

fn decode_json<F>(
    text: &str,
    read: impl FnOnce(Value) -> Result<F, FrameError>,
) -> Result<F, DecodeError> {
    let value: Value = serde_json::from_str(text).map_err(|error| DecodeError::NotJson {
        reason: error.to_string(),
        raw: text.to_owned(),
    })?;
    read(value).map_err(|error| match error {
        FrameError::NotAnObject => DecodeError::NotAnObject {
            raw: text.to_owned(),
        },
        FrameError::Invalid { frame_type, reason } => DecodeError::InvalidFrame {
            frame_type,
            reason,
            raw: text.to_owned(),
        },
    })
}
