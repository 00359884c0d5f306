//! Protocol 001's JSON text frames, both ways. The client side uses the server half
//! ([`JsonCodec::decode_server`], [`JsonCodec::encode_client`]); reference servers for tests
//! use the other half.

use serde_json::Value;

use super::frames::{ClientFrame, FrameError, ServerFrame};
use super::plain_frames;
use crate::dialect::DecodeError;

/// Protocol 001's frames as JSON text.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonCodec;

impl JsonCodec {
    /// Reads a server frame: what the client does with the server's text. The frames
    /// received at volume are read by hand in their plain shape (see `plain_frames`); other
    /// known frames straight into their types with serde; the rest through a JSON value, kept
    /// raw.
    pub fn decode_server(&self, text: &str) -> Result<ServerFrame, DecodeError> {
        match plain_frames::read(text) {
            Some(frame) => Ok(frame),
            None => self.decode_server_with_serde(text),
        }
    }

    /// [`decode_server`](Self::decode_server) without the hand reader: serde alone, which
    /// the hand reader must agree with (tests and the `renum_frames` fuzz target hold them
    /// equal).
    #[doc(hidden)]
    pub fn decode_server_with_serde(&self, text: &str) -> Result<ServerFrame, DecodeError> {
        match ServerFrame::from_text(text) {
            Some(read) => read.map_err(|error| invalid(error, text)),
            None => decode_json(text, ServerFrame::from_json),
        }
    }

    /// Writes a client frame.
    pub fn encode_client(&self, frame: &ClientFrame) -> String {
        frame.to_text()
    }

    /// Reads a client frame: what a protocol-001 server does with the client's text.
    pub fn decode_client(&self, text: &str) -> Result<ClientFrame, DecodeError> {
        match ClientFrame::from_text(text) {
            Some(read) => read.map_err(|error| invalid(error, text)),
            None => decode_json(text, ClientFrame::from_json),
        }
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
    read(value).map_err(|error| invalid(error, text))
}

fn invalid(error: FrameError, text: &str) -> DecodeError {
    match error {
        FrameError::NotAnObject => DecodeError::WrongShape {
            reason: "a frame must be a JSON object".into(),
            raw: text.to_owned(),
        },
        FrameError::Invalid { frame_type, reason } => DecodeError::InvalidFrame {
            frame_type,
            reason,
            raw: text.to_owned(),
        },
    }
}
