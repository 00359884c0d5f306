"""Channels consumers of the NioChat replica.

Mirrors backend/conversations/consumers.py of the real NioChat (written anew; same behaviour):

ConversationConsumer  ws/conversations/<id>/  group `conversation_<id>`, no authentication at all.
    {"type":"ping"} -> {"type": "pong", "timestamp": "<now, +00:00>"} to the sender only.
    {"type":"message", "message": X, "sender": S, "timestamp": T} (a missing type counts as "message")
        -> group_send: EVERY socket of the group, the sender included, gets
        {"type": "message", "message": X, "sender": S, "timestamp": T} with X, S and T passed through
        untouched (absent sender/timestamp -> null; absent "message" -> KeyError -> close 1011).
    {"type":"typing", "user": U, "is_typing": B} -> group: {"type": "typing", "user": U, "is_typing": B}
        (B defaults to false), the typer included.
    any other type -> ignored, no reply.
    Server-side broadcasts (views) arrive as the same `message` frame with "sender": null and a
    MessageSerializer dict, and as {"type": "message_updated", "action", "message", "sender", "timestamp"}.
NotificationConsumer  ws/notifications/<user_id>/  any JSON frame is echoed to the whole group as is.
DashboardConsumer     ws/conversas_dashboard/  forwards `dashboard_event` data as is: frames WITHOUT "type",
    e.g. {"action": "update_conversation", "conversation": {...}}. Client frames are ignored (even non-JSON).
PainelConsumer        ws/painel/<provedor_id>/  conversation_event / conversation_status_changed /
    dashboard_event / uazapi_event. Client frames are ignored (even non-JSON).
UserStatusConsumer    ws/user_status/ and ws/user/<id>/ (the URL id is unused): an anonymous socket is
    closed before accept -> HTTP 403; {"type":"ping"} -> {"type": "pong"} WITHOUT timestamp; nothing is
    ever broadcast to its group `user_status_global`.

Frames are json.dumps() with its defaults, as in the real code: ", " and ": " separators and non-ASCII
escaped (`"Ol\\u00e1"`, emoji as surrogate pairs). Exceptions are not caught: invalid JSON, a JSON value
that is not an object, a binary frame on a consumer whose receive() takes only text -> the consumer dies and
daphne closes the socket with 1011 (its application checker runs once a second, so up to ~1 s later).

DocumentedDashboardConsumer  ws/dashboard/  does NOT exist on the real server (no route -> daphne answers
the handshake with HTTP 500). It implements the seed document instead: token required (403 otherwise),
frames {"type": <chat_message|message_reaction|message_deleted|dashboard_metrics|csat_update|audit_log|
user_status>, "data": {...}}. Not routed with --real-only.
"""

import json
from datetime import timezone as dt_timezone

from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone

import store

DOCUMENTED_GROUP = "documented_dashboard"


def now_iso():
    return timezone.now().isoformat()


def zulu(value):
    """The documented timestamp style: "2024-01-01T10:00:00Z" (UTC, no fraction)."""
    return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ConversationConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        self.room_group_name = f"conversation_{self.conversation_id}"
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)

    async def receive(self, text_data):  # text only: a binary frame raises TypeError -> 1011, as on the real server
        data = json.loads(text_data)
        kind = data.get("type", "message")
        if kind == "ping":
            await self.send(text_data=json.dumps({"type": "pong", "timestamp": now_iso()}))
        elif kind == "message":
            await self.channel_layer.group_send(self.room_group_name, {
                "type": "chat_message", "message": data["message"], "sender": data.get("sender"),
                "timestamp": data.get("timestamp")})
        elif kind == "typing":
            await self.channel_layer.group_send(self.room_group_name, {
                "type": "typing_indicator", "user": data.get("user"), "is_typing": data.get("is_typing", False)})

    async def chat_message(self, event):
        await self.send(text_data=json.dumps({
            "type": "message", "message": event["message"], "sender": event["sender"],
            "timestamp": event["timestamp"]}))

    async def typing_indicator(self, event):
        await self.send(text_data=json.dumps({"type": "typing", "user": event["user"],
                                              "is_typing": event["is_typing"]}))

    async def message_updated(self, event):
        await self.send(text_data=json.dumps({
            "type": "message_updated", "action": event.get("action"), "message": event.get("message"),
            "sender": event.get("sender"), "timestamp": event.get("timestamp", now_iso())}))


class NotificationConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.room_group_name = f"notifications_{self.scope['url_route']['kwargs']['user_id']}"
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)

    async def receive(self, text_data):
        data = json.loads(text_data)
        await self.channel_layer.group_send(self.room_group_name, {"type": "send_notification",
                                                                  "notification": data})

    async def send_notification(self, event):
        await self.send(text_data=json.dumps(event["notification"]))


class DashboardConsumer(AsyncWebsocketConsumer):
    """ws/conversas_dashboard/ (the real class name; not the documented ws/dashboard/)."""

    async def connect(self):
        self.room_group_name = "conversas_dashboard"
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)

    async def dashboard_event(self, event):
        await self.send(text_data=json.dumps(event["data"]))


class PainelConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.room_group_name = f"painel_{self.scope['url_route']['kwargs']['provedor_id']}"
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)

    async def uazapi_event(self, event):
        await self.send(text_data=json.dumps(event["event"]))

    async def dashboard_event(self, event):
        await self.send(text_data=json.dumps(event["data"]))

    async def conversation_event(self, event):
        await self.send(text_data=json.dumps({
            "type": "conversation_event", "event_type": event["event_type"],
            "conversation_id": event["conversation_id"], "data": event["data"], "timestamp": event["timestamp"]}))

    async def conversation_status_changed(self, event):
        # the event's own "timestamp" is ignored: the consumer stamps the frame itself
        await self.send(text_data=json.dumps({
            "type": "conversation_status_changed", "conversation": event["conversation"],
            "message": event["message"], "timestamp": now_iso()}))


class UserStatusConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if not user or not user.is_authenticated:
            await self.close()  # before accept -> daphne rejects the handshake: HTTP 403
            return
        self.user_id = user.id
        self.room_group_name = "user_status_global"
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()
        store.set_user_online(self.user_id, True)
        await mirror_documented("user_status", {"user_id": self.user_id, "status": "online",
                                                "last_seen": zulu(timezone.now())})

    async def disconnect(self, close_code):
        if not hasattr(self, "user_id"):
            # The real consumer raises AttributeError here after a refusal (logged server-side only;
            # the client already has its 403). Skipped to keep the replica's stderr clean.
            return
        store.set_user_online(self.user_id, False)
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)
        await mirror_documented("user_status", {"user_id": self.user_id, "status": "offline",
                                                "last_seen": zulu(store.USERS[self.user_id]["last_seen"])})

    async def receive(self, text_data):
        if json.loads(text_data).get("type") == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))


class DocumentedDashboardConsumer(AsyncWebsocketConsumer):
    """ws/dashboard/ as the seed document describes it (absent from the real server)."""

    async def connect(self):
        user = self.scope.get("user")
        if not user or not user.is_authenticated:
            await self.close()  # HTTP 403, like the real UserStatusConsumer
            return
        await self.channel_layer.group_add(DOCUMENTED_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(DOCUMENTED_GROUP, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        # The document defines no client frames. Replica choice, consistent with the real consumers:
        # non-JSON -> 1011, {"type":"ping"} -> {"type": "pong", "timestamp"}, anything else ignored.
        data = json.loads(text_data if text_data is not None else bytes_data)
        if isinstance(data, dict) and data.get("type") == "ping":
            await self.send(text_data=json.dumps({"type": "pong", "timestamp": now_iso()}))

    async def documented_event(self, event):
        await self.send(text_data=json.dumps({"type": event["event"], "data": event["data"]}))


async def mirror_documented(event, data):
    """Also publish an action on the documented ws/dashboard/ (never with --real-only)."""
    if store.REAL_ONLY:
        return
    from channels.layers import get_channel_layer
    await get_channel_layer().group_send(DOCUMENTED_GROUP, {"type": "documented_event", "event": event,
                                                            "data": data})
