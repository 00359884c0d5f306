"""Loopback replica of NioChat's Django Channels WebSocket server (protocol 000 in PROTOCOLS.md).

Why: the Rust integration tests start this as a REAL Channels 4 application served by daphne (the real
deployment runs `daphne -b 0.0.0.0 -p 8010 niochat.asgi:application` with Django 5.2.4, channels 4.2.0,
daphne 4.1.0), so the SDK meets the exact handshakes, frames and close codes NioChat produces, not a
hand-written imitation. Only the Redis channel layer becomes InMemoryChannelLayer and the database becomes
dicts (store.py). What is replicated, from the public repository juniorssilvaa/niochat:

- backend/niochat/asgi.py TokenAuthMiddleware -> middleware.py: `?token=<DRF key>`; it never refuses.
- backend/conversations/routing.py -> routing.py: ws/conversations/<id>/, ws/notifications/<id>/,
  ws/conversas_dashboard/, ws/painel/<provedor_id>/, ws/user/<id>/, ws/user_status/ (trailing slash
  required; any other path -> HTTP 500 at the handshake).
- backend/conversations/consumers.py -> consumers.py (frames, echo to the sender, 403 for an anonymous
  ws/user_status/, close 1011 on invalid JSON, frames without "type" on ws/conversas_dashboard/).
- the group_send calls of conversations/views.py, conversations/services.py and integrations/views.py
  (new message, deletion re-send, reactions, painel events, dashboard updates) -> control.py routes.

NOT on the real server, added because the seed document describes it: ws/dashboard/ with the seven
documented {type, data} events (consumers.DocumentedDashboardConsumer). `--real-only` removes it, and the
path then behaves as on the real server: no route -> HTTP 500.

Usage: python niochat_server.py [--port 0] [--token KEY[:USER_ID] ...] [--real-only]
                                [--ping-interval 20] [--ping-timeout 30] [--verbose]
Binds 127.0.0.1 only and prints exactly one line `LISTENING <port>` on stdout once bound (port 0: any free
port). --token adds valid keys (40 lowercase hex; user ids 1, 2, ... unless given). Stops on SIGTERM/SIGINT,
and on EOF of stdin when stdin is a pipe (the parent test process died). Logs (daphne access log,
tracebacks inside consumers) go to stderr only with --verbose. --ping-interval/--ping-timeout are daphne's
WebSocket-level pings (seconds, daphne CLI defaults 20/30).
"""

import daphne.server  # noqa: F401  first: installs Twisted's asyncio reactor (import-order sensitive)

import argparse
import logging
import os
import stat
import sys
import threading
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0: any free port")
    ap.add_argument("--token", action="append", default=[], metavar="KEY[:USER_ID]")
    ap.add_argument("--real-only", action="store_true", help="no documented ws/dashboard/ (HTTP 500 there)")
    ap.add_argument("--ping-interval", type=float, default=20)
    ap.add_argument("--ping-timeout", type=float, default=30)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    if args.verbose:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    else:  # nothing at all on stderr (not even Python's last-resort handler for daphne's errors)
        logging.getLogger().addHandler(logging.NullHandler())
        logging.getLogger().setLevel(logging.CRITICAL + 1)
        warnings.simplefilter("ignore")

    sys.dont_write_bytecode = True  # no __pycache__ next to the sources
    sys.path.insert(0, HERE)
    os.environ["DJANGO_SETTINGS_MODULE"] = "settings"
    import store
    store.REAL_ONLY = args.real_only
    for i, spec in enumerate(args.token, 1):
        key, _, user_id = spec.partition(":")
        try:
            store.add_token(key, int(user_id or i))
        except ValueError as e:
            ap.error(f"--token {spec!r}: {e}")

    from asgi import application
    from daphne.access import AccessLogGenerator
    from daphne.server import Server
    from twisted.internet import reactor

    def ready():
        if server.listening_addresses:  # TCP listen is synchronous: known before the reactor runs
            # sys.__stdout__: with --verbose, Twisted's log has already taken over sys.stdout
            sys.__stdout__.write(f"LISTENING {server.listening_addresses[0][1]}\n")
            sys.__stdout__.flush()

    # Arguments as the daphne CLI passes them by default (the real server runs the CLI).
    server = Server(
        application=application,
        endpoints=[f"tcp:port={args.port}:interface=127.0.0.1"],
        signal_handlers=True,  # SIGTERM/SIGINT stop the reactor
        action_logger=AccessLogGenerator(sys.stderr) if args.verbose else None,
        websocket_timeout=86400,
        websocket_connect_timeout=5,
        ping_interval=args.ping_interval,
        ping_timeout=args.ping_timeout,
        application_close_timeout=10,
        verbosity=2 if args.verbose else 0,
        ready_callable=ready,
    )

    def watch_stdin():  # stdin is a pipe from the parent test process: its EOF means the parent died
        while os.read(0, 4096):
            pass
        reactor.callFromThread(server.stop)

    mode = os.fstat(0).st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):  # not a tty, not /dev/null
        threading.Thread(target=watch_stdin, daemon=True).start()

    server.run()
    if not server.listening_addresses:
        sys.exit(f"niochat_server: could not listen on 127.0.0.1:{args.port}")


if __name__ == "__main__":
    main()
