"""Test-control HTTP routes of the NioChat replica (not part of the real API).

Each route performs, in memory, what a real NioChat code path does before its `group_send`, and then
sends the same channel-layer event, so the consumers produce the real frames:

POST /test/tokens {"key", "user_id", "username"?}     a valid DRF token (40 lowercase hex) for a user.
POST /test/conversations/<id>/messages {"content", "sender", "message_type"?, "external_id"?,
     "additional_attributes"?, "file_url"?}
     sender "customer" = the WhatsApp webhook (integrations/views.py): is_from_customer true,
       message_type "incoming" by default; chat_message to conversation_<id> AND
       {"action": "update_conversation", "conversation": ...} to conversas_dashboard.
     sender "agent" / "ai" = send_text / the AI reply (conversations/views.py): is_from_customer false,
       message_type "text" by default; chat_message only.
     chat_message frame: {"type": "message", "message": <MessageSerializer>, "sender": null,
       "timestamp": <created_at, +00:00>}. Answers 201 with the serialized message.
POST /test/conversations/<id>/messages/<mid>/delete {"deleted_by"?: <user id> | "client"}
     additional_attributes.status = "deleted", deleted_at = str(datetime.now()) (naive, with a space:
     "2025-10-23 10:00:00.123456"), plus deleted_by = "client" on the webhook path; then the SAME
     `message` frame again, same id, timestamp = updated_at.
POST /test/conversations/<id>/messages/<mid>/reaction {"emoji", "from_customer"?, "user_id"?}
     from_customer false (agent reacts, views.py react): attributes agent_reaction (on a customer
       message) or reaction (on an agent message) = {emoji, timestamp, status: "sent"}; frame
       {"type": "message_updated", "action": "reaction_updated", "message": <MessageSerializer>,
       "sender": null, "timestamp": <updated_at>}. An empty emoji removes the reaction.
     from_customer true (webhook): attributes reactions[] / received_reactions[] updated; the event
       carries only message_id and reaction_emoji, which the consumer drops: the frame has
       "message": null (no way to tell which message changed).
POST /test/painel/<provedor>/event {"type"?: conversation_event (default) | conversation_status_changed
     | dashboard_event | uazapi_event, ...} -- see painel_event() for the defaults filled in.
POST /test/conversas_dashboard {"conversation_id", "status"?, "assignee_id"?, "additional_attributes"?}
     or {"raw": {...}} to send any dict as the frame.
POST /test/dashboard/<type> {...data}  documented ws/dashboard/ frame {"type": <type>, "data": {...}}
     (404 with --real-only).
GET  /test/stats   handshakes, open sockets, refusals per path.

Unless --real-only, message / delete / reaction also publish the documented ws/dashboard/ events
chat_message, message_deleted and message_reaction.
"""

import json
import time
from datetime import datetime

from channels.layers import get_channel_layer
from django.http import JsonResponse

import store
from consumers import mirror_documented, zulu


def _body(request):
    if not request.body:
        return {}
    data = json.loads(request.body)
    if not isinstance(data, dict):
        raise ValueError("JSON object expected")
    return data


def route(method):
    """Method check + JSON body parsing + a JSON 400 for bad input."""
    def wrap(view):
        async def handler(request, **kwargs):
            if request.method != method:
                return JsonResponse({"detail": f"Method {request.method} not allowed"}, status=405)
            try:
                return await view(_body(request) if method == "POST" else {}, **kwargs)
            except (ValueError, TypeError, KeyError) as e:
                return JsonResponse({"detail": f"bad request: {e!r}"}, status=400)
        return handler
    return wrap


async def send(group, event):
    await get_channel_layer().group_send(group, event)


@route("POST")
async def add_token(body):
    store.add_token(body["key"], body["user_id"], body.get("username"))
    return JsonResponse({"key": body["key"], "user_id": int(body["user_id"])}, status=201)


@route("POST")
async def add_message(body, conversation_id):
    sender = body.get("sender", "customer")
    if sender not in ("customer", "agent", "ai"):
        raise ValueError('sender must be "customer", "agent" or "ai"')
    from_customer = sender == "customer"
    msg = store.add_message(conversation_id, str(body.get("content", "")), from_customer,
                            body.get("message_type") or ("incoming" if from_customer else "text"),
                            external_id=body.get("external_id"),
                            additional_attributes=body.get("additional_attributes"),
                            file_url=body.get("file_url"))
    data = store.serialize_message(msg)
    await send(f"conversation_{conversation_id}", {"type": "chat_message", "message": data, "sender": None,
                                                  "timestamp": msg["created_at"].isoformat()})
    if from_customer:
        await send("conversas_dashboard", {"type": "dashboard_event", "data": {
            "action": "update_conversation",
            "conversation": store.serialize_conversation(store.conversation(conversation_id))}})
    await mirror_documented("chat_message", {"conversation_id": conversation_id, "message": {
        "id": msg["id"], "content": msg["content"], "sender": sender, "timestamp": zulu(msg["created_at"]),
        "message_type": msg["message_type"]}})
    return JsonResponse(data, status=201)


def _message(conversation_id, message_id):
    msg = store.MESSAGES.get(message_id)
    if msg is None or msg["conversation"] != conversation_id:
        return None
    return msg


@route("POST")
async def delete_message(body, conversation_id, message_id):
    msg = _message(conversation_id, message_id)
    if msg is None:
        return JsonResponse({"error": "Mensagem não encontrada"}, status=404)
    deleted_by = body.get("deleted_by", 1)
    attrs = msg["additional_attributes"]
    attrs["status"] = "deleted"
    attrs["deleted_at"] = str(datetime.now())  # naive local time, space separator: as the real code
    if deleted_by == "client":
        attrs["deleted_by"] = "client"
    store.touch(msg)
    data = store.serialize_message(msg)
    await send(f"conversation_{conversation_id}", {"type": "chat_message", "message": data, "sender": None,
                                                  "timestamp": msg["updated_at"].isoformat()})
    await mirror_documented("message_deleted", {"message_id": message_id, "deleted_by": deleted_by})
    return JsonResponse({"success": True, "updated_message": data})


@route("POST")
async def react(body, conversation_id, message_id):
    msg = _message(conversation_id, message_id)
    if msg is None:
        return JsonResponse({"error": "Mensagem não encontrada"}, status=404)
    emoji = body.get("emoji", "")
    attrs = msg["additional_attributes"]
    group = f"conversation_{conversation_id}"
    if not body.get("from_customer", False):
        key = "agent_reaction" if msg["is_from_customer"] else "reaction"
        if emoji:  # the timestamp is whatever Uazapi answered: here epoch milliseconds
            attrs[key] = {"emoji": emoji, "timestamp": int(time.time() * 1000), "status": "sent"}
        else:
            attrs.pop(key, None)
        store.touch(msg)
        data = store.serialize_message(msg)
        await send(group, {"type": "message_updated", "action": "reaction_updated", "message": data,
                           "sender": None, "timestamp": msg["updated_at"].isoformat()})
    else:
        phone = store.conversation(conversation_id)["contact"]["phone"]
        reactions = attrs.setdefault("reactions", [])
        received = attrs.setdefault("received_reactions", [])
        mine = next((r for r in reactions if r.get("user_id") == phone), None)
        if not emoji.strip():
            if mine:
                reactions.remove(mine)
            attrs["received_reactions"] = [r for r in received if not r.get("from_customer", False)]
        else:
            if mine:
                mine.update(emoji=emoji, timestamp=int(time.time() * 1000))
            else:
                reactions.append({"user_id": phone, "emoji": emoji, "timestamp": int(time.time() * 1000)})
            theirs = next((r for r in received if r.get("from_customer", False)), None)
            stamp = store.utcnow().isoformat()
            if theirs:
                theirs.update(emoji=emoji, timestamp=stamp)
            else:
                received.append({"emoji": emoji, "timestamp": stamp, "from_customer": True})
        store.touch(msg)
        data = store.serialize_message(msg)
        # the webhook's event: the consumer reads none of these keys -> message null, timestamp = now
        await send(group, {"type": "message_updated", "action": "reaction_updated", "message_id": message_id,
                           "reaction_emoji": emoji})
    await mirror_documented("message_reaction", {"message_id": message_id, "reaction": emoji,
                                                 "user_id": body.get("user_id", 1)})
    return JsonResponse({"success": True, "updated_message": data})


PAINEL_DEFAULT_DATA = {"conversation_closed": {"status": "closed"}, "conversation_ended": {"status": "ended"}}


@route("POST")
async def painel_event(body, provedor):
    kind = body.get("type", "conversation_event")
    if kind == "conversation_event":  # conversations/services.py ConversationNotificationService
        event_type = body.get("event_type", "conversation_updated")
        data = body.get("data")
        if data is None:
            data = ({"assignee_id": body.get("assignee_id")} if event_type == "conversation_assigned"
                    else PAINEL_DEFAULT_DATA.get(event_type, {}))
        event = {"type": kind, "event_type": event_type, "conversation_id": int(body["conversation_id"]),
                 "data": data,
                 "timestamp": body.get("timestamp", datetime.now().isoformat())}  # naive: datetime.now()
    elif kind == "conversation_status_changed":  # views.py close flow; database_tools.py transfer
        conv_dict = body.get("conversation")
        if conv_dict is None:
            conv = store.conversation(int(body["conversation_id"]))
            conv["status"] = body.get("status", "closed")
            conv["updated_at"] = store.utcnow()
            assignee = store.USERS.get(conv["assignee_id"])
            conv_dict = {"id": conv["id"], "status": conv["status"],
                         "assignee": assignee["username"] if assignee else None,
                         "updated_at": conv["updated_at"].isoformat()}
        by = store.USERS.get(body.get("by_user_id", 1), {"username": "admin"})["username"]
        event = {"type": kind, "conversation": conv_dict,
                 "message": body.get("message", f"Conversa {conv_dict.get('id')} encerrada por {by}")}
    elif kind == "dashboard_event":  # core/views.py WhatsApp Beta status
        event = {"type": kind, "data": body.get("data", {
            "type": "whatsapp_beta_status", "canal_id": 1, "status": "connected", "connected": True,
            "loggedIn": True, "instance": {}})}
    elif kind == "uazapi_event":
        event = {"type": kind, "event": body["event"]}
    else:
        raise ValueError(f"unknown painel event type {kind!r}")
    await send(f"painel_{provedor}", event)
    return JsonResponse({"sent": event}, status=202)


@route("POST")
async def conversas_dashboard(body):
    if "raw" in body:
        data = body["raw"]
    else:
        conv = store.conversation(int(body["conversation_id"]))
        for key in ("status", "assignee_id", "additional_attributes"):
            if key in body:
                conv[key] = body[key]
        conv["updated_at"] = store.utcnow()
        data = {"action": "update_conversation", "conversation": store.serialize_conversation(conv)}
    await send("conversas_dashboard", {"type": "dashboard_event", "data": data})
    return JsonResponse({"sent": data}, status=202)


@route("POST")
async def documented_dashboard(body, kind):
    if store.REAL_ONLY:
        return JsonResponse({"detail": "ws/dashboard/ does not exist with --real-only"}, status=404)
    await mirror_documented(kind, body)
    return JsonResponse({"sent": {"type": kind, "data": body}}, status=202)


@route("GET")
async def stats(_body):
    return JsonResponse(store.stats())
