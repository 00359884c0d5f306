"""The clients check_niochat_server.py watches the replica through, and the names its log gives the keys.

`Client` is a raw `websockets` client (no Channels client library) that logs every frame the moment it
arrives; `raw_ping` is a hand-rolled one, since `websockets` answers daphne's WebSocket pings unseen; `call`
logs one HTTP control call. Imports wire_log.py from the folder above: the importer puts it on sys.path.
"""

import asyncio
import base64
import json
import os
import struct
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from wire_log import closed_note, http

KEY_A = "a" * 40  # user 1 (agente1)
KEY_B = "b" * 40  # user 2 (agente2), added through POST /test/tokens
UNKNOWN = "0123456789abcdef" * 2 + "01234567"  # well-formed DRF key that the server does not know
KEYS = {KEY_A: "<KEY_A>", KEY_B: "<KEY_B>", UNKNOWN: "<UNKNOWN_KEY>"}


def shorten(text):
    for key, name in KEYS.items():
        text = text.replace(key, name)
    return text


class Client:
    """A raw WebSocket client; a reader task logs every frame the moment it arrives."""

    def __init__(self, name, port, log, t0):
        self.name, self.port, self.log, self.t0 = name, port, log, t0
        self.frames, self.closing, self.close_code = [], False, None

    def note(self, arrow, frame):
        self.log.append(f"t={time.monotonic() - self.t0:6.3f}  {self.name} {arrow} {shorten(frame)}")

    async def open(self, path):
        """Open ws://127.0.0.1:<port><path>; returns None, or the HTTP status of a refused handshake."""
        self.log.append(f"t={time.monotonic() - self.t0:6.3f}  {self.name} CONNECT {shorten(path)}")
        try:
            self.ws = await connect(f"ws://127.0.0.1:{self.port}{path}", ping_interval=None, max_size=None,
                                    compression=None, open_timeout=5)
        except InvalidStatus as e:
            r = e.response
            body = r.body.decode(errors="replace").strip().replace("\n", " ")
            self.note("<-", f"(handshake refused: HTTP {r.status_code} {r.reason_phrase!r}; "
                            f"Content-Type {r.headers.get('Content-Type')!r}; body {body[:120]!r})")
            return r.status_code
        self.note("<-", "(handshake accepted: HTTP 101)")
        self.reader = asyncio.create_task(self.read())
        return None

    async def read(self):
        try:
            async for frame in self.ws:
                if isinstance(frame, bytes):
                    frame = f"(binary) {frame!r}"
                self.note("<-", frame)
                self.frames.append(frame)
        except ConnectionClosed:
            pass
        rc = self.ws.protocol.close_rcvd
        self.close_code = rc.code if rc else None
        self.note("<-", closed_note(self.ws, self.closing))
        self.frames.append(None)

    async def send(self, frame, wait=0.3):
        self.note("->", frame if isinstance(frame, str) else f"(binary) {frame!r}")
        await self.ws.send(frame)
        await asyncio.sleep(wait)

    async def close(self):
        if self.ws.protocol.close_rcvd is None:
            self.closing = True
            await self.ws.close()
        await self.reader


async def call(log, t0, port, method, path, body=None, wait=0.3, show_reply=True):
    status, text = await asyncio.to_thread(http, port, method, path, body)
    shown = text if show_reply else "(reply left out)"
    log.append(f"t={time.monotonic() - t0:6.3f}  HTTP {method} {path} {json.dumps(body) if body else ''}"
               f"-> {status} {shorten(shown)}")
    await asyncio.sleep(wait)
    return status, text


async def raw_ping(port, answer, seconds):
    """Minimal hand-rolled WebSocket client: shows daphne's own PING frames."""
    log, t0 = [], time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws/conversations/8/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    log.append(f"t={time.monotonic() - t0:6.3f}  <- {head.splitlines()[0]}")
    names = {0x1: "TEXT", 0x2: "BINARY", 0x8: "CLOSE", 0x9: "PING", 0xA: "PONG"}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            b0, b1 = await asyncio.wait_for(reader.readexactly(2), end - time.monotonic())
        except asyncio.TimeoutError:
            break
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            log.append(f"t={time.monotonic() - t0:6.3f}  <- (TCP connection dropped by the server, no close frame: "
                       f"{type(e).__name__})")
            break
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", await reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", await reader.readexactly(8))[0]
        payload = await reader.readexactly(n)
        op = b0 & 0x0F
        shown = (f"code={struct.unpack('>H', payload[:2])[0]}" if op == 0x8 and len(payload) >= 2
                 else payload.hex())
        log.append(f"t={time.monotonic() - t0:6.3f}  <- {names.get(op, op)} {shown}")
        if op == 0x9 and answer:
            mask = os.urandom(4)
            writer.write(bytes([0x8A, 0x80 | n]) + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload)))
            log.append(f"t={time.monotonic() - t0:6.3f}  -> PONG {payload.hex()}")
        if op == 0x8:
            break
    eof = reader.at_eof()
    writer.close()
    return log, eof
