"""Refusing a connection before the app sees it, in words, in the request's language.

An HTTP request gets the usual error shape (``{"detail", "code", "params"}``) and a status. A
websocket is accepted and at once closed: first an ``error`` message with the same fields (both
sockets' error shapes: ``detail`` and ``message``), then a close code with the message as its
reason, since a handshake refused before acceptance reaches the browser as a bare failure.
"""

import json

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse

from .i18n import request_language, translate

MAX_CLOSE_REASON_BYTES = 123  # what a websocket close frame can carry


def close_reason(text: str) -> str:
    """``text`` cut to fit a close frame (on a character boundary, with an ellipsis if cut)."""
    if len(text.encode("utf-8")) <= MAX_CLOSE_REASON_BYTES:
        return text
    while len((text + "…").encode("utf-8")) > MAX_CLOSE_REASON_BYTES:
        text = text[:-1]
    return text + "…"


async def refuse(
    scope, receive, send, *, status: int, close_code: int, code: str, headers: dict[str, str] | None = None, **params
) -> None:
    """Answer ``scope`` (HTTP or websocket) with the catalogue's ``error.<code>`` filled from
    ``params``: HTTP ``status`` or websocket close ``close_code``."""
    lang = request_language(HTTPConnection(scope))
    detail = translate(lang, f"error.{code}", **params)
    if scope["type"] == "websocket":
        message = await receive()
        if message["type"] != "websocket.connect":  # the client has gone already
            return
        await send({"type": "websocket.accept"})
        await send(
            {
                "type": "websocket.send",
                "text": json.dumps(
                    {"type": "error", "code": code, "detail": detail, "message": detail, "params": params}
                ),
            }
        )
        await send({"type": "websocket.close", "code": close_code, "reason": close_reason(detail)})
        return
    response = JSONResponse({"detail": detail, "code": code, "params": params}, status_code=status, headers=headers)
    await response(scope, receive, send)
