"""Django settings of the NioChat replica (see niochat_server.py for what is replicated and why).

The real project (backend/niochat/settings.py) runs Django 5.2 + Channels 4.2 under daphne with a Redis
channel layer, PostgreSQL and DRF token auth. Here only what the WebSocket side needs is kept: the
in-memory channel layer (one process, so HTTP test-control views and consumers share it), no database
(tokens, users and messages live in store.py), no middleware, no logging configuration of Django's own
(niochat_server.py decides what reaches stderr).
"""

SECRET_KEY = "niochat-replica-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = []  # channels does not need to be an installed app for routing; daphne is run directly
MIDDLEWARE = []  # no CSRF/session: the /test/* routes take plain JSON POSTs
ROOT_URLCONF = "urls"
ASGI_APPLICATION = "asgi.application"
DATABASES = {}  # nothing here touches a database

CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The real TIME_ZONE is "America/Belem" (UTC-03:00, no DST). DRF renders model datetimes in that zone
# (`...-03:00`); store.py does the same with a fixed offset so no tz database is needed. "UTC" here keeps
# django.utils.timezone.now() aware in UTC (`...+00:00`), as on the real server.
TIME_ZONE = "UTC"
USE_TZ = True
LANGUAGE_CODE = "pt-br"

LOGGING_CONFIG = None  # niochat_server.py configures logging (stderr, only with --verbose)
