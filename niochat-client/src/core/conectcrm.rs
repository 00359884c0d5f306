//! ConectCRM's typed requests over a [`Client`]: the answers its acks carry, read into types.
//! The protocol itself is in [`dialect::conectcrm`](crate::dialect::conectcrm).

use serde_json::Value;

use super::Client;
use crate::dialect::conectcrm::{ConectCrmCommand, ContactStatus};
use crate::dialect::{BackendCommand, Command, Rejection};
use crate::engine::{CommandError, DeliveryError, Reply};
use crate::model::{Id, PresenceStatus};

/// ConectCRM's typed requests on a [`Client`] built with
/// [`Backend::ConectCrm`](crate::Backend::ConectCrm).
#[derive(Clone, Copy, Debug)]
pub struct ConectCrmAgent<'a>(pub &'a Client);

impl ConectCrmAgent<'_> {
    /// `ticket:entrar`: enters a ticket's room (again after every reconnect). Resolves with the
    /// ticket id the server confirmed; `{success:false, message}` is a rejection.
    pub async fn enter_ticket(&self, ticket: impl Into<Id>) -> Result<Id, CommandError> {
        let ticket = ticket.into();
        let answer = self.0.request(Command::Join(ticket.clone())).await?;
        Ok(field(&answer, "ticketId").unwrap_or(ticket))
    }

    /// `ticket:sair`.
    pub async fn leave_ticket(&self, ticket: impl Into<Id>) -> Result<(), CommandError> {
        self.0.leave(ticket).await
    }

    /// `atendente:status`: the agent's status (`online`, `ocupado`, `ausente`...). Resolves
    /// with the status the server recorded.
    pub async fn set_status(&self, status: &str) -> Result<String, CommandError> {
        let answer = self
            .0
            .request(Command::Presence(PresenceStatus::from(status)))
            .await?;
        Ok(field(&answer, "status").unwrap_or_else(|| status.to_owned()))
    }

    /// `contato:status:verificar`: whether a contact is online.
    pub async fn check_contact_status(
        &self,
        contact: impl Into<Id>,
    ) -> Result<ContactStatus, CommandError> {
        let command = ConectCrmCommand::CheckContactStatus {
            contact_id: contact.into(),
        };
        let answer = self
            .0
            .request(Command::Backend(BackendCommand::ConectCrm(command)))
            .await?;
        let payload = match answer {
            Reply::Confirmed(payload) => payload,
            _ => Value::Null,
        };
        serde_json::from_value(payload).map_err(|error| {
            let rejection = Rejection::new(None, format!("unreadable answer: {error}"));
            CommandError::Delivery(DeliveryError::Rejected(rejection))
        })
    }
}

/// A field of a confirmation's payload.
fn field<T: serde::de::DeserializeOwned>(reply: &Reply, name: &str) -> Option<T> {
    match reply {
        Reply::Confirmed(payload) => serde_json::from_value(payload.get(name)?.clone()).ok(),
        _ => None,
    }
}
