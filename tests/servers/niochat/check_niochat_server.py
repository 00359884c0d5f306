"""Print the exact wire behaviour of niochat_server.py, seen by a RAW WebSocket client (`websockets`, no
Channels client library), as markdown.

Run: target/niochat-venv/bin/python tests/servers/niochat/check_niochat_server.py > tests/servers/niochat/WIRE.md
Starts the server as a subprocess (plus a --real-only one), runs each scenario and prints `->` client to
server, `<-` server to client, HTTP control calls, and `t` seconds since the scenario began. Daphne's
WebSocket pings are shown by a tiny hand-rolled client (section j), since `websockets` answers them unseen.
The clients are in wire_clients.py, next to it; what it shares with check_pytake_server.py is in
../wire_log.py.
"""

import asyncio
import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # wire_log.py, shared with check_pytake_server.py

from wire_clients import KEY_A, KEY_B, UNKNOWN, Client, call, raw_ping, shorten  # noqa: E402
from wire_log import section, start_script  # noqa: E402


async def scenario_room(port):
    log, t0 = [], time.monotonic()
    a, b = Client("A", port, log, t0), Client("B", port, log, t0)
    await a.open(f"/ws/conversations/1/?token={KEY_A}")
    await b.open("/ws/conversations/1/")  # no token at all
    log.append("# ping (answered to the sender only)")
    await a.send('{"type":"ping"}')
    log.append("# a message sent by A: what A and B receive")
    await a.send(json.dumps({"type": "message", "message": {"content": "Olá, tudo bem?", "message_type": "text"},
                             "sender": "agent", "timestamp": "2025-10-23T10:00:00-03:00"}))
    await a.send('{"type":"message","message":"texto simples"}')
    await a.send('{"message":{"content":"sem type"},"sender":{"id":1}}')
    log.append("# typing")
    await b.send('{"type":"typing","user":"agente2","is_typing":true}')
    await b.send('{"type":"typing"}')
    log.append("# a type the consumer does not know")
    await a.send('{"type":"read","message_id":1}')
    log.append("# server-side messages (customer via the WhatsApp webhook, agent via send_text)")
    await call(log, t0, port, "POST", "/test/conversations/1/messages",
               {"content": "Oi, preciso de ajuda", "sender": "customer", "external_id": "3EB0C767D26A1D8E"})
    await call(log, t0, port, "POST", "/test/conversations/1/messages",
               {"content": "Claro! Como posso ajudar?", "sender": "agent"})
    log.append("# deletion by the agent (id 1), then by the customer on WhatsApp (id 2)")
    await call(log, t0, port, "POST", "/test/conversations/1/messages/1/delete", {"deleted_by": 1}, show_reply=False)
    await call(log, t0, port, "POST", "/test/conversations/1/messages/2/delete", {"deleted_by": "client"},
               show_reply=False)
    log.append("# reactions: the agent reacts to message 1, then the customer reacts to message 2")
    await call(log, t0, port, "POST", "/test/conversations/1/messages/1/reaction", {"emoji": "👍", "user_id": 1},
               show_reply=False)
    await call(log, t0, port, "POST", "/test/conversations/1/messages/2/reaction",
               {"emoji": "❤️", "from_customer": True}, show_reply=False)
    await call(log, t0, port, "POST", "/test/conversations/1/messages/1/reaction", {"emoji": ""}, show_reply=False)
    await a.close()
    await b.close()
    echo = [f for f in a.frames if f and '"texto simples"' in f]
    section("(a) ws/conversations/1/: two clients, A with a token, B without", log, [
        f"the sender gets its own message back: {bool(echo)} (group_send to the whole group, sender included)",
        "a client `message` is relayed with `message`, `sender` and `timestamp` exactly as sent (object or "
        "string; absent -> null); a frame without `type` counts as a message; unknown types get no reply",
        "server-originated messages: `sender` is null, `message` is the MessageSerializer object (no `sender` "
        "field: use `is_from_customer`), `created_at` in -03:00, envelope `timestamp` in +00:00",
        "a deletion re-sends `type:\"message\"` with the same id and `additional_attributes.status:\"deleted\"`; "
        "`deleted_at` is naive with a space",
        "the customer's reaction arrives as `message_updated` with `message: null`",
        "JSON uses `, ` / `: ` separators and \\u-escapes non-ASCII (emoji as surrogate pairs)",
    ])


async def scenario_handshakes(port, real_port):
    log, t0 = [], time.monotonic()
    rows = []
    await call(log, t0, port, "POST", "/test/tokens", {"key": KEY_B, "user_id": 2}, wait=0)
    await call(log, t0, port, "POST", "/test/tokens", {"key": "not-hex", "user_id": 3}, wait=0)
    cases = [
        (port, "/ws/user_status/", "no token"),
        (port, f"/ws/user_status/?token={UNKNOWN}", "unknown key"),
        (port, "/ws/user_status/?token=", "empty token"),
        (port, f"/ws/user_status/?token={KEY_A.upper()}", "valid key in upper case"),
        (port, f"/ws/user_status/?token={KEY_A}", "valid key"),
        (port, f"/ws/user/99/?token={KEY_B}", "valid key (URL id unused)"),
        (port, f"/ws/user_status/?x=1=2&token={KEY_A}", "a=b=c item: fallback parse"),
        (port, "/ws/conversations/1/", "no token"),
        (port, f"/ws/conversations/1/?token={UNKNOWN}", "unknown key"),
        (port, "/ws/conversations/abc/", "no token, non-numeric id"),
        (port, "/ws/conversations/1", "no trailing slash"),
        (port, "/ws/painel/1/", "no token"),
        (port, "/ws/conversas_dashboard/", "no token"),
        (port, "/ws/notifications/1/", "no token"),
        (port, "/ws/dashboard/", "no token (documented endpoint)"),
        (port, f"/ws/dashboard/?token={UNKNOWN}", "unknown key (documented endpoint)"),
        (port, f"/ws/dashboard/?token={KEY_A}", "valid key (documented endpoint)"),
        (real_port, f"/ws/dashboard/?token={KEY_A}", "--real-only server"),
        (port, "/ws/internal-chat/1/", "real route not replicated"),
        (port, "/nothing/", "unknown path"),
    ]
    for p, path, what in cases:
        c = Client("C" + ("*" if p == real_port else ""), p, log, t0)
        status = await c.open(path)
        if status is None:
            if "user" in path:
                await c.send('{"type":"ping"}', 0.2)
            await c.close()
        rows.append(f"| `{shorten(path)}`{' (--real-only)' if p == real_port else ''} | {what} | "
                    f"{'HTTP ' + str(status) if status else 'accepted (101)'} |")
    section("(b) handshakes: tokens, paths, refusals (`C*` = the --real-only server)", log)
    print("| path | case | outcome |\n|---|---|---|")
    print("\n".join(rows))
    print("\nThe token middleware never refuses: it sets an anonymous user. Only ws/user_status/ and "
          "ws/user/<id>/ (and the documented ws/dashboard/ of the replica) close an anonymous socket before "
          "accepting it, which daphne answers with HTTP 403. A path without a route (no trailing slash, "
          "ws/dashboard/ on the real server) makes the router raise: HTTP 500, sent by daphne's once-a-second "
          "application check, so up to ~1 s after the request (a 403 is immediate). Neither response has a body. "
          "The key is not url-decoded and is case-sensitive.\n")


async def scenario_bad_input(port):
    log, t0 = [], time.monotonic()
    cases = [("/ws/conversations/5/", "this is not json"), ("/ws/conversations/5/", b"\x01\x02"),
             ("/ws/conversations/5/", "[1, 2]"), ("/ws/conversations/5/", '{"type":"message"}'),
             ("/ws/conversations/5/", ""), (f"/ws/user_status/?token={KEY_A}", "not json"),
             (f"/ws/dashboard/?token={KEY_A}", "not json"), ("/ws/painel/1/", "not json"),
             ("/ws/conversas_dashboard/", "not json")]
    results = []
    witness = Client("W", port, log, t0)
    await witness.open("/ws/conversations/5/")
    for path, frame in cases:
        c = Client("X", port, log, t0)
        await c.open(path)
        t1 = time.monotonic()
        await c.send(frame, 0)
        try:
            await asyncio.wait_for(asyncio.shield(c.reader), 2.5)
            results.append(f"| `{shorten(path)}` | `{frame!r}` | closed by the server, code {c.close_code}, "
                           f"{time.monotonic() - t1:.2f} s after the frame |")
        except asyncio.TimeoutError:
            await c.send('{"type":"ping"}', 0.3)
            results.append(f"| `{shorten(path)}` | `{frame!r}` | ignored: still open 2.5 s later |")
            await c.close()
    await witness.send('{"type":"ping"}', 0.2)
    await witness.close()
    section("(c) invalid input: non-JSON, binary, JSON that is not an object, a message without `message`", log)
    print("| path | frame sent | outcome |\n|---|---|---|")
    print("\n".join(results))
    print("\nAn exception in a consumer kills it; daphne's once-a-second application check then sends close "
          "1011 with no reason. `W`, another client of the same room, is not affected. Consumers without a "
          "receive() of their own (painel, conversas_dashboard) ignore every client frame.\n")


async def scenario_painel(port):
    log, t0 = [], time.monotonic()
    a, b = Client("P1", port, log, t0), Client("P2", port, log, t0)
    await a.open(f"/ws/painel/1/?token={KEY_A}")
    await b.open("/ws/painel/2/")
    await a.send('{"type":"ping"}')
    for body in ({"event_type": "conversation_created", "conversation_id": 7},
                 {"event_type": "conversation_closed", "conversation_id": 7},
                 {"event_type": "conversation_ended", "conversation_id": 7},
                 {"event_type": "conversation_assigned", "conversation_id": 7, "assignee_id": 1},
                 {"event_type": "conversation_updated", "conversation_id": 7},
                 {"type": "conversation_status_changed", "conversation_id": 7, "status": "closed"},
                 {"type": "conversation_status_changed", "message": "Conversa transferida para Suporte - Status: "
                  "Em Espera", "conversation": {"id": 7, "status": "pending", "assigned_team": "Suporte",
                                                 "contact": {"name": "Cliente 7", "phone": "5591900000007"}}},
                 {"type": "dashboard_event"}):
        await call(log, t0, port, "POST", "/test/painel/1/event", body, show_reply=False)
    await a.close()
    await b.close()
    section("(d) ws/painel/1/ (P2 is on provedor 2 and gets nothing)", log, [
        "`conversation_event.timestamp` is naive (`datetime.now().isoformat()`, no offset); "
        "`conversation_status_changed.timestamp` is stamped by the consumer in +00:00",
        "`dashboard_event` frames are forwarded as is: `{\"type\": \"whatsapp_beta_status\", ...}`",
        "the painel consumer has no receive(): `ping` gets no `pong`",
    ])


async def scenario_conversas_dashboard(port):
    log, t0 = [], time.monotonic()
    d = Client("D", port, log, t0)
    await d.open("/ws/conversas_dashboard/")
    await d.send('{"type":"ping"}')
    await call(log, t0, port, "POST", "/test/conversations/3/messages",
               {"content": "Mensagem do cliente", "sender": "customer"}, show_reply=False)
    await call(log, t0, port, "POST", "/test/conversations/3/messages",
               {"content": "Resposta do agente", "sender": "agent"}, show_reply=False)
    await call(log, t0, port, "POST", "/test/conversas_dashboard",
               {"conversation_id": 3, "status": "pending", "assignee_id": 1}, show_reply=False)
    await d.close()
    section("(e) ws/conversas_dashboard/", log, [
        "frames have NO `type`: `{\"action\": \"update_conversation\", \"conversation\": "
        "<ConversationSerializer, with every message of the conversation>}`",
        "sent for each customer message (webhook) but not for agent messages",
    ])


async def scenario_documented(port):
    log, t0 = [], time.monotonic()
    d = Client("DOC", port, log, t0)
    await d.open(f"/ws/dashboard/?token={KEY_A}")
    await d.send('{"type":"ping"}')
    _, reply = await call(log, t0, port, "POST", "/test/conversations/4/messages",
                          {"content": "Nova mensagem", "sender": "customer", "message_type": "text"},
                          show_reply=False)
    mid = json.loads(reply)["id"]
    await call(log, t0, port, "POST", f"/test/conversations/4/messages/{mid}/reaction",
               {"emoji": "👍", "user_id": 1}, show_reply=False)
    await call(log, t0, port, "POST", f"/test/conversations/4/messages/{mid}/delete", {"deleted_by": 1},
               show_reply=False)
    for kind, data in (
            ("dashboard_metrics", {"total_conversations": 100, "open_conversations": 25, "closed_conversations": 75,
                                   "average_satisfaction": 4.2, "resolution_rate": 0.85, "response_time": 120}),
            ("csat_update", {"conversation_id": 1, "rating": 5, "feedback": "Excelente atendimento!",
                             "contact_name": "João Silva", "timestamp": "2024-01-01T10:00:00Z"}),
            ("audit_log", {"id": 1, "action": "conversation_created",
                           "details": {"conversation_id": 1, "contact_name": "João Silva"},
                           "user": {"id": 1, "username": "agente1"}, "timestamp": "2024-01-01T10:00:00Z"})):
        await call(log, t0, port, "POST", f"/test/dashboard/{kind}", data, show_reply=False)
    u = Client("U", port, log, t0)
    await u.open(f"/ws/user_status/?token={KEY_B}")
    await u.close()
    await asyncio.sleep(0.3)
    await d.close()
    section("(f) documented ws/dashboard/ (replica only): the seven {type, data} events", log, [
        "chat_message / message_reaction / message_deleted follow the test-control actions; user_status follows "
        "ws/user_status/ connects and disconnects; the others are sent with POST /test/dashboard/<type>",
    ])


async def scenario_stats(port):
    log, t0 = [], time.monotonic()
    a = Client("A", port, log, t0)
    await a.open("/ws/conversations/9/")
    await call(log, t0, port, "GET", "/test/stats", wait=0)
    await a.close()
    section("(g) GET /test/stats (cumulative since the server started; `open` = sockets open now)", log, [
        "`crashed` counts applications that raised: the 500s of (b) and the 1011s of (c); `refused` the 403s",
    ])


async def scenario_daphne_pings():
    server = start_server("--ping-interval", "1", "--ping-timeout", "3")
    port = int(server.stdout.readline().split()[1])
    log1, _ = await raw_ping(port, True, 5)
    log2, _ = await raw_ping(port, False, 9)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=10)
    section("(j) daphne's WebSocket pings (server started with --ping-interval 1 --ping-timeout 3; the real "
            "server uses daphne's defaults, 20 s and 30 s): answered", log1)
    section("(j') the same, pings NOT answered", log2, [
        "daphne checks every 2 s; a PING goes out once `ping_interval` has passed since the last one; "
        "unanswered, autobahn drops the connection after `ping_timeout`",
    ])


async def scenario_sigterm():
    server = start_server()
    port = int(server.stdout.readline().split()[1])
    log, t0 = [], time.monotonic()
    a = Client("A", port, log, t0)
    await a.open("/ws/conversations/1/")
    log.append(f"t={time.monotonic() - t0:6.3f}  (SIGTERM to the server)")
    server.send_signal(signal.SIGTERM)
    await asyncio.wait_for(a.reader, 10)
    code = server.wait(timeout=10)
    section("(h) server stopped with SIGTERM while a client is connected", log,
            [f"server exit status {code}, {time.monotonic() - t0:.2f} s into the scenario"])


def start_server(*extra):
    return start_script(os.path.join(HERE, "niochat_server.py"), "--token", f"{KEY_A}:1", *extra)


NOTES = """## Notes for the Rust client (read from the frames above)

- Auth: a 40-hex DRF key in `?token=`, sent as is (not url-decoded, case-sensitive). Only ws/user_status/,
  ws/user/<id>/ (and the replica's documented ws/dashboard/) refuse: HTTP 403 at the handshake, never a close
  code. ws/conversations/, ws/painel/, ws/conversas_dashboard/ accept anyone. A missing route (no trailing slash,
  ws/dashboard/ on the real server) is HTTP 500: not an auth failure, and not worth retrying.
- The sender receives its own `message` and `typing` back (group broadcast): de-duplicate, but by id only for
  server messages (`sender: null`); client-relayed messages carry whatever the client put in `message`.
- Server message object: `{id, conversation, message_type, media_type, file_url, content, is_from_customer,
  created_at (-03:00), external_id, additional_attributes}`; envelope `timestamp` in +00:00; `sender` null.
  `message_type` may be `incoming` (customer messages), outside the documented list.
- A deletion is the same `message` frame again (same id) with `additional_attributes.status = "deleted"` and a
  naive `deleted_at` with a space: an update, not a duplicate.
- `message_updated{action: "reaction_updated"}` carries the whole message for agent reactions but `message: null`
  for customer reactions: the only safe reaction to it is a refetch.
- Frames without `type` (ws/conversas_dashboard/: `{"action": "update_conversation", ...}`) and naive timestamps
  (painel `conversation_event`) are normal. `pong` has a timestamp on ws/conversations/ and none on
  ws/user_status/; painel and conversas_dashboard never answer a ping: use WebSocket pings for keep-alive there.
- Invalid JSON, a binary frame or a non-object on ws/conversations/ or ws/user_status/ ends the socket with 1011
  within ~1 s. Daphne sends WebSocket PINGs (every 20 s by default) and expects PONGs.
"""


async def main():
    server = start_server()
    real = start_server("--real-only")
    line = server.stdout.readline().decode().strip()
    port = int(line.split()[1])
    real_port = int(real.stdout.readline().split()[1])
    from importlib.metadata import version as v
    print("# NioChat replica: observed wire frames\n")
    print(f"Generated by `check_niochat_server.py` against `niochat_server.py` (Django {v('django')}, channels "
          f"{v('channels')}, daphne {v('daphne')}, Twisted {v('twisted')}, autobahn {v('autobahn')}; client "
          f"websockets {v('websockets')}). The server printed `{line}`. `->` client to server, `<-` server to "
          f"client, `t` in seconds. Token keys: `<KEY_A>` = user 1 (given with --token), `<KEY_B>` = user 2 "
          f"(added with POST /test/tokens), `<UNKNOWN_KEY>` = well-formed but unknown.\n")
    try:
        await scenario_room(port)
        await scenario_handshakes(port, real_port)
        await scenario_bad_input(port)
        await scenario_painel(port)
        await scenario_conversas_dashboard(port)
        await scenario_documented(port)
        await scenario_stats(port)
        await scenario_sigterm()
    finally:
        real.send_signal(signal.SIGINT)
        real_code = real.wait(timeout=10)
        t = time.monotonic()
        server.stdin.close()  # as if the test process died: the server must exit on its own
        code = server.wait(timeout=10)
        print(f"## (i) stdin closed / SIGINT\n\nThe first server exited with status {code} "
              f"{time.monotonic() - t:.2f} s after its stdin (a pipe) was closed, as when the test process dies; "
              f"the --real-only server exited with status {real_code} on SIGINT.\n")
    await scenario_daphne_pings()
    print(NOTES, end="")


if __name__ == "__main__":
    asyncio.run(main())
