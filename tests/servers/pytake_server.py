"""Loopback replica of the PyTake backend's Socket.IO server (protocol 002 in PROTOCOLS.md).

Why: the Rust integration tests start this as a REAL python-socketio 5 server on 127.0.0.1, so the SDK
meets the exact frames PyTake sends, not a hand-written imitation. The handlers mirror PyTake's
backend/app/websocket/{manager,events}.py, quirks included: `connected` is emitted inside the connect
handler, i.e. BEFORE the CONNECT ack `40{"sid"}`; a bad token -> `44{"message":"Connection rejected by
server"}`; join_conversation wants a UUID and an `organization_id` JWT claim, else `error{message}`;
handlers return None, so an ack id gets `43<id>[]`; `ping` takes NO argument (one raises TypeError:
no reply, no ack) and answers `pong{"timestamp": "now"}`, the literal string, as PyTake does.
POST /api/v1/conversations/{id}/messages stands in for PyTake's send path (emits `message:new`, content
an object), POST /api/v1/messages/{id}/status for its status webhook; /test/* are test controls.

Usage: python pytake_server.py --secret S [--port 0] [--ping-interval-ms 25000] [--ping-timeout-ms 20000]
Prints `LISTENING <port>` once bound. Stops on SIGTERM/SIGINT, and on EOF of stdin when stdin is a
pipe (the parent test process died). Logs go to stderr (quiet unless --verbose).
"""

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import socket
import stat
import sys
import threading
import uuid
import warnings
from datetime import datetime, timezone

import jwt.warnings  # binds `jwt` too
import socketio
import uvicorn

log = logging.getLogger("pytake_server")
sio: socketio.AsyncServer = None  # created in main() once the ping settings are known
SECRET = ""
STATE = {"connect_attempts": 0, "sessions": {}}  # sessions: sid -> user_id of accepted clients


def verify_token(token):
    """PyTake's verify_token: HS256 with the secret, exp checked; the payload or None."""
    try:
        return jwt.decode(token, SECRET, algorithms=["HS256"])
    except Exception as e:  # jose.JWTError in PyTake
        log.info("JWT verification failed: %s", e)
        return None


def register_handlers(sio):
    @sio.event
    async def connect(sid, environ, auth):
        STATE["connect_attempts"] += 1
        if not isinstance(auth, dict) or "token" not in auth:
            return False  # -> 44{"message":"Connection rejected by server"}
        payload = verify_token(auth["token"])
        if not payload:
            return False
        user_id = payload.get("sub")
        async with sio.session(sid) as session:
            session.update(user_id=user_id, organization_id=payload.get("organization_id"), role=payload.get("role"))
        STATE["sessions"][sid] = user_id
        await sio.emit("connected", {"message": "Connected to PyTake WebSocket", "user_id": user_id}, room=sid)
        return True

    @sio.event
    async def disconnect(sid):  # legacy one-argument form, as PyTake has it
        STATE["sessions"].pop(sid, None)
        for room in sio.rooms(sid):
            if room != sid:
                await sio.leave_room(sid, room)

    async def error(sid, message):
        await sio.emit("error", {"message": message}, room=sid)

    @sio.event
    async def join_conversation(sid, data):
        try:
            conversation_id = data.get("conversation_id")
            if not conversation_id:
                return await error(sid, "conversation_id is required")
            try:
                uuid.UUID(conversation_id)
            except ValueError:
                return await error(sid, "Invalid conversation_id format")
            async with sio.session(sid) as session:
                if not session.get("user_id") or not session.get("organization_id"):
                    return await error(sid, "Not authenticated")
            await sio.enter_room(sid, f"conversation:{conversation_id}")
            await sio.emit("joined_conversation", {"conversation_id": conversation_id,
                                                   "message": f"Joined conversation {conversation_id}"}, room=sid)
        except Exception as e:
            log.info("Error in join_conversation: %s", e)
            await error(sid, "Failed to join conversation")

    @sio.event
    async def leave_conversation(sid, data):
        try:
            conversation_id = data.get("conversation_id")
            if conversation_id:
                await sio.leave_room(sid, f"conversation:{conversation_id}")
                await sio.emit("left_conversation", {"conversation_id": conversation_id}, room=sid)
        except Exception as e:
            log.info("Error in leave_conversation: %s", e)

    async def typing(sid, data, typing):
        try:
            conversation_id = data.get("conversation_id")
            async with sio.session(sid) as session:
                user_id = session.get("user_id")
            if not conversation_id or not user_id:
                return
            await sio.emit("user_typing", {"conversation_id": conversation_id, "user_id": user_id,
                                           "typing": typing}, room=f"conversation:{conversation_id}", skip_sid=sid)
        except Exception as e:
            log.info("Error in typing handler: %s", e)

    @sio.event
    async def typing_start(sid, data):
        await typing(sid, data, True)

    @sio.event
    async def typing_stop(sid, data):
        await typing(sid, data, False)

    @sio.event
    async def ping(sid):  # no data parameter on purpose: PyTake's crashes when given one
        await sio.emit("pong", {"timestamp": "now"}, room=sid)


# ---- HTTP side (raw ASGI): PyTake's REST paths that emit, plus /test/* controls ----
async def respond(send, status, obj):
    data = json.dumps(obj).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


async def http_app(scope, receive, send):
    if scope["type"] != "http":
        return  # a websocket outside /socket.io: not accepted
    method, path = scope["method"], scope["path"]
    raw, more = b"", True
    while more:
        event = await receive()
        raw, more = raw + event.get("body", b""), event.get("more_body", False)
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return await respond(send, 400, {"detail": "invalid JSON"})

    m = re.fullmatch(r"/api/v1/conversations/([^/]+)/messages", path)
    if method == "POST" and m:
        auth = dict(scope["headers"]).get(b"authorization", b"").decode()  # ASGI names are lower-case
        payload = verify_token(auth[7:]) if auth.lower().startswith("bearer ") else None
        if not payload:
            return await respond(send, 401, {"detail": "Could not validate credentials"})
        conversation_id, created = m.group(1), datetime.now(timezone.utc).isoformat()
        message = {"id": str(uuid.uuid4()), "conversation_id": conversation_id, "direction": "outbound",
                   "sender_type": "agent", "sender_id": payload.get("sub"),
                   "message_type": body.get("message_type", "text"), "content": body.get("content"),
                   "status": "sent", "whatsapp_message_id": "wamid." + uuid.uuid4().hex,
                   "created_at": created, "sent_at": created}
        await sio.emit("message:new", message, room=f"conversation:{conversation_id}")
        return await respond(send, 201, message)

    m = re.fullmatch(r"/api/v1/messages/([^/]+)/status", path)
    if method == "POST" and m:
        data = {"message_id": m.group(1), "status": body.get("status"),
                "timestamp": datetime.now(timezone.utc).isoformat()}
        await sio.emit("message:status", data, room=f"conversation:{body.get('conversation_id')}")
        return await respond(send, 200, data)

    if method == "POST" and path == "/test/user-status":
        await sio.emit("user:status", {"user_id": body.get("user_id"), "status": body.get("status")})
        return await respond(send, 200, {"ok": True})
    if method == "POST" and path == "/test/emit":
        data = body.get("data")
        if body.get("bytes") is not None:  # sent as a binary attachment, as python-socketio does
            data = {**(data or {}), "blob": bytes(body["bytes"])}
        await sio.emit(body.get("event"), data, room=body.get("room"))
        return await respond(send, 200, {"ok": True})
    if method == "GET" and path == "/test/stats":
        sessions, rooms = STATE["sessions"], {}
        for room, members in sio.manager.rooms.get("/", {}).items():
            if room is not None and room not in members and members:  # not the namespace or a sid room
                rooms[room] = sorted(sessions.get(sid) for sid in members if sid in sessions)
        return await respond(send, 200, {"connect_attempts": STATE["connect_attempts"],
                                         "connected": len(sessions), "rooms": rooms})
    if method == "POST" and path == "/test/disconnect-all":
        sids = list(STATE["sessions"])
        await asyncio.gather(*(sio.disconnect(sid) for sid in sids))
        return await respond(send, 200, {"disconnected": len(sids)})
    return await respond(send, 404, {"detail": "Not Found"})


def main():
    global sio, SECRET
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--secret", required=True)
    ap.add_argument("--port", type=int, default=0, help="0: any free port")
    ap.add_argument("--ping-interval-ms", type=int, default=25000)
    ap.add_argument("--ping-timeout-ms", type=int, default=20000)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.INFO if args.verbose else logging.WARNING)
    SECRET = args.secret
    warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)  # tests use short secrets

    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*",
                               ping_interval=args.ping_interval_ms / 1000,
                               ping_timeout=args.ping_timeout_ms / 1000,
                               logger=args.verbose, engineio_logger=args.verbose)
    register_handlers(sio)
    app = socketio.ASGIApp(sio, other_asgi_app=http_app, socketio_path="socket.io")

    sock = socket.socket()  # IPv4 TCP
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)

    config = uvicorn.Config(app, log_level="info" if args.verbose else "warning", access_log=args.verbose,
                            lifespan="on", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)

    # uvicorn re-raises a captured SIGTERM/SIGINT after its graceful shutdown: with this handler
    # that only asks for a stop (harmless by then), the process ends with status 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: setattr(server, "should_exit", True))

    async def run():
        loop = asyncio.get_running_loop()
        def watch_stdin():  # stdin is a pipe from the parent test process: its EOF means the parent died
            while os.read(0, 4096):
                pass
            loop.call_soon_threadsafe(setattr, server, "should_exit", True)
        if stat.S_ISFIFO(os.fstat(0).st_mode) or stat.S_ISSOCK(os.fstat(0).st_mode):  # not a tty, not /dev/null
            threading.Thread(target=watch_stdin, daemon=True).start()
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started:
            print(f"LISTENING {sock.getsockname()[1]}", flush=True)
        await serving

    asyncio.run(run())


if __name__ == "__main__":
    main()
