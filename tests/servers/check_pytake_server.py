"""Print the exact wire frames of pytake_server.py, seen by a RAW WebSocket client (no Socket.IO library).

Run: target/niochat-venv/bin/python tests/servers/check_pytake_server.py > tests/servers/WIRE.md
Starts the server as a subprocess (short ping interval so Engine.IO pings show up), runs each scenario
and prints markdown: `->` client to server, `<-` server to client, `t` seconds since the scenario began.
What it shares with niochat/check_niochat_server.py is in wire_log.py, next to it.
"""

import asyncio
import json
import os
import re
import signal
import time
import uuid
from datetime import datetime, timedelta, timezone

import jwt
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from wire_log import closed_note, http, section, start_script

SECRET = "wire-secret-wire-secret-wire-secret"  # >= 32 bytes: no PyJWT key warning
PING_INTERVAL_MS, PING_TIMEOUT_MS = 2000, 1500
CONV = str(uuid.UUID(int=1))  # PyTake only joins rooms of UUID conversation ids
HERE = os.path.dirname(os.path.abspath(__file__))


def token(exp_minutes=30, **extra):
    claims = {"sub": "user-1", "type": "access", "organization_id": "org-1", "role": "agent",
              "exp": datetime.now(timezone.utc) + timedelta(minutes=exp_minutes)}
    claims.update(extra)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, SECRET, algorithm="HS256")


class Client:
    """A raw Engine.IO/Socket.IO speaker: a reader task logs every frame the moment it arrives."""

    def __init__(self, name, port, log, t0):
        self.name, self.port, self.log, self.t0 = name, port, log, t0
        self.answer_pings, self.frames, self.closing = True, [], False

    def note(self, arrow, frame):
        frame = re.sub(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", "<JWT>", frame)  # tokens shortened in the log
        self.log.append(f"t={time.monotonic() - self.t0:6.3f}  {self.name} {arrow} {frame}")

    async def open(self):
        url = f"ws://127.0.0.1:{self.port}/socket.io/?EIO=4&transport=websocket"
        self.ws = await connect(url, ping_interval=None, max_size=None)
        self.reader = asyncio.create_task(self.read())
        await asyncio.sleep(0.3)

    async def read(self):
        try:
            async for frame in self.ws:
                self.note("<-", frame)
                self.frames.append(frame)
                if frame == "2" and self.answer_pings:
                    await self.send("3")
        except ConnectionClosed:
            pass
        self.note("<-", closed_note(self.ws, self.closing))
        self.frames.append(None)

    async def send(self, frame):
        self.note("->", frame)
        await self.ws.send(frame)

    async def exchange(self, frame, wait=0.4):
        """Send a frame, wait, return what arrived meanwhile (Engine.IO pings left out)."""
        mark = len(self.frames)
        await self.send(frame)
        await asyncio.sleep(wait)
        return [f for f in self.frames[mark:] if f != "2"]

    async def close(self):
        self.closing = True
        await self.ws.close()
        await self.reader


async def call(log, t0, port, method, path, body=None, bearer=None):
    status, text = await asyncio.to_thread(http, port, method, path, body, bearer)
    log.append(f"t={time.monotonic() - t0:6.3f}  HTTP {method} {path} {json.dumps(body) if body else ''}"
               f"{' (Bearer)' if bearer else ''} -> {status} {text}")
    return status, text


async def scenario_valid(port):
    log, t0 = [], time.monotonic()
    a = Client("A", port, log, t0)
    await a.open()
    after = await a.exchange(f'40{{"token":"{token()}"}}', 0.5)
    order = [f[:2] if f.startswith("40") else f[:15] for f in after if f]
    await a.exchange('421["join_conversation",{"conversation_id":"c1"}]')
    await a.exchange(f'422["join_conversation",{{"conversation_id":"{CONV}"}}]')
    await a.exchange('423["ping"]')
    no_reply_ping_arg = not await a.exchange('424["ping",{}]', 0.6)
    await a.exchange(f'425["typing_start",{{"conversation_id":"{CONV}"}}]')
    no_ack_unknown = not await a.exchange('426["no_such_event",{"x":1}]', 0.6)
    await a.exchange(f'42["typing_stop",{{"conversation_id":"{CONV}"}}]', 0.3)
    await a.exchange(f'427["leave_conversation",{{"conversation_id":"{CONV}"}}]')
    await asyncio.sleep(PING_INTERVAL_MS / 1000 * 2 + 0.3)  # let Engine.IO pings arrive
    after_41 = await a.exchange("41", 0.5)  # namespace disconnect from the client
    t1 = time.monotonic()
    await a.send("1")  # Engine.IO close from the client: how long until the server drops the WebSocket?
    await asyncio.wait_for(a.reader, (PING_INTERVAL_MS + PING_TIMEOUT_MS) / 1000 + 2)
    closed_after = time.monotonic() - t1
    section("(a) valid token", log, [
        f"frames after `40{{token}}`, in order: {order}",
        f"`ping` with an argument got no reply and no ack: {no_reply_ping_arg}",
        f"event without a handler, sent with ack id 6, got no ack: {no_ack_unknown}",
        f"frames after the client's `41`: {after_41}",
        f"after the client's Engine.IO `1` the server closed the WebSocket {closed_after:.1f} s later "
        f"(no frame before the close)",
    ])


async def scenario_refused(port):
    log, t0 = [], time.monotonic()
    a = Client("A", port, log, t0)
    await a.open()
    log.append("# expired token")
    await a.exchange(f'40{{"token":"{token(exp_minutes=-5)}"}}', 0.6)
    log.append("# same Engine.IO session: token signed with another secret")
    await a.exchange('40{"token":"%s"}' % jwt.encode({"sub": "user-1"}, "x" * 32, algorithm="HS256"))
    log.append("# `sub` not a string (PyJWT, like python-jose, rejects the token)")
    await a.exchange(f'40{{"token":"{token(sub=42)}"}}')
    log.append("# no auth payload / auth without token")
    await a.exchange("40")
    await a.exchange('40{"jwt":"abc"}')
    log.append("# then a valid token on the same Engine.IO session")
    await a.exchange(f'40{{"token":"{token()}"}}')
    log.append("# a second CONNECT on an already connected namespace")
    await a.exchange(f'40{{"token":"{token()}"}}')
    log.append("# a token without organization_id connects, but cannot join")
    b = Client("B", port, log, t0)
    await b.open()
    await b.exchange(f'40{{"token":"{token(organization_id=None)}"}}')
    await b.exchange(f'421["join_conversation",{{"conversation_id":"{CONV}"}}]')
    await b.exchange('422["join_conversation","not-a-dict"]')
    log.append("# an event before any namespace CONNECT on a fresh socket")
    c = Client("C", port, log, t0)
    await c.open()
    await c.exchange('421["ping"]', 0.6)
    still_open = all(x.ws.protocol.close_rcvd is None for x in (a, b, c))
    for x in (a, b, c):
        await x.close()
    await call(log, t0, port, "POST", "/api/v1/conversations/%s/messages" % CONV,
               {"message_type": "text", "content": {"text": "x"}}, bearer=token(exp_minutes=-5))
    section("(b) refused: expired / bad / missing token", log, [
        f"no WebSocket was closed by the server after any `44`: {still_open} (the Engine.IO session stays; "
        "the client may send another `40`)",
        "an event before the namespace CONNECT got any reply: "
        f"{bool([f for f in c.frames[1:] if f not in ('2', None)])}",
    ])


async def scenario_room(port):
    log, t0 = [], time.monotonic()
    a, b = Client("A", port, log, t0), Client("B", port, log, t0)
    await a.open()
    await b.open()
    await a.exchange(f'40{{"token":"{token(sub="agent-a")}"}}', 0.2)
    await b.exchange(f'40{{"token":"{token(sub="agent-b")}"}}', 0.2)
    for c in (a, b):
        await c.exchange(f'42["join_conversation",{{"conversation_id":"{CONV}"}}]', 0.2)
    await a.exchange(f'42["typing_start",{{"conversation_id":"{CONV}"}}]', 0.3)
    status, text = await call(log, t0, port, "POST", f"/api/v1/conversations/{CONV}/messages",
                              {"message_type": "text", "content": {"text": "Olá"}}, bearer=token(sub="agent-a"))
    await asyncio.sleep(0.3)
    msg_id = json.loads(text)["id"]
    await call(log, t0, port, "POST", f"/api/v1/messages/{msg_id}/status",
               {"status": "delivered", "conversation_id": CONV})
    await asyncio.sleep(0.3)
    await call(log, t0, port, "POST", "/test/user-status", {"user_id": "agent-a", "status": "away"})
    await asyncio.sleep(0.3)
    await call(log, t0, port, "POST", "/test/emit", {"event": "weird", "data": [1, "two"], "room": None})
    await asyncio.sleep(0.3)
    await call(log, t0, port, "GET", "/test/stats")
    marks = [len(a.frames), len(b.frames)]
    await call(log, t0, port, "POST", "/test/disconnect-all", {})
    await asyncio.sleep(PING_INTERVAL_MS / 1000 + 0.5)
    after = [x.frames[m:] for x, m in zip((a, b), marks)]
    await call(log, t0, port, "GET", "/test/stats")
    await a.close()
    await b.close()
    section("(c) two clients in one room, REST-triggered events, server-side disconnect", log, [
        f"frames after /test/disconnect-all, A: {after[0]}, B: {after[1]} (`2` = Engine.IO ping: the "
        "WebSocket stays open after the namespace `41`)",
    ])


async def scenario_no_pong(port):
    log, t0 = [], time.monotonic()
    a = Client("A", port, log, t0)
    a.answer_pings = False
    await a.open()
    await a.exchange(f'40{{"token":"{token()}"}}', 0.2)
    t1 = time.monotonic()
    await asyncio.wait_for(a.reader, (PING_INTERVAL_MS + PING_TIMEOUT_MS) / 1000 * 2 + 1)
    section(f"(d) client never answers `2` (pingInterval {PING_INTERVAL_MS} ms, pingTimeout {PING_TIMEOUT_MS} ms)",
            log, [f"the WebSocket was closed by the server {time.monotonic() - t1:.1f} s after the CONNECT ack; "
                  f"frames before the close: {[f for f in a.frames if f and not f.startswith(('0', '4'))]}"])


async def scenario_sigterm():
    server = start_server()
    port = int(server.stdout.readline().split()[1])
    log, t0 = [], time.monotonic()
    a = Client("A", port, log, t0)
    await a.open()
    await a.exchange(f'40{{"token":"{token()}"}}', 0.2)
    log.append(f"t={time.monotonic() - t0:6.3f}  (SIGTERM to the server)")
    server.send_signal(signal.SIGTERM)
    await asyncio.wait_for(a.reader, 5)
    code = server.wait(timeout=10)
    section("(e) server stopped with SIGTERM while a client is connected", log,
            [f"server exit status {code}, {time.monotonic() - t0:.2f} s into the scenario"])


NOTES = """## Notes for the Rust client (read from the frames above)

- Engine.IO first: `0{sid, upgrades:[], pingTimeout, pingInterval, maxPayload}`; all frames are text. The server
  sends `2` every pingInterval and wants `3`; unanswered, it closes the WebSocket (code 1000, no `1` frame first)
  about pingTimeout later.
- `42["connected",{...}]` arrives BEFORE the CONNECT ack `40{"sid"}`: buffer events that precede the ack.
- Refusal is `44{"message":"Connection rejected by server"}` only: the WebSocket and the Engine.IO session stay
  open (pings go on). A second `40` on an already connected namespace gets `44"Unable to connect"`: a JSON
  *string* payload, not an object.
- Handlers return None, so an event with ack id N gets `43N[]`. An event without a handler gets no ack at all,
  nor does a handler that crashes (`ping` with an argument): never wait for an ack without a timeout.
- Server-side disconnect is a bare `41`; the WebSocket stays open. After a client `1` the server only drops the
  socket at its next ping cycle: close the WebSocket yourself. A stopping server closes with 1012.
- `pong.timestamp` is the string `"now"`, not a date. Non-ASCII is `\\u`-escaped in JSON (`"Ol\\u00e1"`).
"""


def start_server():
    return start_script(os.path.join(HERE, "pytake_server.py"), "--secret", SECRET, "--ping-interval-ms",
                        str(PING_INTERVAL_MS), "--ping-timeout-ms", str(PING_TIMEOUT_MS))


async def main():
    server = start_server()
    line = server.stdout.readline().decode().strip()
    port = int(line.split()[1])
    from importlib.metadata import version as v
    print("# PyTake replica: observed wire frames\n")
    print(f"Generated by `check_pytake_server.py` against `pytake_server.py` (python-socketio "
          f"{v('python-socketio')}, python-engineio {v('python-engineio')}, uvicorn {v('uvicorn')}, "
          f"websockets {v('websockets')}). The server printed `{line}`. `->` client to server, `<-` "
          f"server to client, `t` in seconds. Conversation id `{CONV}`. Tokens are HS256 JWTs "
          f"`{{sub, type, organization_id, role, exp}}`, shown as `<JWT>`.\n")
    try:
        await scenario_valid(port)
        await scenario_refused(port)
        await scenario_room(port)
        await scenario_no_pong(port)
        await scenario_sigterm()
    finally:
        t = time.monotonic()
        server.stdin.close()  # as if the test process died: the server must exit on its own
        code = server.wait(timeout=10)
        print(f"## (f) stdin closed\n\nThe first server exited with status {code} {time.monotonic() - t:.2f} s after "
              "its stdin (a pipe) was closed, as when the test process dies.\n")
    print(NOTES, end="")


if __name__ == "__main__":
    asyncio.run(main())
