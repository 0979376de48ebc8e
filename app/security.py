"""What keeps other web pages and other names out of a server on a classroom network: ASGI middleware
applied once in :mod:`app.main`, in this order from the outside in.

- :class:`SecurityHeaders`: every HTTP answer carries a Content-Security-Policy (our own origin only,
  no inline script or style), ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
  ``Referrer-Policy: no-referrer`` and ``Cross-Origin-Opener-Policy: same-origin``.
- :class:`HostCheck`: the ``Host`` header must be a name the server is reached by (DNS rebinding),
  else 400 ``bad_host`` (websockets: close 4400). Starlette's TrustedHostMiddleware decides; this
  wrapper only answers in words.
- :class:`SameOriginCheck`: a websocket from a page of another origin is closed with 4403
  ``cross_site``; a POST, PUT, PATCH or DELETE from another site (``Origin``, ``Sec-Fetch-Site``) is
  refused with 403 ``cross_site``, and a body that is not JSON (what an HTML form can send) with
  415 ``json_required``. Clients that send no ``Origin`` (curl, scripts, tests) are not browsers
  acting for another site, and pass.

The server's own origin is the request's scheme and ``Host`` header (already checked); other
origins are allowed by ``CNN_PLAYGROUND_ALLOWED_ORIGINS``.
"""

from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware

from .refusals import refuse

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Sec-Fetch-Site values of a request a browser made for one of our own pages, or for the user
# typing an address: anything else ("same-site", "cross-site") comes from another origin.
OWN_FETCH_SITES = frozenset({"same-origin", "none"})

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",  # plus ws:// and wss:// to the request's own host
    "worker-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# ReDoc (/redoc only) styles itself through <style> elements it writes at run time (styled-components)
# and runs its search index in a worker made from a blob: URL. Its script still comes from our origin only.
REDOC_POLICY = {**POLICY, "style-src": "'self' 'unsafe-inline'", "worker-src": "'self' blob:"}
POLICIES = {"/redoc": REDOC_POLICY}

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


def content_security_policy(path: str, host: str | None) -> str:
    """The policy for ``path`` served to a browser that reached us as ``host`` (the Host header)."""
    policy = dict(POLICIES.get(path, POLICY))
    if host:
        policy["connect-src"] += f" ws://{host} wss://{host}"
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def security_headers(path: str, host: str | None) -> dict[str, str]:
    """Every security header of an answer to ``path`` (also for answers sent outside this middleware)."""
    return {**HEADERS, "content-security-policy": content_security_policy(path, host)}


def _checked_host(headers: Headers) -> str | None:
    """The Host header if it is a plain host[:port] (it goes into a header value), else None."""
    host = headers.get("host", "")
    return host if host and all(c.isalnum() or c in ".-:[]_" for c in host) else None


class SecurityHeaders:
    """Adds :func:`security_headers` to every HTTP answer that does not set them itself."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"], _checked_host(Headers(scope=scope)))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k.encode(), v.encode("latin-1")) for k, v in extra.items() if k.encode() not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HostCheck:
    """Starlette's TrustedHostMiddleware deciding whether the ``Host`` header is one of
    ``allowed_hosts`` (names or addresses without a port; ``*.example.org``; ``*`` allows all),
    answering a refusal in words: 400 ``bad_host`` (websocket close 4400)."""

    _PASSED = "cnn_playground.host_ok"

    def __init__(self, app, allowed_hosts: list[str]):
        self.app = app
        self.trusted = TrustedHostMiddleware(self._through, allowed_hosts=allowed_hosts, www_redirect=False)

    async def _through(self, scope, receive, send):
        scope[self._PASSED] = True
        await self.app(scope, receive, send)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def send_if_passed(message):  # (the middleware's own plain-text refusal is dropped)
            if scope.get(self._PASSED):
                await send(message)

        await self.trusted(scope, receive, send_if_passed)
        if not scope.get(self._PASSED):
            host = Headers(scope=scope).get("host", "")
            await refuse(scope, receive, send, status=400, close_code=4400, code="bad_host", host=host[:100])


def own_origin(scope) -> str | None:
    """The origin a page of ours has: the request's scheme (ws as http) and its Host header."""
    host = Headers(scope=scope).get("host")
    if not host:
        return None
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
    return f"{scheme}://{host}".lower()


def is_json(content_type: str) -> bool:
    """``application/json`` or any ``+json`` type, with or without parameters."""
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class SameOriginCheck:
    """Refuses websockets from other origins and state-changing requests from other sites or not in
    JSON (see the module's docstring). ``allowed_origins``: other origins (``http://host:port``)
    treated as our own; ``*`` allows every origin."""

    def __init__(self, app, allowed_origins: list[str]):
        self.app = app
        self.allowed = {origin.rstrip("/").lower() for origin in allowed_origins}

    def foreign(self, scope, headers: Headers) -> str | None:
        """The other origin a browser says the request comes from, or None if it is ours (or unsaid)."""
        origin = headers.get("origin")
        if "*" in self.allowed or (origin is not None and origin.lower() in self.allowed):
            return None
        if origin is not None and origin.lower() != own_origin(scope):
            return origin
        site = headers.get("sec-fetch-site")
        if scope["type"] == "http" and site is not None and site.lower() not in OWN_FETCH_SITES:
            return origin or site
        return None

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "websocket" or (kind == "http" and scope["method"] in STATE_CHANGING):
            headers = Headers(scope=scope)
            origin = self.foreign(scope, headers)
            if origin is not None:
                await refuse(scope, receive, send, status=403, close_code=4403, code="cross_site", origin=origin[:100])
                return
            content_type = headers.get("content-type")
            if kind == "http" and content_type is not None and not is_json(content_type):
                await refuse(
                    scope, receive, send, status=415, close_code=1003, code="json_required", type=content_type[:60]
                )
                return
        await self.app(scope, receive, send)
