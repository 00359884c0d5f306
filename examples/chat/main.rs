//! A terminal chat on niochat.
//!
//! - `cargo run --example chat` starts an embedded protocol-001 reference server with a support
//!   agent who answers, and lets you chat with it: type a line to send it. `/drop`, `/freeze`,
//!   `/thaw` and `/restart` inject server faults so you can watch the client recover;
//!   `/metrics` shows the connection details; `/quit` leaves.
//! - `cargo run --example chat -- --backend renum|niochat|pytake|pytake-go|conectcrm --url URL
//!   [--conversation ID]` connects to a real backend. The token comes from `--token-file FILE`,
//!   the `NIOCHAT_TOKEN` variable, or `--token` (which leaves it in the shell history).
//! - `cargo run --example chat -- --demo` plays the whole story without input, checks it, and
//!   exits 0 when every message was delivered exactly once.
//!
//! Exit codes: 0 after `/quit` or end of input, 2 for bad arguments, 3 when the server refused
//! the credentials, 4 when the client gave up reconnecting.
#![forbid(unsafe_code)]

mod demo;
mod describe;
mod session;

use std::time::Duration;

use niochat_client::engine::ReconnectPolicy;
use niochat_client::{Backend, ClientBuilder};
use niochat_testkit::TestServer;

const CONVERSATION: &str = "support-42";
const USAGE: &str = "usage: chat [--demo] [--backend renum|niochat|pytake|pytake-go|conectcrm --url URL \
                     [--token-file FILE | --token TOKEN] [--conversation ID] [--user ID]]\n\
                     the token can also come from the NIOCHAT_TOKEN variable";

/// What the command line asked for.
enum Mode {
    Embedded,
    Remote(Remote),
    Demo,
}

struct Remote {
    url: String,
    backend: String,
    token: Option<String>,
    conversation: String,
    user: Option<String>,
}

#[tokio::main]
async fn main() {
    let code = match parse_args(std::env::args().skip(1).collect()) {
        Ok(Mode::Embedded) => embedded().await,
        Ok(Mode::Remote(remote)) => connect(remote).await,
        Ok(Mode::Demo) => demo::run().await,
        Err(message) => {
            eprintln!("{message}");
            2
        }
    };
    std::process::exit(code);
}

fn value(name: &str, args: &mut std::vec::IntoIter<String>) -> Result<String, String> {
    args.next()
        .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
}

fn parse_args(args: Vec<String>) -> Result<Mode, String> {
    let mut args = args.into_iter();
    let (mut url, mut token, mut token_file, mut user) = (None, None, None, None);
    let (mut backend, mut conversation, mut demo) = (None, None, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--demo" => demo = true,
            "--backend" => backend = Some(value("--backend", &mut args)?),
            "--url" => url = Some(value("--url", &mut args)?),
            "--token" => token = Some(value("--token", &mut args)?),
            "--token-file" => token_file = Some(value("--token-file", &mut args)?),
            "--conversation" => conversation = Some(value("--conversation", &mut args)?),
            "--user" => user = Some(value("--user", &mut args)?),
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if let Some(file) = token_file {
        let read = std::fs::read_to_string(&file)
            .map_err(|error| format!("cannot read the token file {file}: {error}"))?;
        token = Some(read.trim().to_owned());
    }
    let token = token.or_else(|| std::env::var("NIOCHAT_TOKEN").ok());
    Ok(match (demo, url) {
        (true, _) => Mode::Demo,
        (false, Some(url)) => Mode::Remote(Remote {
            url,
            backend: backend.unwrap_or_else(|| "renum".into()),
            token,
            conversation: conversation.unwrap_or_else(|| CONVERSATION.into()),
            user,
        }),
        (false, None) if backend.is_none() => Mode::Embedded,
        (false, None) => return Err(format!("--backend needs --url\n{USAGE}")),
    })
}

/// Quick reconnects, so that recoveries are visible without long waits.
fn brisk(builder: ClientBuilder) -> ClientBuilder {
    let mut policy = ReconnectPolicy::default();
    policy.initial_delay = Duration::from_millis(250);
    policy.max_delay = Duration::from_secs(4);
    builder
        .reconnect(policy)
        .keep_alive(Duration::from_secs(5), Duration::from_secs(3))
}

async fn embedded() -> i32 {
    let server = TestServer::start().await;
    println!("embedded protocol-001 server at {}", server.url());
    let agent = brisk(ClientBuilder::new(server.url()).token(server.token_for("agent")))
        .build()
        .expect("builds");
    let agent_events = agent.events();
    agent.connect();
    let _ = agent.join(CONVERSATION).await;
    tokio::spawn(session::answer_as_agent(agent.clone(), agent_events));

    let you = brisk(ClientBuilder::new(server.url()).token(server.token_for("you")))
        .build()
        .expect("builds");
    println!("you are 'you' in conversation {CONVERSATION}; type to chat, /help for commands");
    session::chat(you, CONVERSATION.to_owned(), Some(&server)).await
}

async fn connect(remote: Remote) -> i32 {
    let Some(backend) = backend_for(&remote) else {
        eprintln!("unknown backend {}\n{USAGE}", remote.backend);
        return 2;
    };
    let mut builder = ClientBuilder::new(remote.url).backend(backend);
    if let Some(token) = remote.token {
        builder = builder.token(token);
    }
    match builder.build() {
        Ok(client) => session::chat(client, remote.conversation, None).await,
        Err(error) => {
            eprintln!("{error}");
            2
        }
    }
}

fn backend_for(remote: &Remote) -> Option<Backend> {
    use niochat_client::dialect::{niochat, pytake_go};
    let user = remote.user.as_deref().map(Into::into);
    match remote.backend.as_str() {
        "pytake-go" => Some(Backend::PyTakeGo(pytake_go::PyTakeGo { user_id: user })),
        // A NioChat conversation is its own endpoint.
        "niochat" => {
            let mut protocol = niochat::NioChat::new(niochat::Endpoint::Conversation(
                remote.conversation.as_str().into(),
            ));
            protocol.user = user;
            Some(Backend::NioChat(protocol))
        }
        name => Backend::from_name(name),
    }
}
