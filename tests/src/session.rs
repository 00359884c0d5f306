//! One client connection: the handshake (token check, injected refusals) and protocol 001.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::{SinkExt, StreamExt};
use niochat_client::dialect::DecodeError;
use niochat_client::dialect::renum::{
    ClientFrame, Connected, JsonCodec, MessageSent, NewMessage, Pong, Reply, ServerError,
    ServerFrame, SyncData,
};
use niochat_client::model::{
    ChatMessage, Content, ErrorCode, Id, ReadReceipt, Timestamp, TypingUpdate,
};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::freeze::wait_while_frozen;
use crate::ids::uuid;
use crate::server::{Outgoing, State};

pub(crate) async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: u64,
    state: Arc<State>,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
) {
    serve_authenticated(stream, peer, &state, &mut outgoing).await;
    // Like the real server: membership is forgotten with the connection.
    let gone = state.peers().remove(&peer).and_then(|peer| peer.user);
    if let Some(user) = gone
        && state.faults().one_socket_per_user
    {
        let mut dropped = 0;
        for other in state.peers().values_mut() {
            if other.user.as_deref() == Some(user.as_str()) && !other.rooms.is_empty() {
                other.rooms.clear();
                dropped += 1;
            }
        }
        state.faults().silent_room_drops += dropped;
    }
}

async fn serve_authenticated<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: u64,
    state: &State,
    outgoing: &mut mpsc::UnboundedReceiver<Outgoing>,
) {
    state.handshakes.fetch_add(1, Ordering::SeqCst);
    let mut user = None;
    // The signature is tungstenite's handshake callback's; its error type is not ours to box.
    #[allow(clippy::result_large_err)]
    let check = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        if let Some(status) = state.faults().refusals.pop_front() {
            return Err(refusal(status));
        }
        let token = request.uri().query().and_then(|query| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix("token="))
                .map(str::to_owned)
        });
        match token.and_then(|token| crate::jwt::verify(&state.secret, &token)) {
            Some(subject) => {
                user = Some(subject);
                Ok(response)
            }
            None => Err(refusal(403)),
        }
    };
    let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, check).await else {
        return;
    };
    let Some(user) = user else { return };

    match state.peers().get_mut(&peer) {
        Some(me) => me.user = Some(user.clone()),
        None => return,
    }
    let connected = ServerFrame::Connected(Connected {
        user_id: Id::from(user.as_str()),
        timestamp: Some(now()),
    });
    let _ = socket
        .send(Message::text(JsonCodec.encode_server(&connected)))
        .await;

    let mut frozen = state.frozen.subscribe();
    loop {
        // Silent but open: read nothing, write nothing, until thawed.
        if !wait_while_frozen(&mut frozen).await {
            break;
        }
        tokio::select! {
            _ = frozen.changed() => continue,
            Some(out) = outgoing.recv() => {
                let message = match out {
                    Outgoing::Text(text) => Message::text(text),
                    Outgoing::Ping => Message::Ping(b"niochat".to_vec().into()),
                };
                if socket.send(message).await.is_err() {
                    break;
                }
            }
            read = socket.next() => match read {
                Some(Ok(Message::Text(text))) => match handle(state, peer, &user, text.as_str()) {
                    Ok(Some(reply)) => {
                        if socket.send(reply).await.is_err() {
                            break;
                        }
                    }
                    Ok(None) => {}
                    // A cut: TCP goes without a close frame, taking the answer with it.
                    Err(Cut) => break,
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(Message::Pong(_))) => {
                    state.pongs.fetch_add(1, Ordering::SeqCst);
                }
                Some(Ok(_)) => {}
            },
        }
    }
}

fn refusal(status: u16) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(format!("refused with {status}")));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
    response
}

/// The connection is cut (fault injection).
struct Cut;

/// Protocol 001, frame by frame. Returns the reply to this connection, if any.
fn handle(state: &State, peer: u64, user: &str, text: &str) -> Result<Option<Message>, Cut> {
    let frame = match JsonCodec.decode_client(text) {
        Ok(frame) => frame,
        Err(DecodeError::NotJson { .. }) => {
            let close = CloseFrame {
                code: CloseCode::Error,
                reason: "invalid JSON".into(),
            };
            return Ok(Some(Message::Close(Some(close))));
        }
        Err(error) => {
            return Ok(reply(error_frame(
                ErrorCode::ValidationError,
                &error.to_string(),
            )));
        }
    };
    let user_id = Id::from(user);
    let rejection = match &frame {
        ClientFrame::Message(_) => state.faults().rejections.pop_front(),
        _ => None,
    };
    let frame = match frame {
        // Like the real server: an empty message is a validation error, not a message error.
        ClientFrame::Message(message) if message.content.trim().is_empty() => error_frame(
            ErrorCode::ValidationError,
            "Message content cannot be empty",
        ),
        ClientFrame::Message(_) if rejection.is_some() => error_frame(
            rejection.unwrap_or(ErrorCode::MessageError),
            "rejected by fault injection",
        ),
        ClientFrame::Message(message) => {
            let stored = store_and_broadcast(
                state,
                Some(peer),
                user,
                message.conversation_id,
                message.content,
            );
            if state.faults().cut_before_ack > 0 {
                state.faults().cut_before_ack -= 1;
                return Err(Cut);
            }
            ServerFrame::MessageSent(MessageSent {
                message_id: stored.id,
                timestamp: stored.created_at,
            })
        }
        ClientFrame::Typing(typing) => {
            let update = ServerFrame::Typing(TypingUpdate {
                user_id,
                conversation_id: typing.conversation_id.clone(),
                is_typing: typing.is_typing,
            });
            state.broadcast(
                &typing.conversation_id,
                Some(peer),
                &JsonCodec.encode_server(&update),
            );
            confirmation(ServerFrame::TypingSent, None, json!({}))
        }
        ClientFrame::Read(read) => {
            let receipt = ServerFrame::Read(ReadReceipt {
                user_id,
                conversation_id: read.conversation_id.clone(),
                message_id: read.message_id,
                read_at: Some(now()),
            });
            state.broadcast(
                &read.conversation_id,
                Some(peer),
                &JsonCodec.encode_server(&receipt),
            );
            confirmation(ServerFrame::ReadSent, None, json!({}))
        }
        ClientFrame::Sync(sync) => {
            let history = state
                .store()
                .get(&sync.conversation_id)
                .cloned()
                .unwrap_or_default();
            let start = sync
                .last_message_id
                .and_then(|last| {
                    history
                        .iter()
                        .position(|message| message.id == last)
                        .map(|at| at + 1)
                })
                .unwrap_or(0);
            let messages = history[start..].to_vec();
            let count = Some(messages.len() as u64);
            ServerFrame::SyncData(SyncData {
                conversation_id: sync.conversation_id,
                messages,
                count,
            })
        }
        ClientFrame::Ping(_) => ServerFrame::Pong(Pong {
            timestamp: Some(now()),
        }),
        // Like the real server: acknowledged, never broadcast to other users.
        ClientFrame::Presence(presence) => confirmation(
            ServerFrame::PresenceUpdated,
            None,
            json!({"status": presence.status.as_str()}),
        ),
        ClientFrame::Join(join) => {
            if let Some(me) = state.peers().get_mut(&peer) {
                me.rooms.insert(join.conversation_id.clone());
            }
            confirmation(ServerFrame::Joined, Some(join.conversation_id), json!({}))
        }
        ClientFrame::Leave(leave) => {
            if let Some(me) = state.peers().get_mut(&peer) {
                me.rooms.remove(&leave.conversation_id);
            }
            confirmation(ServerFrame::Left, Some(leave.conversation_id), json!({}))
        }
        ClientFrame::Unknown(raw) => {
            let kind = raw
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            error_frame(
                ErrorCode::UnknownType,
                &format!("Unknown message type: {kind}"),
            )
        }
    };
    Ok(reply(frame))
}

/// Stores a message with a server id and time, and sends it to the room's other members.
pub(crate) fn store_and_broadcast(
    state: &State,
    from: Option<u64>,
    user: &str,
    conversation: Id,
    content: String,
) -> ChatMessage {
    let message = ChatMessage {
        id: Id::from(uuid()),
        conversation_id: conversation.clone(),
        user_id: Some(Id::from(user)),
        content: Content::Text(content),
        role: Some("user".into()),
        created_at: Some(now()),
        extra: Map::new(),
    };
    state
        .store()
        .entry(conversation.clone())
        .or_default()
        .push(message.clone());
    let frame = ServerFrame::Message(NewMessage {
        message: message.clone(),
    });
    state.broadcast(&conversation, from, &JsonCodec.encode_server(&frame));
    message
}

fn confirmation(
    kind: fn(Reply) -> ServerFrame,
    conversation_id: Option<Id>,
    extra: Value,
) -> ServerFrame {
    let extra = match extra {
        Value::Object(extra) => extra,
        _ => Map::new(),
    };
    kind(Reply {
        conversation_id,
        success: Some(true),
        extra,
    })
}

fn error_frame(code: ErrorCode, error: &str) -> ServerFrame {
    ServerFrame::Error(ServerError {
        error: error.to_owned(),
        code,
    })
}

fn reply(frame: ServerFrame) -> Option<Message> {
    Some(Message::text(JsonCodec.encode_server(&frame)))
}

/// The real server's format: naive UTC with microseconds.
fn now() -> Timestamp {
    Timestamp::naive_utc(chrono::Utc::now())
}
