//! ConectCRM (backend 004): NestJS with socket.io 4.8, namespace `/atendimento`.
//!
//! The token goes in the CONNECT auth payload (`{"token"}`). The gateway checks it only after
//! acknowledging the namespace: a refused token is `40/atendimento,{sid}` followed at once by
//! `41/atendimento,` — never a CONNECT error. The session is therefore ready on the server's
//! `connected` event, and a disconnect before it is refused authentication (one token
//! refresh, then `unauthorized`; the original front end reconnected in a hot loop).
//!
//! Conversations are tickets: `join` is `ticket:entrar` (tickets entered are entered again
//! after every reconnect), `leave` is `ticket:sair`, typing is `mensagem:digitando` (start
//! only, and the only request the gateway never acknowledges), presence is the agent's status
//! `atendente:status`. Acks carry `{success, ...}`: `success: false` is a rejection with the
//! server's message. [`ConectCrmAgent`](crate::core::ConectCrmAgent) gives the typed answers
//! and ConectCRM's own request, `contato:status:verificar`. There is no history sync and no sending of messages on the
//! socket: they go through the REST API and come back as `nova_mensagem`.
//!
//! Server events: `nova_mensagem` (with `remetente` as an object `{id, nome, foto, tipo}` — whose
//! `id` is the message's — or the plain string `"CLIENTE"` / `"ATENDENTE"`) is a chat message;
//! `mensagem:digitando` is typing; `atendente:online` / `atendente:offline` /
//! `atendente:status:atualizado` are presence; tickets, notifications and contact statuses are
//! [`ConectCrmEvent`]s; `exception` is a server notice.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::socket_io::{EventArgs, Preset, SocketIo, default_answer};
use super::{
    Answer, AnswerMode, BackendCommand, BackendEvent, Capabilities, ChatEvent, Command,
    CommandKind, Dialect, KeepAliveMode, Protocol, Rejection, RoomMode, Unsupported,
};
use crate::auth::AuthToken;
use crate::model::extra::with_fields;
use crate::model::{
    ChatMessage, Content, Id, PresenceStatus, PresenceUpdate, Timestamp, TypingUpdate,
};

const CAPABILITIES: Capabilities = Capabilities::new(
    RoomMode::Frames,
    false,
    AnswerMode::ByAckId,
    KeepAliveMode::ServerPing,
    &[
        CommandKind::Join,
        CommandKind::Leave,
        CommandKind::Typing,
        CommandKind::Presence,
        CommandKind::Backend,
    ],
);

/// ConectCRM as a [`Protocol`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ConectCrm;

impl Protocol for ConectCrm {
    fn name(&self) -> &'static str {
        "conectcrm"
    }

    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn dialect(&self, token: Option<AuthToken>) -> Box<dyn Dialect> {
        SocketIo::new(Gateway).dialect(token)
    }
}

/// ConectCRM's own requests, beyond the common commands.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ConectCrmCommand {
    /// `contato:status:verificar`: ask whether a contact is online.
    CheckContactStatus {
        /// The contact (ConectCRM's contact ids are numbers).
        contact_id: Id,
    },
}

/// A ticket as ConectCRM sends it (`novo_ticket`, `ticket_atualizado`, `ticket:status`,
/// `ticket:atribuido`...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    /// The ticket (uuid). Payloads repeat it as `ticketId`, kept in `extra`.
    pub id: Id,
    /// Its number for people: a JSON number, or a string where the database's bigint
    /// columns come through as text (both read, and compare equal).
    #[serde(default)]
    pub numero: Option<Id>,
    /// `FILA`, `EM_ATENDIMENTO`, `AGUARDANDO_CLIENTE`, `ENCERRADO`...
    #[serde(default)]
    pub status: Option<String>,
    /// The agent it is assigned to.
    #[serde(default)]
    pub atendente_id: Option<Id>,
    /// The contact's name.
    #[serde(default)]
    pub contato_nome: Option<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// ConectCRM's events that have no place in the common chat vocabulary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ConectCrmEvent {
    /// `connected{message, clientId}`: the session is ready.
    Connected {
        /// The greeting.
        message: Option<String>,
        /// The connection's id on the server.
        client_id: Option<String>,
    },
    /// `novo_ticket`.
    NewTicket(Ticket),
    /// `ticket_atualizado`.
    TicketUpdated(Ticket),
    /// `ticket:status`.
    TicketStatus(Ticket),
    /// `ticket:atribuido`: a ticket was assigned to this agent.
    TicketAssigned(Ticket),
    /// `ticket_transferido` (documented; the real backend never sends it).
    TicketTransferred(Value),
    /// `ticket_encerrado` (documented; the real backend never sends it).
    TicketClosed(Value),
    /// `mensagem:nao-atribuida`: a message on a ticket no agent has.
    UnassignedMessage(Value),
    /// `notificacao{tipo, dados, timestamp}`.
    Notification {
        /// The kind (`sla_alerta`...).
        tipo: String,
        /// Its data.
        dados: Value,
        /// When.
        timestamp: Option<Timestamp>,
    },
    /// `contato:status:resposta` / `contato:status:atualizado`: whether a contact is online.
    ContactStatus(ContactStatus),
}

/// Whether a contact is online (`contato:status:*`, and the answer to
/// [`ConectCrmAgent::check_contact_status`](crate::core::ConectCrmAgent::check_contact_status)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactStatus {
    /// The contact.
    pub contato_id: Id,
    /// Online now.
    pub is_online: bool,
    /// Their last activity, when known.
    #[serde(default)]
    pub last_activity: Option<Timestamp>,
}

/// `nova_mensagem`, in either shape the real server sends.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NovaMensagem {
    id: Id,
    ticket_id: Id,
    #[serde(default)]
    conteudo: Option<Content>,
    #[serde(default)]
    remetente: Option<Value>,
    /// One path sends `timestamp` (and `criadoEm`), the other `createdAt`.
    #[serde(default)]
    timestamp: Option<Timestamp>,
    #[serde(default)]
    created_at: Option<Timestamp>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl From<NovaMensagem> for ChatMessage {
    fn from(message: NovaMensagem) -> Self {
        // `remetente` is `{id, nome, foto, tipo}` (its id is the message's own) or a string.
        let role = match &message.remetente {
            // `"CLIENTE"` / `"ATENDENTE"`: ASCII, and Unicode case tables would be 4 KB of the
            // npm package for them.
            Some(Value::String(who)) => Some(who.to_ascii_lowercase()),
            Some(Value::Object(who)) => who.get("tipo").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        };
        let extra = with_fields(message.extra, [("remetente", message.remetente)]);
        ChatMessage {
            id: message.id,
            conversation_id: message.ticket_id,
            user_id: None,
            content: message.conteudo.unwrap_or(Content::Text(String::new())),
            role,
            created_at: message.timestamp.or(message.created_at),
            extra,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Digitando {
    ticket_id: Id,
    user_id: Id,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AgentPresence {
    user_id: Id,
    #[serde(default)]
    status: Option<PresenceStatus>,
    #[serde(default)]
    timestamp: Option<Timestamp>,
}

#[derive(Deserialize)]
struct Greeting {
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "clientId")]
    client_id: Option<String>,
}

#[derive(Deserialize)]
struct Notice {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct Notificacao {
    tipo: String,
    #[serde(default)]
    dados: Value,
    #[serde(default)]
    timestamp: Option<Timestamp>,
}

/// The `/atendimento` gateway on top of the shared Socket.IO dialect.
#[derive(Clone, Copy, Debug, Default)]
struct Gateway;

impl Preset for Gateway {
    type State = ();

    fn name(&self) -> &'static str {
        "conectcrm"
    }

    fn namespace(&self) -> &'static str {
        "/atendimento"
    }

    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn ready_event(&self) -> Option<&'static str> {
        Some("connected")
    }

    /// The server's `connected` names only the socket; its JWT's `sub` is the agent.
    fn token_user_id(&self, token: Option<&AuthToken>) -> Option<Id> {
        match crate::auth::jwt_claim(token?, "sub")? {
            Value::String(id) => Some(Id::from(id.as_str())),
            Value::Number(number) => number.as_i64().map(Id::from),
            _ => None,
        }
    }

    fn expects_answer(&self, command: &Command) -> bool {
        !matches!(command, Command::Typing { .. })
    }

    fn encode(&self, command: &Command) -> Result<(&'static str, Vec<Value>), Unsupported> {
        let ticket = |ticket: &Id| vec![json!({ "ticketId": ticket })];
        Ok(match command {
            Command::Join(id) => ("ticket:entrar", ticket(id)),
            Command::Leave(id) => ("ticket:sair", ticket(id)),
            Command::Typing {
                conversation_id,
                is_typing: true,
            } => ("mensagem:digitando", ticket(conversation_id)),
            Command::Presence(status) => ("atendente:status", vec![json!({ "status": status })]),
            Command::Backend(BackendCommand::ConectCrm(ConectCrmCommand::CheckContactStatus {
                contact_id,
            })) => (
                "contato:status:verificar",
                vec![json!({ "contatoId": contact_id })],
            ),
            // Typing stop has no frame here; neither has anything else.
            other => {
                return Err(Unsupported {
                    command: other.kind(),
                    backend: self.name(),
                });
            }
        })
    }

    fn answer(
        &self,
        _state: &mut (),
        command: &Command,
        args: Vec<Value>,
    ) -> Result<Answer, Rejection> {
        default_answer(command.kind(), args)
    }

    fn decode(
        &self,
        _state: &mut (),
        event: &str,
        args: EventArgs<'_>,
    ) -> Result<Option<ChatEvent>, String> {
        let presence = |status: Option<PresenceStatus>| {
            let agent: AgentPresence = args.first()?;
            Ok::<_, String>(ChatEvent::Presence(PresenceUpdate {
                user_id: agent.user_id,
                status: status.or(agent.status).unwrap_or(PresenceStatus::Online),
                timestamp: agent.timestamp,
            }))
        };
        Ok(Some(match event {
            "nova_mensagem" => ChatEvent::Message(args.first::<NovaMensagem>()?.into()),
            "mensagem:digitando" => {
                let typing: Digitando = args.first()?;
                ChatEvent::Typing(TypingUpdate {
                    user_id: typing.user_id,
                    conversation_id: typing.ticket_id,
                    is_typing: true,
                })
            }
            "atendente:online" => presence(Some(PresenceStatus::Online))?,
            "atendente:offline" => presence(Some(PresenceStatus::Offline))?,
            "atendente:status:atualizado" => presence(None)?,
            "exception" => ChatEvent::ServerNotice {
                code: None,
                message: args.first::<Notice>()?.message.unwrap_or_default(),
            },
            "connected" => {
                let greeting: Greeting = args.first()?;
                crm(ConectCrmEvent::Connected {
                    message: greeting.message,
                    client_id: greeting.client_id,
                })
            }
            "novo_ticket" => crm(ConectCrmEvent::NewTicket(args.first()?)),
            "ticket_atualizado" => crm(ConectCrmEvent::TicketUpdated(args.first()?)),
            "ticket:status" => crm(ConectCrmEvent::TicketStatus(args.first()?)),
            "ticket:atribuido" => crm(ConectCrmEvent::TicketAssigned(args.first()?)),
            "ticket_transferido" => crm(ConectCrmEvent::TicketTransferred(args.first()?)),
            "ticket_encerrado" => crm(ConectCrmEvent::TicketClosed(args.first()?)),
            "mensagem:nao-atribuida" => crm(ConectCrmEvent::UnassignedMessage(args.first()?)),
            "notificacao" => {
                let notice: Notificacao = args.first()?;
                crm(ConectCrmEvent::Notification {
                    tipo: notice.tipo,
                    dados: notice.dados,
                    timestamp: notice.timestamp,
                })
            }
            "contato:status:resposta" | "contato:status:atualizado" => {
                crm(ConectCrmEvent::ContactStatus(args.first()?))
            }
            _ => return Ok(None),
        }))
    }
}

fn crm(event: ConectCrmEvent) -> ChatEvent {
    ChatEvent::Backend(BackendEvent::ConectCrm(event))
}
