"""Every error a user can cause becomes a 4xx answer with a message in the request's language.

- :class:`engine.errors.EngineError` (from the engine or from :mod:`app.arrays`): 422 with the
  catalogue message ``error.<code>`` filled from the error's params, or the engine's English
  message when the catalogue has no such key yet.
- Pydantic's request validation errors: 422 with one readable sentence per problem
  (``error.validation.<type>``), never a raw pydantic dump as the only text.
- Starlette's HTTP errors (an unknown route 404, a wrong method 405, a body that cannot be read
  400): the same shape, with a translated message; except that a browser asking for a page that
  does not exist (Accept: text/html, outside ``/api/``) gets an HTML not-found page with links home.
- Anything unexpected: 500 with a short translated message (and the traceback in the log).

Every body has ``detail`` (the message) and ``code``; ``params`` (and ``errors`` for validation)
carry the structured details.
"""

import logging
import reprlib

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import EngineError
from engine.shapes import shown_int

from .i18n import DEFAULT_LANGUAGE, catalogue, request_language, translate
from .responses import JSONResponse
from .security import security_headers
from .templating import render

log = logging.getLogger(__name__)

_PAIR_KEYS = {"padding", "stride", "dilation"}
_MAX_PARAM_DEPTH = 4  # error params echo what the user sent: a few levels and items of it are enough
_MAX_PARAM_ITEMS = 40
# Starlette's own HTTP errors: 400 is a body FastAPI could not parse (nested too deeply for the JSON
# reader, a number with thousands of digits, bytes in no Unicode encoding).
_HTTP_CODES = {400: "unreadable_body", 404: "not_found", 405: "method_not_allowed"}
_SHAPE_KEYS = {"kernel", "size", "shape", "expected"}


def _has(lang: str, key: str) -> bool:
    return key in catalogue(lang) or key in catalogue(DEFAULT_LANGUAGE)


def field_name(lang: str, name) -> str:
    """A field or thing ("the input", "stride") in the request's language."""
    text = str(name)
    key = "field." + text.removeprefix("the ").strip().replace(" ", "_")
    return translate(lang, key) if _has(lang, key) else text


def position(lang: str, pos) -> str:
    """``[["row", 2], ["column", 3]]`` as "row 2, column 3" (or "第 2 行，第 3 列")."""
    parts = [translate(lang, f"pos.{name}", n=index) for name, index in pos]
    return translate(lang, "pos.separator").join(parts) if parts else translate(lang, "pos.whole")


def _display(lang: str, key: str, value):
    if key == "what":
        return field_name(lang, value)
    if key in ("position", "first") and isinstance(value, list):
        return position(lang, value)
    if key in ("side", "unit") and isinstance(value, str) and _has(lang, f"padding.{key}.{value}"):
        return translate(lang, f"padding.{key}.{value}")  # a padding's side (top...) or unit (rows, columns)
    if key == "padding" and isinstance(value, list) and len(value) == 4:
        return translate(lang, "padding.sides_text", **dict(zip(("top", "bottom", "left", "right"), value)))
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        if key in _PAIR_KEYS and len(value) == 2:
            return str(value[0]) if value[0] == value[1] else f"({value[0]}, {value[1]})"
        if key in _SHAPE_KEYS:
            return "×".join(map(str, value))
        if key == "allowed":
            return translate(lang, "word.or").join(map(str, value))
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if key in ("dimension", "expected") and isinstance(value, str):
        return translate(lang, f"dim.{value}") if _has(lang, f"dim.{value}") else value
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return shown_int(value)  # (a 400-digit number as 1e+400)
    return value


def engine_message(lang: str, error: EngineError) -> str:
    """The error's message in ``lang``: the catalogue's ``error.<code>``, else the English message."""
    key = f"error.{error.code}"
    if not _has(lang, key):
        return error.message
    params = {k: _display(lang, k, v) for k, v in error.params.items()}
    if error.code.startswith("branches_mismatch") and isinstance(error.params.get("shapes"), list):
        params["shapes"] = translate(lang, "pos.separator").join(
            translate(lang, "error.path_shape", p=p, shape=shape) for p, shape in enumerate(error.params["shapes"], 1)
        )
    if error.code == "in_path" and isinstance(error.params.get("inner_code"), str):  # a layer inside a path
        inner = error.params.get("inner_params")
        params["detail"] = engine_message(
            lang,
            EngineError(
                error.params["inner_code"],
                str(error.params.get("detail")),
                **(inner if isinstance(inner, dict) else {}),
            ),
        )
    text = _sentence(translate(lang, key, **params))
    sublayer = error.params.get("sublayer")
    if isinstance(sublayer, str) and sublayer not in text:  # a layer inside a branches layer's path: name it
        text = f"{sublayer}: {text}"
    return text


def _sentence(text: str) -> str:
    """Start with a capital letter ("the input ..." -> "The input ..."), unless it starts with a
    setting's name as it is written in a request ("ceil_mode must be ...")."""
    if "_" in text.split(" ", 1)[0] or "." in text.split(" ", 1)[0].rstrip(".:"):  # (or a name: branches1.path2.conv1)
        return text
    return text[:1].upper() + text[1:]


def _jsonable(value, depth: int = 0):
    """Error params as plain JSON; nesting beyond a few levels (a user's deeply nested value) is cut."""
    if isinstance(value, (list, tuple, dict)) and depth >= _MAX_PARAM_DEPTH:
        return "..."
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in value[:_MAX_PARAM_ITEMS]]
    if isinstance(value, dict):
        return {str(k)[:40]: _jsonable(v, depth + 1) for k, v in list(value.items())[:_MAX_PARAM_ITEMS]}
    if isinstance(value, str):
        return value[:200]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    return str(value)


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 40, 40


def _short(value) -> str:
    if isinstance(value, bool) or value is None:  # as JSON writes them
        return {True: "true", False: "false", None: "null"}[value]
    text = value if isinstance(value, str) else _REPR.repr(value)  # (a deeply nested value only to a few levels)
    return text if len(text) <= 40 else text[:37] + "..."


def validation_message(lang: str, error: dict) -> str:
    """One pydantic error as a sentence: which field, what was wrong, what was given."""
    loc = [part for part in error.get("loc", ()) if part != "body"]
    kind = error.get("type", "")
    if kind == "json_invalid":
        return translate(lang, "error.validation.json_invalid")
    if not loc:
        key = "error.validation.missing_body" if kind == "missing" else "error.validation.body"
        return translate(lang, key, msg=error.get("msg", ""))
    if kind in ("model_attributes_type", "model_type"):  # a field that must be an object (the trace region)
        kind = "dict_type"
    if kind == "extra_forbidden":  # the field itself is unknown: name it as it was sent
        return _sentence(translate(lang, "error.validation.extra_forbidden", name=_short(loc[-1])))
    ctx = error.get("ctx") or {}
    field = field_name(lang, loc[0]) + "".join(f"[{p}]" if isinstance(p, int) else f".{_short(p)}" for p in loc[1:])
    params = {
        "field": field,
        "input": _short(error.get("input")),
        "msg": error.get("msg", ""),
        "expected": str(ctx.get("expected", "")).replace(" or ", translate(lang, "word.or")),
        "limit": next((ctx[k] for k in ("ge", "gt", "le", "lt", "max_length", "min_length") if k in ctx), ""),
    }
    key = f"error.validation.{kind}"
    return _sentence(translate(lang, key if _has(lang, key) else "error.validation.other", **params))


def wants_page(request: Request) -> bool:
    """A browser asking for a page (Accept: text/html, a GET or HEAD outside ``/api/`` and ``/static/``):
    it gets an HTML answer; everything else keeps the JSON error shape."""
    path = request.url.path
    return (
        request.method in ("GET", "HEAD")
        and "text/html" in request.headers.get("accept", "")
        and not path.startswith(("/api/", "/static/"))
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(EngineError)
    async def on_engine_error(request: Request, error: EngineError):
        lang = request_language(request)
        return JSONResponse(
            {"detail": engine_message(lang, error), "code": error.code, "params": _jsonable(error.params)},
            status_code=422,
        )

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, error: RequestValidationError):
        lang = request_language(request)
        problems = list(error.errors())
        messages = [validation_message(lang, e) for e in problems[:5]]
        if len(problems) > 5:
            messages.append(translate(lang, "error.validation.more", n=len(problems) - 5))
        errors = [
            {"loc": _jsonable(list(e.get("loc", ()))), "type": e.get("type"), "message": m}
            for e, m in zip(problems, messages)
        ]
        return JSONResponse(
            {
                "detail": translate(lang, "pos.list_separator").join(messages),
                "code": "invalid_request",
                "errors": errors,
            },
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException):
        lang = request_language(request)
        if error.status_code == 404 and wants_page(request):
            response = render(request, "not_found.html", missing_path=request.url.path[:200])
            response.status_code = 404
            return response
        code = _HTTP_CODES.get(error.status_code, "http")
        detail = translate(lang, f"error.{code}", status=error.status_code, method=request.method)
        return JSONResponse(
            {"detail": detail, "code": code, "params": {"status": error.status_code}},
            status_code=error.status_code,
            headers=error.headers,
        )

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        lang = request_language(request)
        # (sent by Starlette's outermost middleware, past app.security.SecurityHeaders: set them here)
        headers = security_headers(request.url.path, request.headers.get("host"))
        return JSONResponse(
            {"detail": translate(lang, "error.internal"), "code": "internal"}, status_code=500, headers=headers
        )
