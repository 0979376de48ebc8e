"""Sane limits on what one request may ask for, and the request-body size limit.

The traced labs loop in Python over every product, so their inputs are kept small enough to
answer in milliseconds and to send as JSON: every limit here is explained to the user in words.
"""

import json
import re

from starlette.requests import Request

from .i18n import request_language, translate
from .responses import JSONResponse

MAX_TRACE_SIDE = 64  # traced inputs: at most 64 x 64
MAX_CHANNELS = 16
MAX_FILTERS = 16
MAX_KERNEL_SIDE = 16  # kernels and pooling windows
MAX_STRIDE = 64
MAX_PADDING = 16
MAX_DILATION = 16
MAX_ABS_VALUE = 1e9  # larger numbers could overflow a sum of products
MAX_TRACE_PRODUCTS = 250_000  # products in one convolution trace (F * OH * OW * C * kh * kw), and window
# cells in one pooling trace (C * OH * OW * kh * kw): about 0.7 s and 12 MB at most


# A lone UTF-16 surrogate, escaped (\ud800) or as raw bytes (ED A0 80): JSON readers take it, UTF-8 cannot
# encode it, so any answer that echoes it would fail. Only a body with such a hint is parsed to make sure.
_SURROGATE_HINT = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def has_lone_surrogate(body: bytes) -> bool:
    """Whether a JSON body holds text with a lone surrogate (a valid pair, such as an emoji, is fine)."""
    if not _SURROGATE_HINT.search(body):
        return False
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return False  # not JSON: the app says so
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except (ValueError, RecursionError):
        return False
    return False


class BodySizeLimit:
    """ASGI middleware for request bodies: one larger than ``max_bytes`` is answered with 413 and a
    message, one whose text is not valid Unicode (a lone surrogate) with 422.

    A declared Content-Length is checked before anything is read; a body without one (chunked) is
    read up to the limit and no further. Every body of a POST, PUT or PATCH is then read (at most
    ``max_bytes``), checked and handed on to the app unchanged.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await self.refuse(scope, receive, send, int(declared))
                return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self.refuse(scope, receive, send, size)
                return
            if not message.get("more_body", False):
                break
        if has_lone_surrogate(b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")):
            await self.refuse_text(scope, receive, send)
            return

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def refuse(self, scope, receive, send, size: int):
        lang = request_language(Request(scope))
        detail = translate(lang, "error.body_too_large", size=f"{size:,}", limit=f"{self.max_bytes:,}")
        response = JSONResponse(
            {"detail": detail, "code": "body_too_large", "params": {"size": size, "limit": self.max_bytes}},
            status_code=413,
        )
        await response(scope, receive, send)

    async def refuse_text(self, scope, receive, send):
        lang = request_language(Request(scope))
        response = JSONResponse(
            {"detail": translate(lang, "error.bad_unicode"), "code": "bad_unicode"}, status_code=422
        )
        await response(scope, receive, send)
