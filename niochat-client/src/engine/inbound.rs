//! What the engine does with each frame the server sends.

use web_time::Instant;

use super::rooms::Delivery;
use super::{Engine, Event, MessageAck, MessageState, SendError};
use crate::protocol::{DecodeError, ErrorCode, NewMessage, ServerFrame};

impl Engine {
    pub(super) fn frame(&mut self, now: Instant, text: String) {
        self.keepalive.activity();
        match self.codec.decode(&text) {
            Ok(frame) => self.server_frame(now, frame),
            Err(error) => {
                tracing::warn!(%error, "malformed frame");
                self.emit(Event::Malformed(error));
            }
        }
    }

    pub(super) fn binary(&mut self, len: usize) {
        self.keepalive.activity();
        self.emit(Event::Malformed(DecodeError::Binary { len }));
    }

    fn server_frame(&mut self, now: Instant, frame: ServerFrame) {
        match frame {
            ServerFrame::Connected(session) => self.emit(Event::Session(session)),
            ServerFrame::Message(NewMessage { message }) => {
                if let Some(delivery) = self.rooms.message(message) {
                    self.deliver(delivery);
                }
            }
            ServerFrame::MessageSent(ack) => match self.outbox.acknowledge() {
                Some(settled) => {
                    self.rooms
                        .own_message(&settled.conversation_id, &ack.message_id);
                    let state = MessageState::Acknowledged(MessageAck {
                        conversation_id: settled.conversation_id.clone(),
                        message_id: ack.message_id,
                        timestamp: ack.timestamp,
                    });
                    self.emit(Event::Outgoing {
                        id: settled.id,
                        conversation_id: settled.conversation_id,
                        state,
                    });
                }
                None => self.emit(Event::Reply(ServerFrame::MessageSent(ack))),
            },
            ServerFrame::Typing(typing) => self.emit(Event::Typing(typing)),
            ServerFrame::Read(receipt) => self.emit(Event::Read(receipt)),
            ServerFrame::Presence(presence) => self.emit(Event::Presence(presence)),
            ServerFrame::SyncData(data) => {
                let deliveries = self.rooms.synced(&data.conversation_id, data.messages);
                self.deliver_all(deliveries);
            }
            ServerFrame::Pong(_) => {
                if let Some(rtt) = self.keepalive.pong(now) {
                    self.recorder.rtt = Some(rtt);
                }
            }
            ServerFrame::Error(error) => {
                match error.code {
                    ErrorCode::MessageError => {
                        if let Some(settled) = self.outbox.reject() {
                            let state = MessageState::Failed(SendError::Rejected {
                                code: error.code.clone(),
                                error: error.error.clone(),
                            });
                            let conversation_id = settled.conversation_id;
                            self.emit(Event::Outgoing {
                                id: settled.id,
                                conversation_id,
                                state,
                            });
                        }
                    }
                    ErrorCode::SyncError => {
                        let released = self.rooms.sync_failed();
                        self.deliver_all(released);
                    }
                    _ => {}
                }
                self.emit(Event::ServerError(error));
            }
            ServerFrame::Unknown(raw) => self.emit(Event::Unknown(raw)),
            reply => self.emit(Event::Reply(reply)),
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
        };
        self.emit(event);
    }
}
