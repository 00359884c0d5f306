//! A real socket.io 4.8 server (Node) whose `/atendimento` gateway behaves as ConectCRM's does,
//! run as a child process: `servers/conectcrm/server.js` (see its header and `WIRE.md`). Its
//! packages are installed by `cargo xtask test` (`npm ci` in that folder).

use serde_json::{Value, json};

use crate::child::{ChildServer, Recipe, workspace};
use crate::jwt::{TokenSecret, now};

/// The company every test user belongs to.
pub const COMPANY: &str = "11111111-1111-4111-8111-111111111111";

/// A running ConectCRM replica. Stops when dropped.
pub struct ConectCrmServer {
    server: ChildServer,
    secret: TokenSecret,
}

impl ConectCrmServer {
    /// Starts the server with ConectCRM's keep-alive timing (25 s interval, 20 s timeout).
    pub async fn start() -> Self {
        Self::start_with_ping(25_000, 20_000).await
    }

    /// Starts the server with its Engine.IO pings every `interval_ms`, waiting `timeout_ms`.
    pub async fn start_with_ping(interval_ms: u64, timeout_ms: u64) -> Self {
        let secret = TokenSecret::new("conectcrm");
        let folder = workspace().join("tests/servers/conectcrm");
        assert!(
            folder.join("node_modules/socket.io").exists(),
            "the ConectCRM server's packages are not installed: run `cargo xtask test` (it runs `npm ci` in {})",
            folder.display()
        );
        let mut args = vec![folder.join("server.js").display().to_string()];
        args.extend(secret.args());
        args.extend([
            "--ping-interval-ms".into(),
            interval_ms.to_string(),
            "--ping-timeout-ms".into(),
            timeout_ms.to_string(),
        ]);
        let recipe = Recipe {
            program: "node".into(),
            args,
        };
        Self {
            server: ChildServer::start(recipe).await,
            secret,
        }
    }

    /// `ws://127.0.0.1:<port>`: the client adds `/socket.io/?EIO=4&transport=websocket`.
    pub fn url(&self) -> String {
        self.server.ws_url()
    }

    /// A valid token for agent `user` (a uuid), with the claims ConectCRM's login signs.
    pub fn token_for(&self, user: &str) -> String {
        self.secret.valid(|exp| claims(user, exp))
    }

    /// An expired token for `user`: accepted and at once disconnected (`40` then `41`).
    pub fn expired_token(&self, user: &str) -> String {
        self.secret.expired(|exp| claims(user, exp))
    }

    /// Opens a ticket (`novo_ticket` to the company); returns its id.
    pub async fn open_ticket(&self, contact: &str) -> String {
        let body = json!({"empresaId": COMPANY, "contatoNome": contact});
        let created = self.server.http("POST", "/api/tickets", &[], &body).await;
        let id = created["data"]["id"].as_str().or(created["id"].as_str());
        id.expect("the ticket's id").to_owned()
    }

    /// Changes a ticket's status (`ticket:status` + `ticket_atualizado`).
    pub async fn set_ticket_status(&self, ticket: &str, status: &str) {
        let path = format!("/api/tickets/{ticket}");
        self.server
            .http("PUT", &path, &[], &json!({"status": status}))
            .await;
    }

    /// Assigns `ticket` to agent `user` (`ticket:atribuido` + `ticket_atualizado`).
    pub async fn assign_ticket(&self, ticket: &str, user: &str) {
        let path = format!("/api/tickets/{ticket}/atribuir");
        self.server
            .http("POST", &path, &[], &json!({"atendenteId": user}))
            .await;
    }

    /// A message stored on `ticket` and pushed as `nova_mensagem`, with `remetente` as an
    /// object (`shape = "object"`) or the plain string (`"string"`). Returns what was pushed.
    pub async fn post_message(&self, ticket: &str, text: &str, sender: &str, shape: &str) -> Value {
        let body =
            json!({"ticketId": ticket, "conteudo": text, "remetente": sender, "shape": shape});
        let stored = self.server.http("POST", "/api/mensagens", &[], &body).await;
        stored.get("data").cloned().unwrap_or(stored)
    }

    /// `notificacao` to `user`.
    pub async fn notify(&self, user: &str, kind: &str, data: Value) {
        let body = json!({"userId": user, "tipo": kind, "dados": data});
        self.server
            .http("POST", "/test/notificacao", &[], &body)
            .await;
    }

    /// Any event in the namespace, to everyone or to `room`.
    pub async fn emit(&self, event: &str, data: Value, room: Option<&str>) {
        let body = json!({"event": event, "data": data, "room": room});
        self.server.http("POST", "/test/emit", &[], &body).await;
    }

    /// `{"connections", "authFailures", "rooms": {room: [users]}}`.
    pub async fn stats(&self) -> Value {
        self.server
            .http("GET", "/test/stats", &[], &Value::Null)
            .await
    }

    /// Disconnects every client server-side (`41/atendimento,`).
    pub async fn disconnect_all(&self) {
        let path = "/test/disconnect-all";
        self.server.http("POST", path, &[], &json!({})).await;
    }

    /// A restart on the same port.
    pub async fn restart(&self) {
        self.server.stop().await;
        self.server.resume().await;
    }
}

/// The claims ConectCRM's login signs for agent `user`.
fn claims(user: &str, exp: u64) -> Value {
    json!({
        "sub": user, "email": format!("{user}@example.com"), "empresa_id": COMPANY,
        "role": "vendedor", "iat": now(), "exp": exp,
    })
}
