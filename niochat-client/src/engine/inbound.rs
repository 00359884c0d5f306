//! What the engine does with each frame the server sends, once the dialect has said what it
//! means.

use web_time::Instant;

use super::rooms::Delivery;
use super::{Action, ConnectionErrorKind, Engine, Event, Phase};
use crate::dialect::{ChatEvent, Inbound};

impl Engine {
    pub(super) fn text_frame(&mut self, now: Instant, text: &str) {
        // Transports that enforce the limit themselves (tungstenite) never get here with such
        // a frame; those that cannot (a browser's WebSocket) rely on this.
        let max = self.config.max_incoming_bytes;
        if text.len() > max {
            self.abandon_current("message too big");
            let error = super::ConnectionErrorKind::FrameTooLarge { max };
            return self.connection_failed(now, error.into());
        }
        let mut inbound = std::mem::take(&mut self.inbound);
        if let Some(dialect) = self.dialect.as_mut() {
            dialect.on_text(text, &mut inbound);
        }
        self.process(now, &mut inbound);
        self.inbound = inbound;
    }

    pub(super) fn binary_frame(&mut self, now: Instant, bytes: &[u8]) {
        let mut inbound = std::mem::take(&mut self.inbound);
        if let Some(dialect) = self.dialect.as_mut() {
            dialect.on_binary(bytes, &mut inbound);
        }
        self.process(now, &mut inbound);
        self.inbound = inbound;
    }

    /// Acts on what one frame meant. Stops early when an item ends the connection: what
    /// follows it belonged to that connection.
    pub(super) fn process(&mut self, now: Instant, inbound: &mut Vec<Inbound>) {
        self.keepalive.activity(now);
        let connection = self.current_connection();
        for item in inbound.drain(..) {
            if self.current_connection() != connection {
                continue;
            }
            self.inbound_item(now, item);
        }
    }

    fn inbound_item(&mut self, now: Instant, item: Inbound) {
        match item {
            Inbound::Ready(session) => match self.phase {
                Phase::Handshake { connection, .. } => self.session_ready(now, connection, session),
                _ => tracing::debug!("session ready again: ignored"),
            },
            Inbound::AuthRefused { reason } => {
                tracing::info!(%reason, "the server refused the credentials");
                self.abandon_current("authentication refused");
                self.auth_refused(now, ConnectionErrorKind::AuthRefused);
            }
            Inbound::Answer { to, outcome } => self.answered(now, to, outcome),
            Inbound::UnreadableAnswer { to } => self.unreadable_answer(now, to),
            Inbound::Event(event) => self.chat_event(event),
            Inbound::Write(frame) => {
                if let Some(connection) = self.open_socket() {
                    let text = frame.0;
                    self.actions.push_back(Action::Send { connection, text });
                }
            }
            Inbound::ServerPing { interval, timeout } => {
                self.server_ping = Some((interval, timeout));
            }
            Inbound::Closing { reason } => {
                tracing::info!(%reason, "the server ended the session");
                self.abandon_current("the server ended the session");
                self.connection_failed(
                    now,
                    ConnectionErrorKind::Closed { code: None, reason }.into(),
                );
            }
            Inbound::Malformed(error) => {
                tracing::warn!(%error, "malformed frame");
                self.emit(Event::Malformed(error));
            }
            Inbound::Unknown(frame) => self.emit(Event::Unknown(frame)),
        }
    }

    fn chat_event(&mut self, event: ChatEvent) {
        match event {
            ChatEvent::Message(message) => {
                // Borrowed field by field: a copy of the user id per message was 2 % of
                // receiving.
                let own_user = self
                    .session
                    .as_ref()
                    .and_then(|session| session.user_id.as_ref());
                if let Some(delivery) = self.rooms.message(message, own_user) {
                    self.deliver(delivery);
                }
            }
            ChatEvent::MessageUpdated(message) => {
                if self.rooms.updated(&message) {
                    self.emit(Event::MessageUpdated(message));
                }
            }
            ChatEvent::MessageDeleted(deletion) => {
                if self.rooms.deleted(&deletion) {
                    self.emit(Event::MessageDeleted(deletion));
                }
            }
            ChatEvent::MessageStatus(status) => self.emit(Event::MessageStatus(status)),
            // Servers that relay typing to the whole room echo ours back (NioChat,
            // ConectCRM): an app wants to see the others typing, not itself.
            ChatEvent::Typing(typing) if Some(&typing.user_id) == self.own_user() => {
                tracing::trace!("own typing echo");
            }
            ChatEvent::Typing(typing) => self.emit(Event::Typing(typing)),
            ChatEvent::Read(receipt) => self.emit(Event::Read(receipt)),
            ChatEvent::Presence(presence) => self.emit(Event::Presence(presence)),
            ChatEvent::ServerNotice { code, message } => {
                self.emit(Event::ServerNotice { code, message })
            }
            ChatEvent::Backend(event) => self.emit(Event::Backend(event)),
        }
    }

    pub(super) fn deliver_all(&mut self, deliveries: Vec<Delivery>) {
        for delivery in deliveries {
            self.deliver(delivery);
        }
    }

    fn deliver(&mut self, delivery: Delivery) {
        let event = match delivery {
            Delivery::New(message, origin) => Event::Message { message, origin },
            Delivery::Updated(message) => Event::MessageUpdated(message),
            Delivery::OwnCopy(message, id) => Event::OwnMessageCopy { message, id },
        };
        self.emit(event);
    }
}
