//! A terminal chat on niochat.
//!
//! - `cargo run --example chat` starts an embedded reference server with a support agent who
//!   answers, and lets you chat with it: type a line to send it. `/drop`, `/freeze`, `/thaw`
//!   and `/restart` inject server faults so you can watch the client recover; `/metrics`
//!   shows the connection details; `/quit` leaves.
//! - `cargo run --example chat -- --url wss://host/ws --token JWT [--conversation ID]`
//!   connects to any protocol-001 backend instead; `--backend pytake --url ws://host:8000`
//!   to a PyTake (Socket.IO) backend, which takes messages through its REST API: there the
//!   chat shows what arrives and sends typing indicators.
//! - `cargo run --example chat -- --demo` plays the whole story without input, checks it, and
//!   exits 0 when every message was delivered exactly once.

use std::time::Duration;

use niochat_client::dialect::CommandKind;
use niochat_client::engine::ReconnectPolicy;
use niochat_client::{
    Backend, Client, ClientBuilder, Event, EventStream, MessageState, Origin, PresenceStatus,
    Status,
};
use niochat_testkit::TestServer;
use tokio::io::{AsyncBufReadExt, BufReader};

const CONVERSATION: &str = "support-42";

enum Mode {
    Embedded,
    Remote {
        url: String,
        backend: Backend,
        token: Option<String>,
        conversation: String,
    },
    Demo,
}

#[tokio::main]
async fn main() {
    let code = match parse_args(std::env::args().skip(1).collect()) {
        Ok(Mode::Embedded) => embedded().await,
        Ok(Mode::Remote {
            url,
            backend,
            token,
            conversation,
        }) => remote(url, backend, token, conversation).await,
        Ok(Mode::Demo) => demo().await,
        Err(usage) => {
            eprintln!("{usage}");
            2
        }
    };
    std::process::exit(code);
}

fn parse_args(args: Vec<String>) -> Result<Mode, String> {
    let usage = "usage: chat [--demo] [--backend renum|pytake --url ws://host/ws [--token JWT] [--conversation ID]]";
    let (mut url, mut token, mut conversation, mut demo) =
        (None, None, CONVERSATION.to_owned(), false);
    let mut backend = Backend::Renum;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--demo" => demo = true,
            "--backend" => {
                let name = args.next().ok_or(usage)?;
                backend = Backend::from_name(&name)
                    .ok_or_else(|| format!("unknown backend {name}\n{usage}"))?;
            }
            "--url" => url = Some(args.next().ok_or(usage)?),
            "--token" => token = Some(args.next().ok_or(usage)?),
            "--conversation" => conversation = args.next().ok_or(usage)?,
            "--help" | "-h" => return Err(usage.to_owned()),
            other => return Err(format!("unknown argument {other}\n{usage}")),
        }
    }
    Ok(match (demo, url, &backend) {
        (true, _, _) => Mode::Demo,
        (false, Some(url), _) => Mode::Remote {
            url,
            backend,
            token,
            conversation,
        },
        (false, None, Backend::Renum) => Mode::Embedded,
        (false, None, _) => return Err(format!("--backend needs --url\n{usage}")),
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
    tokio::spawn(answer_as_agent(agent.clone(), agent_events));

    let you = brisk(ClientBuilder::new(server.url()).token(server.token_for("you")))
        .build()
        .expect("builds");
    println!("you are 'you' in conversation {CONVERSATION}; type to chat, /help for commands");
    chat(you, CONVERSATION.to_owned(), Some(&server)).await;
    0
}

async fn remote(url: String, backend: Backend, token: Option<String>, conversation: String) -> i32 {
    let mut builder = ClientBuilder::new(url).backend(backend);
    if let Some(token) = token {
        builder = builder.token(token);
    }
    match builder.build() {
        Ok(client) => {
            chat(client, conversation, None).await;
            0
        }
        Err(error) => {
            eprintln!("{error}");
            2
        }
    }
}

/// The interactive loop: lines from the terminal in, events out.
async fn chat(client: Client, conversation: String, server: Option<&TestServer>) {
    tokio::spawn(print_events("", client.events()));
    client.connect();
    if let Err(error) = client.join(conversation.as_str()).await {
        println!("  ✗ could not join {conversation}: {error}");
    }
    if client.capabilities().supports(CommandKind::Presence) {
        let _ = client.set_presence(PresenceStatus::Online).await;
    }
    let can_send = client.capabilities().supports(CommandKind::Message);
    if !can_send {
        println!(
            "  ~ the {} backend takes messages through its REST API: typed lines send a typing indicator",
            client.backend()
        );
    }
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        match (line.trim(), server) {
            ("", _) => {}
            ("/quit", _) => break,
            ("/help", _) => println!(
                "/drop /freeze /thaw /restart (embedded server only), /metrics, /reconnect, /quit"
            ),
            ("/metrics", _) => println!("{:#?}", client.metrics().await),
            ("/reconnect", _) => client.reconnect(),
            ("/drop", Some(server)) => server.drop_all_connections(),
            ("/freeze", Some(server)) => server.freeze(),
            ("/thaw", Some(server)) => server.thaw(),
            ("/restart", Some(server)) => server.restart().await,
            (_, _) if !can_send => {
                let _ = client.set_typing(conversation.as_str(), true).await;
                let _ = client.set_typing(conversation.as_str(), false).await;
            }
            (text, _) => {
                if let Err(error) = client.queue_message(conversation.as_str(), text).await {
                    println!("  ✗ not sent: {error}");
                }
            }
        }
    }
    client.disconnect().await;
}

/// The embedded agent: shows typing, then answers every message.
async fn answer_as_agent(agent: Client, mut events: EventStream) {
    while let Some(event) = events.next().await {
        if let Event::Message { message, .. } = event {
            let text = message.content.text().unwrap_or_default().to_owned();
            let _ = agent
                .set_typing(message.conversation_id.clone(), true)
                .await;
            tokio::time::sleep(Duration::from_millis(600)).await;
            let _ = agent
                .set_typing(message.conversation_id.clone(), false)
                .await;
            let answer = format!("Thanks! I got \"{text}\" ({} chars).", text.chars().count());
            let _ = agent.queue_message(message.conversation_id, answer).await;
        }
    }
}

async fn print_events(who: &'static str, mut events: EventStream) {
    while let Some(event) = events.next().await {
        if let Some(line) = describe(&event) {
            println!("{who}{line}");
        }
    }
}

fn describe(event: &Event) -> Option<String> {
    Some(match event {
        Event::Status(Status::Reconnecting { attempt, delay, .. }) => {
            format!(
                "  ~ reconnecting: attempt {attempt} in {} ms",
                delay.as_millis()
            )
        }
        Event::Status(Status::Error(error)) => format!("  ~ {error}"),
        Event::Status(status) => format!("  ~ status: {}", status.name()),
        Event::Session(session) => match &session.user_id {
            Some(user) => format!("  ~ signed in as {user}"),
            None => "  ~ signed in".to_owned(),
        },
        Event::Message { message, origin } => {
            let from = message
                .user_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            let synced = if *origin == Origin::Sync {
                " (recovered by sync)"
            } else {
                ""
            };
            format!(
                "{from}: {}{synced}",
                message.content.text().unwrap_or("<structured>")
            )
        }
        Event::Outgoing {
            id,
            state: MessageState::Queued,
            ..
        } => format!("  · {id} queued"),
        Event::Outgoing {
            id,
            state: MessageState::Sent,
            ..
        } => format!("  · {id} sent"),
        Event::Outgoing {
            id,
            state: MessageState::Acknowledged(ack),
            ..
        } => {
            format!("  ✓ {id} stored as {}", ack.message_id)
        }
        Event::Outgoing {
            id,
            state: MessageState::Failed(error),
            ..
        } => format!("  ✗ {id} failed: {error}"),
        Event::Outgoing {
            id,
            state: MessageState::Held(reason),
            ..
        } => format!("  · {id} held until the next connect: {reason}"),
        Event::OwnMessageCopy { id, message } => {
            format!("  ! the server stored {id} twice (copy {})", message.id)
        }
        Event::HistoryGap {
            conversation_id, ..
        } => format!("  ! messages of {conversation_id} missed while away cannot be recovered"),
        Event::MessageStatus(status) => format!("  ✓ {} is {}", status.message_id, status.status),
        Event::Typing(typing) if typing.is_typing => format!("  … {} is typing", typing.user_id),
        Event::Presence(presence) => format!("  ~ {} is {}", presence.user_id, presence.status),
        Event::ServerNotice { message, .. } => format!("  ! the server says: {message}"),
        Event::Malformed(error) => format!("  ! unreadable frame: {error}"),
        Event::Unknown(frame) => format!("  ? unknown frame: {}", frame.raw),
        _ => return None,
    })
}

/// The story, unattended: chat, a server drop with messages written offline, an app that
/// goes away and syncs what it missed. Exits 1 if anything was lost or duplicated.
async fn demo() -> i32 {
    let server = TestServer::start().await;
    println!("== embedded server at {}", server.url());
    let alice = brisk(ClientBuilder::new(server.url()).token(server.token_for("alice")))
        .build()
        .expect("builds");
    let bob = brisk(ClientBuilder::new(server.url()).token(server.token_for("bob")))
        .build()
        .expect("builds");
    tokio::spawn(print_events("[alice] ", alice.events()));
    tokio::spawn(print_events("[bob]   ", bob.events()));
    let mut bob_inbox = bob.events();
    for client in [&alice, &bob] {
        client.connect();
        // Resolves once the server answered: nothing is sent to a room before it has members.
        client.join(CONVERSATION).await.expect("joined");
    }
    let mut expected = Vec::new();

    println!("== 1. alice and bob chat");
    for text in [
        "Hi, my order #1234 hasn't arrived.",
        "It was due on Monday.",
    ] {
        alice
            .send_message(CONVERSATION, text)
            .await
            .expect("acknowledged");
        expected.push(text);
    }

    println!("== 2. the server drops everyone; alice keeps typing while offline");
    server.drop_all_connections();
    for text in ["Hello? Are you still there?", "I'll wait."] {
        let id = alice
            .queue_message(CONVERSATION, text)
            .await
            .expect("queued");
        println!("[alice] wrote {id} while {}", alice.status().name());
        expected.push(text);
    }
    until(&alice, Status::Connected).await;

    println!("== 3. bob's app goes away; alice writes; bob comes back and syncs");
    until(&bob, Status::Connected).await;
    bob.disconnect().await;
    alice
        .send_message(CONVERSATION, "Found the tracking number: BR123.")
        .await
        .expect("acknowledged");
    expected.push("Found the tracking number: BR123.");
    bob.connect();
    until(&bob, Status::Connected).await;
    alice
        .send_message(CONVERSATION, "Thanks!")
        .await
        .expect("acknowledged");
    expected.push("Thanks!");

    let received = collect(&mut bob_inbox, expected.len()).await;
    let metrics = alice.metrics().await.expect("metrics");
    println!(
        "== alice's connection: {} reconnect(s), rtt {:?}, queue {}",
        metrics.reconnects, metrics.rtt, metrics.queue_depth
    );
    if received == expected {
        println!(
            "demo: all {} messages reached bob exactly once, in order",
            expected.len()
        );
        0
    } else {
        eprintln!("demo FAILED\n expected {expected:?}\n received {received:?}");
        1
    }
}

async fn until(client: &Client, wanted: Status) {
    let mut changes = client.status_changes();
    let wait = async {
        while let Some(status) = changes.next().await {
            if status == wanted {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(20), wait).await;
}

/// Bob's messages until `count` arrived (or 20 s passed), then one more second to catch duplicates.
async fn collect(inbox: &mut EventStream, count: usize) -> Vec<String> {
    let mut received = Vec::new();
    let mut deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, inbox.next()).await {
        if let Event::Message { message, .. } = event {
            received.push(message.content.text().unwrap_or_default().to_owned());
            if received.len() == count {
                deadline = tokio::time::Instant::now() + Duration::from_secs(1);
            }
        }
    }
    received
}
