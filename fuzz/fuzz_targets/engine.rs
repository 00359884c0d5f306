//! The engine fed an arbitrary sequence of events: frames (lines of the input), binary
//! frames, closes, timer ticks, sends and network signals, on a virtual clock. It must never
//! panic, and every accepted message stays queued until it is acknowledged or failed.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use niochat_client::dialect::Backend;
use niochat_client::engine::{Action, ConnectionId, Engine, EngineConfig, TransportEvent};
use web_time::Instant;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let backend = match pick % 3 {
        0 => Backend::Renum,
        1 => Backend::PyTake,
        _ => Backend::ConectCrm,
    };
    let Ok(mut engine) = Engine::new(EngineConfig::new("ws://127.0.0.1:9/ws"), backend.protocol())
    else {
        return;
    };
    let mut now = Instant::now();
    let mut live: Option<ConnectionId> = None;
    engine.connect(now);
    let text = String::from_utf8_lossy(rest);
    for (index, line) in text.split('\n').enumerate() {
        drain(&mut engine, now, &mut live);
        let Some(connection) = live else {
            now += Duration::from_secs(40);
            engine.handle_timeout(now);
            continue;
        };
        match line.as_bytes().first().copied().unwrap_or(0) % 8 {
            0 => engine.handle_transport(now, connection, TransportEvent::Binary(line.as_bytes().to_vec())),
            1 => {
                live = None;
                engine.handle_transport(now, connection, TransportEvent::Closed { code: Some(1006), reason: line.to_owned() });
            }
            2 => {
                now += Duration::from_millis(u64::from(line.len() as u8) * 100);
                engine.handle_timeout(now);
            }
            3 => {
                let _ = engine.send_message(now, "c".into(), line);
            }
            4 if index % 2 == 0 => engine.network_lost(now),
            4 => engine.network_available(now),
            _ => engine.handle_text(now, connection, line),
        }
    }
    drain(&mut engine, now, &mut live);
});

/// Carries out the engine's actions: tokens are given, sockets open at once.
fn drain(engine: &mut Engine, now: Instant, live: &mut Option<ConnectionId>) {
    let mut rounds = 0;
    while let Some(action) = engine.poll_action() {
        rounds += 1;
        if rounds > 10_000 {
            panic!("the engine keeps producing actions");
        }
        match action {
            Action::RequestToken { connection, .. } => {
                engine.handle_token(now, connection, Ok(Some("t".into())))
            }
            Action::Open { connection, .. } => {
                *live = Some(connection);
                engine.handle_transport(now, connection, TransportEvent::Opened);
            }
            Action::Close { connection, .. } if *live == Some(connection) => *live = None,
            _ => {}
        }
    }
}
