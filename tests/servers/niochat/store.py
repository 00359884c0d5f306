"""In-memory stand-ins for the NioChat models and DRF serializers that reach the WebSocket.

The real server keeps DRF tokens, users, conversations and messages in PostgreSQL and serializes them
with backend/conversations/serializers.py before a `group_send`. This module keeps the same data in
dicts and renders the same JSON shapes, field order included:

- MessageSerializer: {id, conversation, message_type, media_type, file_url, content, is_from_customer,
  created_at, external_id, additional_attributes}; `created_at` rendered by DRF in TIME_ZONE
  America/Belem, e.g. "2025-10-23T10:00:00.123456-03:00". There is NO `sender` field.
- ConversationSerializer: {id, contact{...}, inbox{...}, assignee{UserSerializer}|null, status, labels,
  additional_attributes, last_message_at, created_at, messages[every message of the conversation]}.

Everything runs on daphne's single event loop, so no locking is needed.
"""

import itertools
import re
from datetime import datetime, timedelta, timezone

BELEM = timezone(timedelta(hours=-3))  # America/Belem: UTC-03:00 all year
TOKEN_RE = re.compile(r"^[0-9a-f]{40}$")  # rest_framework.authtoken: hexlify(os.urandom(20))

REAL_ONLY = False  # set by niochat_server.py --real-only: no documented ws/dashboard/ and no mirror events
TOKENS = {}  # key -> user_id
USERS = {}  # user_id -> dict (core.models.User fields that UserSerializer shows)
CONVERSATIONS = {}  # conversation id (int) -> dict
MESSAGES = {}  # message id (int) -> dict
_message_ids = itertools.count(1)
STATS = {"attempts": {}, "accepted": {}, "refused": {}, "open": {}, "closed_by_server": {}, "crashed": {}}


def utcnow():
    """django.utils.timezone.now() with USE_TZ=True: aware, UTC."""
    return datetime.now(timezone.utc)


def drf_datetime(value):
    """DRF DateTimeField.to_representation with TIME_ZONE America/Belem."""
    if value is None:
        return None
    text = value.astimezone(BELEM).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# ---------------------------------------------------------------- users and tokens

class TokenUser:
    """What scope['user'] holds after a successful token lookup (Token.user on the real server)."""
    is_authenticated = True
    is_anonymous = False

    def __init__(self, user_id):
        self.id = self.pk = user_id
        self.username = USERS[user_id]["username"]


class AnonymousUser:
    """django.contrib.auth.models.AnonymousUser, as far as the consumers look at it."""
    id = pk = None
    username = ""
    is_authenticated = False
    is_anonymous = True


def add_token(key, user_id, username=None):
    if not TOKEN_RE.match(key or ""):
        raise ValueError("a DRF token key is 40 lowercase hex characters")
    user_id = int(user_id)
    now = utcnow()
    USERS.setdefault(user_id, {
        "id": user_id, "username": username or f"agente{user_id}", "email": f"agente{user_id}@example.com",
        "first_name": "", "last_name": "", "user_type": "agent", "avatar": None, "phone": None,
        "is_online": False, "last_seen": None, "created_at": now, "updated_at": now, "is_active": True,
        "last_login": None, "permissions": [], "provedor_id": 1, "session_timeout": 30,
    })
    TOKENS[key] = user_id


def user_for_token(key):
    user_id = TOKENS.get(key)
    return TokenUser(user_id) if user_id is not None else None


def set_user_online(user_id, online):
    user = USERS.get(user_id)
    if user is not None:
        user["is_online"] = online
        user["updated_at"] = utcnow()
        if not online:
            user["last_seen"] = user["updated_at"]


def serialize_user(user_id):
    """core.serializers.UserSerializer (password is write-only and never shown)."""
    if user_id is None or user_id not in USERS:
        return None
    u = USERS[user_id]
    out = {k: u[k] for k in ("id", "username", "email", "first_name", "last_name", "user_type", "avatar",
                             "phone", "is_online")}
    out["last_seen"] = drf_datetime(u["last_seen"])
    out["created_at"] = drf_datetime(u["created_at"])
    out["updated_at"] = drf_datetime(u["updated_at"])
    out["is_active"] = u["is_active"]
    out["last_login"] = drf_datetime(u["last_login"])
    out["permissions"] = u["permissions"]
    out["provedor_id"] = u["provedor_id"]
    out["provedores_admin"] = [{"id": u["provedor_id"], "nome": f"Provedor {u['provedor_id']}", "is_active": True}]
    out["session_timeout"] = u["session_timeout"]
    return out


# ---------------------------------------------------------------- conversations and messages

def conversation(conversation_id, provedor_id=1):
    """The conversation with this id, created on first use (contact and inbox included)."""
    conv = CONVERSATIONS.get(conversation_id)
    if conv is None:
        now = utcnow()
        conv = CONVERSATIONS[conversation_id] = {
            "id": conversation_id, "provedor_id": provedor_id, "status": "open", "assignee_id": None,
            "labels": [], "additional_attributes": {}, "last_message_at": None, "created_at": now,
            "updated_at": now,
            "contact": {"id": conversation_id, "name": f"Cliente {conversation_id}", "email": None,
                        "phone": f"5591{900000000 + conversation_id}", "avatar": None,
                        "additional_attributes": {}, "provedor": provedor_id, "created_at": now,
                        "updated_at": now},
            "inbox": {"id": provedor_id, "name": "WhatsApp", "channel_type": "whatsapp",
                      "provedor": provedor_id, "is_active": True, "created_at": now},
        }
    return conv


def add_message(conversation_id, content, is_from_customer, message_type, external_id=None,
                additional_attributes=None, file_url=None):
    """Message.objects.create(...): a new integer id, created_at = updated_at = now (UTC)."""
    conv = conversation(conversation_id)
    now = utcnow()
    msg = {"id": next(_message_ids), "conversation": conversation_id, "message_type": message_type,
           "file_url": file_url, "content": content, "is_from_customer": is_from_customer, "created_at": now,
           "updated_at": now, "external_id": external_id,
           "additional_attributes": dict(additional_attributes or {})}
    MESSAGES[msg["id"]] = msg
    conv["last_message_at"] = conv["updated_at"] = now
    return msg


def touch(msg):
    """message.save(): auto_now updated_at."""
    msg["updated_at"] = utcnow()


def serialize_message(msg):
    """conversations.serializers.MessageSerializer, field order kept."""
    attrs = msg["additional_attributes"]
    file_url = msg["file_url"] or (attrs.get("local_file_url") or attrs.get("file_url") if attrs else None)
    return {"id": msg["id"], "conversation": msg["conversation"], "message_type": msg["message_type"],
            "media_type": msg["message_type"], "file_url": file_url, "content": msg["content"],
            "is_from_customer": msg["is_from_customer"], "created_at": drf_datetime(msg["created_at"]),
            "external_id": msg["external_id"], "additional_attributes": attrs}


def serialize_conversation(conv):
    """conversations.serializers.ConversationSerializer (what conversas_dashboard frames carry)."""
    inbox = {k: conv["inbox"][k] for k in ("id", "name", "channel_type", "provedor", "is_active")}
    inbox["created_at"] = drf_datetime(conv["inbox"]["created_at"])
    c = conv["contact"]
    contact = {k: c[k] for k in ("id", "name", "email", "phone", "avatar", "additional_attributes", "provedor")}
    contact.update(created_at=drf_datetime(c["created_at"]), updated_at=drf_datetime(c["updated_at"]), inbox=inbox)
    return {"id": conv["id"], "contact": contact, "inbox": inbox, "assignee": serialize_user(conv["assignee_id"]),
            "status": conv["status"], "labels": conv["labels"],
            "additional_attributes": conv["additional_attributes"],
            "last_message_at": drf_datetime(conv["last_message_at"]),
            "created_at": drf_datetime(conv["created_at"]),
            "messages": [serialize_message(m) for m in sorted(MESSAGES.values(), key=lambda m: m["id"])
                         if m["conversation"] == conv["id"]]}


# ---------------------------------------------------------------- connection statistics (GET /test/stats)

def count(kind, path, delta=1):
    table = STATS[kind]
    table[path] = table.get(path, 0) + delta
    if table[path] == 0 and kind == "open":
        del table[path]


def stats():
    return {**STATS, "open_total": sum(STATS["open"].values()), "tokens": len(TOKENS),
            "messages": len(MESSAGES), "real_only": REAL_ONLY}
