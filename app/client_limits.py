"""How many connections one client, and everyone together, may hold open at once.

:class:`ConnectionLimits` is ASGI middleware counting open HTTP requests and open websockets per
client address (``scope["client"][0]``) and overall, from the moment the app is handed a
connection until it returns. One more is refused at once: an HTTP request with 429 (``Retry-After:
1``) and a websocket with close code 1013 ("try again later"), each with a message in the request's
language. Counting happens on the event loop only, so it needs no lock.
"""

from collections import Counter

from .refusals import refuse

TRY_AGAIN_LATER = 1013  # the websocket close code


class ConnectionLimits:
    """``limits`` maps ``"http"`` and ``"websocket"`` to ``(per_client, overall)``."""

    def __init__(self, app, limits: dict[str, tuple[int, int]]):
        self.app = app
        self.limits = limits
        self.open = {kind: Counter() for kind in limits}  # kind -> client address -> open connections
        self.total = dict.fromkeys(limits, 0)

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind not in self.limits:
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "?"
        per_client, overall = self.limits[kind]
        code, limit = None, None
        if self.open[kind][client] >= per_client:
            code, limit = ("too_many_requests" if kind == "http" else "too_many_websockets"), per_client
        elif self.total[kind] >= overall:
            code, limit = "server_busy", overall
        if code is not None:
            await refuse(
                scope,
                receive,
                send,
                status=429,
                close_code=TRY_AGAIN_LATER,
                code=code,
                headers={"retry-after": "1"},
                limit=limit,
            )
            return
        self.open[kind][client] += 1
        self.total[kind] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.total[kind] -= 1
            self.open[kind][client] -= 1
            if not self.open[kind][client]:
                del self.open[kind][client]
