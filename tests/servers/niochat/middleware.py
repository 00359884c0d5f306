"""The WebSocket token middleware of the NioChat replica.

Behaviour of the real one (class TokenAuthMiddleware in backend/niochat/asgi.py), kept here:
- the key comes from the raw query string, split on '&' then '=' WITHOUT url-decoding; when an item has
  more than one '=' that split fails and the key is cut out of the text after the first "token=";
- the key is looked up as a DRF Token (exact match); found -> scope['user'] = its user, otherwise
  scope['user'] = AnonymousUser;
- it NEVER refuses a connection. Refusing is up to each consumer: only UserStatusConsumer
  (ws/user_status/, ws/user/<id>/) closes an anonymous socket before accepting it, which daphne turns into
  an HTTP 403 at the handshake. ws/conversations/, ws/painel/ and ws/conversas_dashboard/ accept anyone.

Added for the tests (no effect on the wire): each socket is counted per path for GET /test/stats, by
watching the ASGI messages the application sends and how the application ends:
attempts (handshakes), accepted, refused (close before accept -> 403), open (accepted, application still
running), closed_by_server (close after accept), crashed (the application raised: daphne answers the
handshake with 500, or closes an accepted socket with 1011).
"""

import store


def token_from_query(query_string):
    """The real middleware's parsing, quirks included (no %-decoding, '=' inside a value breaks the dict)."""
    if not query_string:
        return None
    try:
        pairs = [item.split("=") for item in query_string.split("&") if "=" in item]
        return dict(pairs).get("token")  # dict() raises ValueError on an item like a=b=c
    except ValueError:
        if "token=" in query_string:
            return query_string.split("token=")[1].split("&")[0]
        return None


class TokenAuthMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        token = token_from_query(scope.get("query_string", b"").decode())
        user = store.user_for_token(token) if token else None
        scope["user"] = user or store.AnonymousUser()
        return await self._counted(scope, receive, send)

    async def _counted(self, scope, receive, send):
        path, accepted = scope.get("path", ""), False
        store.count("attempts", path)

        async def counting_send(message):
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                store.count("accepted", path)
                store.count("open", path)
            elif message["type"] == "websocket.close":
                store.count("closed_by_server" if accepted else "refused", path)
            await send(message)

        try:
            return await self.app(scope, receive, counting_send)
        except BaseException:
            store.count("crashed", path)
            raise
        finally:
            if accepted:
                store.count("open", path, -1)
