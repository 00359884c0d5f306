"""ASGI application of the NioChat replica, shaped like the real backend/niochat/asgi.py:
HTTP -> Django (here only the /test/* control routes of urls.py), WebSocket -> TokenAuthMiddleware ->
URLRouter(routes). No AllowedHostsOriginValidator, as on the real server: any Origin is accepted.
Import this only after store.REAL_ONLY is set (niochat_server.py does).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()  # sets Django up before the consumers are imported

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from middleware import TokenAuthMiddleware  # noqa: E402
from routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": TokenAuthMiddleware(URLRouter(websocket_urlpatterns())),
})
