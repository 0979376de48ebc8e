"""Follow the teacher: a class the teacher opens, whose students' pages follow the teacher's live.

HTTP: ``POST /api/classes`` opens a class and answers its join ``code``, ``join_url`` (``/join/CODE`` on
an address the students' machines can reach), ``qr_url`` and its ``control_token`` (given only then:
the teacher's browser keeps it); ``GET /api/classes/{code}`` (counts and the last state);
``POST /api/classes/{code}/end`` (needs the token in ``X-Control-Token``, 403 otherwise);
``GET /api/classes/{code}/qr.svg``: the join URL as a QR code (segno). Pages: ``/join`` (a form for
the code) and ``/join/{code}``, which sends the student to the teacher's page with ``?class=CODE``.

``WS /ws/classes/{code}``: a new connection follows; it gets ``{"type": "state", "path", "query",
"seq"}`` now (when the teacher has sent one) and at every change. It may send ``{"type": "explore"}``
(no more states: exploring alone) and ``{"type": "follow"}`` (the current state at once, then every
change). The teacher's browser sends ``{"type": "lead", "token"}`` and ``{"type": "state", "token",
"path", "query"}``, and gets ``{"type": "count", "following", "exploring"}`` whenever they change. A
message that is not one of these, or a state with a wrong token, is answered ``{"type": "error",
"code", "message", "params"}`` and changes nothing. When the class ends every member gets ``{"type":
"ended", "reason"}`` and the close code 1000; an unknown class is closed with 4404, a full one 1013.
"""

import asyncio
import io
import json
import logging
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Header, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.requests import HTTPConnection

from engine.errors import EngineError

from ..classes import ClassRegistry, Classroom, MAX_QUERY, normal_code
from ..error_handlers import engine_message
from ..hosts import LOOPBACK_HOSTS, WILDCARD_ADDRESSES, machine_addresses, url_host
from ..i18n import request_language
from ..refusals import close_reason
from ..responses import JSONResponse, dumps
from ..schemas.classes import ClassCreated, ClassEnded, ClassResponse
from ..schemas.common import ErrorResponse, message_fields
from ..templating import render

log = logging.getLogger(__name__)
router = APIRouter(tags=["classes"])

_STATUS = {"unknown_class": 404, "not_class_leader": 403, "too_many_classes": 429, "classes_full": 429}
_ERRORS = {403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}, 429: {"model": ErrorResponse}}
ControlToken = Annotated[str | None, Header(alias="X-Control-Token", description="the class's control token")]
MAX_MESSAGE_CHARS = MAX_QUERY + 1000
SWEEP_SECONDS = 30.0  # how often an open websocket with nothing to send lets the registry end idle classes


def get_class_registry(connection: HTTPConnection) -> ClassRegistry:
    return connection.app.state.classes


ClassRegistryDep = Annotated[ClassRegistry, Depends(get_class_registry)]


def _refusal(request: Request, error: EngineError) -> JSONResponse:
    if error.code not in _STATUS:
        raise error
    return JSONResponse(
        {"detail": engine_message(request_language(request), error), "code": error.code, "params": error.params},
        status_code=_STATUS[error.code],
    )


def join_url(request: Request, code: str, listen_host: str) -> str:
    """``/join/CODE`` on the address the teacher reached the server by, or, when that is loopback and
    the server listens on every address, on the machine's first address other machines can reach."""
    host = request.headers.get("host") or "127.0.0.1"
    hostname, port = request.url.hostname or "", request.url.port
    if url_host(hostname).lower() in LOOPBACK_HOSTS and listen_host in WILDCARD_ADDRESSES:
        addresses = machine_addresses()
        if addresses:
            host = url_host(addresses[0]) + (f":{port}" if port else "")
    return f"{request.url.scheme}://{host}/join/{code}"


def _view(request: Request, room: Classroom, listen_host: str) -> dict:
    return {
        "code": room.code,
        "join_url": join_url(request, room.code, listen_host),
        "qr_url": f"/api/classes/{room.code}/qr.svg",
        **room.counts(),
        "state": room.state,
    }


@router.post("/api/classes", response_model=ClassCreated, status_code=201, responses=_ERRORS)
async def open_class(request: Request, registry: ClassRegistryDep):
    """Open a class led by this browser; 429 when this device or the server has too many open. The
    answer's `control_token` is the only key to leading and ending the class: keep it."""
    try:
        room, token = registry.create(request.client.host if request.client else None)
    except EngineError as error:
        return _refusal(request, error)
    return {**_view(request, room, request.app.state.listen_host), "control_token": token}


@router.get("/api/classes/{code}", response_model=ClassResponse, responses=_ERRORS)
async def get_class(code: str, request: Request, registry: ClassRegistryDep):
    """The class's join URL, how many students follow or explore alone, and the teacher's last state."""
    try:
        return _view(request, registry.get(code), request.app.state.listen_host)
    except EngineError as error:
        return _refusal(request, error)


@router.post("/api/classes/{code}/end", response_model=ClassEnded, responses=_ERRORS)
async def end_class(code: str, request: Request, registry: ClassRegistryDep, token: ControlToken = None):
    """End the class: every student's page is told and stops following. Needs the class's control token."""
    try:
        room = registry.end(code, token)
    except EngineError as error:
        return _refusal(request, error)
    return {"code": room.code, "ended": room.ended}


@router.get("/api/classes/{code}/qr.svg", responses={200: {"content": {"image/svg+xml": {}}}, **_ERRORS})
async def class_qr(code: str, request: Request, registry: ClassRegistryDep):
    """The join URL as a QR code (SVG, error correction level M), for phones to scan off the projector."""
    try:
        room = registry.get(code)
    except EngineError as error:
        return _refusal(request, error)
    return Response(
        qr_svg(join_url(request, room.code, request.app.state.listen_host)),
        media_type="image/svg+xml",
        headers={"cache-control": "no-store"},
    )


def qr_svg(url: str) -> bytes:
    """``url`` as a QR code in SVG: dark modules on white, a quiet zone of 4 modules, no XML declaration."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", scale=8, border=4, xmldecl=False, dark="#000", light="#fff", title=url
    )
    return out.getvalue()


# ---- the join pages ------------------------------------------------------------------------------


@router.get("/join", response_class=HTMLResponse, include_in_schema=False)
async def join_form(request: Request, registry: ClassRegistryDep, code: str = ""):
    """The form where a student types the code (``?code=`` from the form itself goes on to /join/CODE)."""
    if code.strip():
        return RedirectResponse(f"/join/{normal_code(code)}", status_code=303)
    return render(request, "join.html", code="", error=None)


@router.get("/join/{code}", include_in_schema=False)
async def join(code: str, request: Request, registry: ClassRegistryDep):
    """To the teacher's page, following (``?class=CODE``); an unknown code gets the form again, with why (404)."""
    try:
        room = registry.get(code)
    except EngineError as error:
        response = render(
            request, "join.html", code=normal_code(code), error=engine_message(request_language(request), error)
        )
        response.status_code = 404
        return response
    state = room.state or {"path": "/", "query": ""}
    query = "&".join(part for part in (state["query"], f"class={room.code}") if part)
    return RedirectResponse(f"{state['path']}?{query}", status_code=303)


# ---- the websocket -------------------------------------------------------------------------------


def _error(lang: str, error: EngineError) -> str:
    return dumps(
        {
            "type": "error",
            "code": error.code,
            "message": engine_message(lang, error),
            "params": {
                k: v if isinstance(v, (int, float, str, bool, type(None))) else str(v) for k, v in error.params.items()
            },
        }
    )


_FIELDS = {
    "follow": ("type",),
    "explore": ("type",),
    "lead": ("type", "token"),
    "state": ("type", "token", "path", "query"),
}


def _parse(text: str | None) -> dict:
    """A member's message as a dict with a known ``type``, or an EngineError saying what is wrong."""
    usage = 'send {"type": "follow"}, {"type": "explore"}, {"type": "lead", "token": ...} or {"type": "state", ...}'
    if text is None or len(text) > MAX_MESSAGE_CHARS:
        raise EngineError(
            "bad_class_message",
            f"messages must be JSON text of at most {MAX_MESSAGE_CHARS} characters: {usage}",
            limit=MAX_MESSAGE_CHARS,
        )
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("type") not in ("follow", "explore", "lead", "state"):
        raise EngineError("bad_class_message", f"unknown message: {usage}", limit=MAX_MESSAGE_CHARS)
    return message_fields(data, data["type"], _FIELDS[data["type"]])


@router.websocket("/ws/classes/{code}")
async def class_socket(websocket: WebSocket, code: str, registry: ClassRegistryDep):
    lang = request_language(websocket)
    await websocket.accept()
    try:
        room = registry.get(code)
        member = registry.join(room)
    except EngineError as error:
        await websocket.send_text(_error(lang, error))
        await websocket.close(
            code=4404 if error.code == "unknown_class" else 1013, reason=close_reason(engine_message(lang, error))
        )
        return

    async def forward():
        while True:
            message = await member.next(timeout=SWEEP_SECONDS)
            if message is None:
                registry.sweep()  # (classes end on time even when nobody opens or asks for one)
                continue
            kind, text = message
            await websocket.send_text(text)
            if kind == "ended":
                return

    async def listen():
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            try:
                data = _parse(message.get("text"))
                kind = data["type"]
                if kind == "state":
                    registry.publish(room, member, data.get("token"), data.get("path"), data.get("query"))
                elif kind == "lead":
                    registry.lead(room, member, data.get("token"))
                else:
                    registry.set_role(room, member, "follower" if kind == "follow" else "explorer")
            except EngineError as error:
                member.offer(_error(lang, error), "error")

    sender, receiver = asyncio.create_task(forward()), asyncio.create_task(listen())
    try:
        done, _ = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
        failed = next((t.exception() for t in done if t.exception() is not None), None)
        if failed is None and sender in done:  # the class ended
            await websocket.close(code=1000)
        elif failed is not None and not isinstance(failed, (WebSocketDisconnect, OSError)):
            log.error("class %s: a websocket failed", room.code, exc_info=failed)
            await websocket.close(code=1011)
    except Exception:  # the member has gone: nothing to close
        pass
    finally:
        registry.leave(room, member)
        for task in (sender, receiver):
            task.cancel()
        await asyncio.wait({sender, receiver})
