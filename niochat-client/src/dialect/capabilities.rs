//! What a backend offers, declared once by its [`Protocol`](super::Protocol) and obeyed by the
//! engine.

use super::CommandKind;

/// How conversations are entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoomMode {
    /// With join and leave frames; the server forgets them when the socket closes, so the engine
    /// joins again after every reconnect.
    Frames,
    /// Each conversation is its own endpoint URL.
    Url,
    /// No rooms: the server decides what the client receives.
    None,
}

/// How the backend answers the client's frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnswerMode {
    /// Every frame gets exactly one answer (success or error), in the order sent: an answer
    /// settles the oldest open request, whatever it says.
    InOrder,
    /// Answers name the request they answer (Socket.IO ack ids).
    ByAckId,
    /// Frames are not answered: a command is done once written.
    None,
}

/// How a dead connection is noticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeepAliveMode {
    /// The client sends a ping frame every interval; silence after it means death.
    ClientPing,
    /// The server pings (Engine.IO `2`) and the dialect answers; no ping within the server's
    /// interval plus timeout means death. The timing comes from the server
    /// ([`Inbound::ServerPing`](super::Inbound::ServerPing)).
    ServerPing,
    /// WebSocket ping control frames, sent by the driver (not possible in browsers).
    WebSocketPing,
    /// Nothing: a dead connection is noticed only when a write fails.
    None,
}

/// What a backend offers, declared by its protocol and obeyed by the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// How conversations are entered.
    pub rooms: RoomMode,
    /// Whether missed messages can be fetched after a reconnect.
    pub history_sync: bool,
    /// How frames are answered.
    pub answers: AnswerMode,
    /// How dead connections are noticed.
    pub keep_alive: KeepAliveMode,
    /// The commands the backend has; any other is refused with `Unsupported` at the call.
    pub commands: &'static [CommandKind],
    /// The server may drop this connection's rooms without a word while it stays open
    /// (protocol 001 keeps one socket per user: when another socket of the same user closes,
    /// the user's rooms go). The engine then joins and syncs again every
    /// [`membership_refresh`](crate::engine::EngineConfig::membership_refresh).
    pub rooms_dropped_silently: bool,
}

impl Capabilities {
    /// A description of a backend.
    pub const fn new(
        rooms: RoomMode,
        history_sync: bool,
        answers: AnswerMode,
        keep_alive: KeepAliveMode,
        commands: &'static [CommandKind],
    ) -> Self {
        Self {
            rooms,
            history_sync,
            answers,
            keep_alive,
            commands,
            rooms_dropped_silently: false,
        }
    }

    /// The same, for a server that may drop rooms silently (see
    /// [`rooms_dropped_silently`](Self::rooms_dropped_silently)).
    pub const fn with_rooms_dropped_silently(mut self) -> Self {
        self.rooms_dropped_silently = true;
        self
    }

    /// Whether the backend has `command`.
    pub fn supports(&self, command: CommandKind) -> bool {
        self.commands.contains(&command)
    }
}
