"""WebSocket routes of the NioChat replica: the real backend/conversations/routing.py, same regexes.

Channels strips the leading "/" and matches these with re.search-like Django patterns: the trailing slash
is required (`ws/painel/1` has no route), ids are `\\w+` (so `ws/conversations/abc/` is accepted too), and
a path with no route makes URLRouter raise, which daphne answers with HTTP 500 at the handshake.
Not replicated (other modules of the real server): ws/internal-chat/<room_id>/,
ws/internal-chat-notifications/, ws/private-chat/ -> HTTP 500 here.
"""

from django.urls import re_path

import consumers
import store


def websocket_urlpatterns():
    routes = [
        re_path(r"ws/conversations/(?P<conversation_id>\w+)/$", consumers.ConversationConsumer.as_asgi()),
        re_path(r"ws/notifications/(?P<user_id>\w+)/$", consumers.NotificationConsumer.as_asgi()),
        re_path(r"ws/conversas_dashboard/$", consumers.DashboardConsumer.as_asgi()),
        re_path(r"ws/painel/(?P<provedor_id>\w+)/$", consumers.PainelConsumer.as_asgi()),
        re_path(r"ws/user/(?P<user_id>\w+)/$", consumers.UserStatusConsumer.as_asgi()),
        re_path(r"ws/user_status/$", consumers.UserStatusConsumer.as_asgi()),
    ]
    if not store.REAL_ONLY:  # the documented endpoint, absent from the real server
        routes.append(re_path(r"ws/dashboard/$", consumers.DocumentedDashboardConsumer.as_asgi()))
    return routes
