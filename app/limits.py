"""Sane limits on what one request may ask for, and the request-body size limit.

The traced labs loop in Python over every product, so their inputs are kept small enough to
answer in milliseconds and to send as JSON: every limit here is explained to the user in words.
"""
from starlette.requests import Request
from starlette.responses import JSONResponse

from .i18n import request_language, translate

MAX_TRACE_SIDE = 64          # traced inputs: at most 64 x 64
MAX_CHANNELS = 16
MAX_FILTERS = 16
MAX_KERNEL_SIDE = 16         # kernels and pooling windows
MAX_STRIDE = 64
MAX_PADDING = 16
MAX_DILATION = 16
MAX_ABS_VALUE = 1e9          # larger numbers could overflow a sum of products
MAX_TRACE_PRODUCTS = 250_000 # products in one convolution trace (F * OH * OW * C * kh * kw)


class BodySizeLimit:
    """ASGI middleware: a request body larger than ``max_bytes`` is answered with 413 and a message.

    A declared Content-Length is checked before anything is read; a body without one (chunked) is
    read up to the limit and then handed on to the app unchanged.
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
            await self.app(scope, receive, send)
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

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def refuse(self, scope, receive, send, size: int):
        lang = request_language(Request(scope))
        detail = translate(lang, "error.body_too_large", size=f"{size:,}", limit=f"{self.max_bytes:,}")
        response = JSONResponse({"detail": detail, "code": "body_too_large",
                                 "params": {"size": size, "limit": self.max_bytes}}, status_code=413)
        await response(scope, receive, send)
