"""Training runs over HTTP and websockets, and the network check the builder calls as you edit.

HTTP: ``POST /api/runs`` starts (or queues) a run and answers its view with its ``id`` and its
``control_token`` (given only then: the starting browser keeps it); ``GET /api/runs``,
``GET /api/runs/{id}``; ``POST /api/runs/{id}/pause``, ``/resume``, ``/stop``, ``/step`` (one batch of
a paused run; 409 otherwise) and ``/pace`` (``{"pace": 2}`` steps a second, or ``null`` for full
speed); ``POST /api/runs/{id}/save`` saves a finished run's model for the draw page. Controlling and
saving need the run's token in the ``X-Control-Token`` header (403 otherwise): a shared link only watches.

``WS /ws/runs/{id}?after=<seq>`` streams the run's events as JSON text, each with ``type``
(``status``, ``progress``, ``snapshot``, ``epoch``, ``pace``, ``done``, ``error``) and ``seq``: first the
history after ``after`` (default: all of it), then live, and closes (1000) after ``done``. The
client may send ``{"type": "pause" | "resume" | "stop" | "step", "token": ...}``, ``{"type": "set", "lr": 0.01,
"token": ...}`` and ``{"type": "pace", "pace": 2 | null, "token": ...}`` (the run's control token);
anything else is answered with ``{"type": "error", "code", "message"}`` (no ``seq``: it is not part
of the run) and the connection carries on. An unknown run gets an ``error`` and close code 4404; a
viewer too slow to keep up is closed with 1013 and catches up by reconnecting with ``after``.
"""

import asyncio
import json

from typing import Annotated

from fastapi import APIRouter, Header, Request, WebSocket
from fastapi.responses import JSONResponse

from engine.errors import EngineError
from engine.model import layer_types
from engine.presets import PRESETS

from ..deps import ModelStoreDep, SettingsDep
from ..error_handlers import engine_message
from ..i18n import request_language
from ..responses import dumps
from ..runs import network
from ..runs.base import COMMANDS, HYPERPARAMETERS, RunConfig, SlowViewer
from ..runs.deps import RunRegistryDep, mnist_available
from ..runs.network import MAX_LAYERS, MAX_VALUES_PER_IMAGE
from ..schemas.common import ErrorResponse, message_fields
from ..schemas.runs import (
    MAX_BATCH,
    MAX_EPOCHS,
    MAX_PACE,
    OPTIMIZERS,
    NetworkCheckResponse,
    NetworkRequest,
    RunCreated,
    RunCreateRequest,
    RunPaceRequest,
    RunResponse,
    SaveModelRequest,
    TrainingOptions,
)

router = APIRouter(tags=["training"])

# Registry errors that are not about the request's content.
_STATUS = {
    "unknown_run": 404,
    "not_run_owner": 403,
    "run_finished": 409,
    "run_not_finished": 409,
    "run_not_paused": 409,
    "model_name_in_use": 409,
    "not_model_owner": 403,
    "too_many_runs": 429,
    "queue_full": 429,
}
_ERRORS = {
    403: {"model": ErrorResponse},
    404: {"model": ErrorResponse},
    409: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
    429: {"model": ErrorResponse},
}
ControlToken = Annotated[str | None, Header(alias="X-Control-Token", description="the run's control token")]
MAX_MESSAGE_CHARS = 1000
_ARGUMENTS = {"set": ("lr",), "pace": ("pace",)}  # a websocket command's fields besides "type" and "token"


def _answer(request: Request, call, *args, **kwargs):
    """``call(...)``, with the registry's not-found and conflict errors as 404 and 409."""
    try:
        return call(*args, **kwargs)
    except EngineError as error:
        if error.code not in _STATUS:
            raise
        lang = request_language(request)
        return JSONResponse(
            {"detail": engine_message(lang, error), "code": error.code, "params": error.params},
            status_code=_STATUS[error.code],
        )


@router.get("/api/training/options", response_model=TrainingOptions)
def training_options(settings: SettingsDep, registry: RunRegistryDep) -> dict:
    """What the builder offers: presets, datasets on this server, optimizers, layer types and the caps."""
    return {
        "presets": PRESETS,
        "datasets": {"sample": True, "mnist": mnist_available(settings.data_dir)},
        "optimizers": list(OPTIMIZERS),
        "layer_types": sorted(layer_types()),
        "limits": {
            "max_params": settings.max_model_params,
            "max_run_seconds": settings.max_run_seconds,
            "max_concurrent_runs": registry.max_concurrent,
            "max_epochs": MAX_EPOCHS,
            "max_batch_size": MAX_BATCH,
            "max_layers": MAX_LAYERS,
            "max_values_per_image": MAX_VALUES_PER_IMAGE,
            "max_pace": MAX_PACE,
        },
    }


@router.post("/api/networks/check", response_model=NetworkCheckResponse, responses=_ERRORS)
def check_network(body: NetworkRequest, request: Request, settings: SettingsDep) -> dict:
    """Each layer's output shape and parameters (with what a dense layer would need instead), or the
    first layer that cannot work and why, and the memory a run at ``batch_size`` would need: the
    builder shows these as you edit."""
    spec, _ = network.resolve(body.preset, body.layers, body.dropout)
    report = network.inspect(
        spec,
        settings.max_model_params,
        batch_size=body.batch_size,
        optimizer=body.optimizer,
        max_memory_bytes=settings.max_run_memory_mb * network.MB,
    )
    error = None
    if report.error is not None:
        detail = engine_message(request_language(request), report.error)
        error = {
            "index": report.error_index,
            "code": report.error.code,
            "detail": detail,
            "params": report.error.params,
        }
    return {
        "ok": report.ok,
        "spec": spec,
        "layers": report.rows,
        "total_params": report.total_params,
        "output_shape": report.output_shape,
        "max_params": settings.max_model_params,
        "memory": report.memory_json(),
        "error": error,
    }


@router.post("/api/runs", response_model=RunCreated, status_code=201, responses=_ERRORS)
def create_run(body: RunCreateRequest, request: Request, registry: RunRegistryDep):
    """Start a training run, or queue it when the server is busy; 422 explains an impossible network,
    429 a client with too many runs or a full queue. The answer's `control_token` is the only key to the
    run's controls: keep it."""
    spec, preset = network.resolve(body.preset, body.layers, body.dropout)
    config = RunConfig(spec=spec, preset=preset, **body.model_dump(include=set(HYPERPARAMETERS)))
    client = request.client.host if request.client else None
    return _answer(request, registry.create, config, client, pace=body.pace)


@router.get("/api/runs", response_model=list[RunResponse])
def list_runs(registry: RunRegistryDep) -> list[dict]:
    """Running, queued and recently finished runs, newest first."""
    return registry.list()


@router.get("/api/runs/{run_id}", response_model=RunResponse, responses=_ERRORS)
def get_run(run_id: str, request: Request, registry: RunRegistryDep):
    return _answer(request, registry.get, run_id)


def _control(command: str, doc: str):
    def route(run_id: str, request: Request, registry: RunRegistryDep, token: ControlToken = None):
        return _answer(request, registry.control, run_id, command, token=token)

    route.__name__ = f"{command}_run"
    route.__doc__ = f"{doc}; needs the run's control token."
    return route


for _name, _doc in (
    ("pause", "Pause the run (its viewers see a `status` event)"),
    ("resume", "Resume the run (its viewers see a `status` event)"),
    ("stop", "Stop the run (its viewers see its `done` event)"),
    (
        "step",
        "Train one batch of a paused run, which stays paused (its viewers see that step's "
        "`progress` and `snapshot`); 409 when the run is not paused",
    ),
):
    router.add_api_route(
        f"/api/runs/{{run_id}}/{_name}",
        _control(_name, _doc),
        methods=["POST"],
        response_model=RunResponse,
        responses=_ERRORS,
    )


@router.post("/api/runs/{run_id}/pace", response_model=RunResponse, responses=_ERRORS)
def pace_run(run_id: str, body: RunPaceRequest, request: Request, registry: RunRegistryDep, token: ControlToken = None):
    """Set the run's pace: at most `pace` steps a second, each step's progress and snapshot sent to its
    viewers (who see a `pace` event), or `null` for full speed; needs the run's control token."""
    return _answer(request, registry.control, run_id, "pace", token=token, pace=body.pace)


@router.post("/api/runs/{run_id}/save", responses=_ERRORS)
def save_model(
    run_id: str,
    body: SaveModelRequest,
    request: Request,
    registry: RunRegistryDep,
    store: ModelStoreDep,
    token: ControlToken = None,
):
    """Save a finished run's model under a name; the draw-a-digit page lists it. Needs the run's control
    token; a name already taken is refused (409) unless `overwrite` is true and that model was saved with
    the same token."""
    return _answer(request, registry.save_model, run_id, body.name, store, token=token, overwrite=body.overwrite)


# ---- the websocket --------------------------------------------------------------------------------


def _error(lang: str, error: EngineError) -> str:
    message = engine_message(lang, error)
    return dumps(
        {
            "type": "error",
            "code": error.code,
            "message": message,
            "params": {
                k: v if isinstance(v, (int, float, str, bool, type(None))) else str(v) for k, v in error.params.items()
            },
        }
    )


def _parse(text: str | None) -> tuple[str, dict, str | None]:
    """A client message as (command, its arguments, token), or an EngineError saying what is wrong with it."""
    usage = (
        'send {"type": "pause"}, {"type": "resume"}, {"type": "stop"}, {"type": "step"}, '
        '{"type": "set", "lr": 0.01} or {"type": "pace", "pace": 2}'
    )
    if text is None:
        raise EngineError("bad_message", f"messages must be JSON text: {usage}")
    if len(text) > MAX_MESSAGE_CHARS:
        raise EngineError("bad_message", f"the message is too long ({len(text)} characters): {usage}")
    try:
        data = json.loads(text)
    except ValueError:
        raise EngineError("bad_message", f"the message is not JSON: {usage}") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise EngineError("bad_message", f'a message must be an object with a "type": {usage}')
    kind, token = data["type"], data.get("token")
    if kind not in COMMANDS:
        raise EngineError("unknown_command", f"unknown message type {kind[:20]!r}: {usage}", command=kind[:20])
    message_fields(data, kind, ("type", "token", *_ARGUMENTS.get(kind, ())))
    if kind == "set":
        if "lr" not in data:
            raise EngineError("bad_lr", f'"set" needs a learning rate: {usage}', value="")
        return kind, {"lr": data["lr"]}, token
    if kind == "pace":
        if "pace" not in data:
            raise EngineError("bad_pace", f'"pace" needs a pace: {usage}', value="", limit=MAX_PACE)
        return kind, {"pace": data["pace"]}, token
    return kind, {}, token


@router.websocket("/ws/runs/{run_id}")
async def watch_run(websocket: WebSocket, run_id: str, registry: RunRegistryDep, after: str = "0"):
    lang = request_language(websocket)
    await websocket.accept()
    lock = asyncio.Lock()

    async def send(text: str):
        async with lock:
            await websocket.send_text(text)

    try:
        if not (after.isascii() and after.isdigit() and len(after) <= 18):
            error = EngineError(
                "bad_after",
                f"?after= must be the number of the last event seen (0 or more), got {after[:20]!r}",
                value=after[:20],
            )
            await send(_error(lang, error))
            await websocket.close(code=1008, reason=engine_message(lang, error)[:120])
            return
        subscription = registry.subscribe(run_id, int(after))
    except EngineError as error:
        await send(_error(lang, error))
        await websocket.close(code=4404, reason=engine_message(lang, error)[:120])
        return

    async def forward():
        async for event in subscription:
            if event.type == "error":  # a run's own error: in this viewer's language
                data = event.data
                error = EngineError(data["code"], data["message"], **data.get("params", {}))
                await send(dumps({**data, "message": engine_message(lang, error)}))
            else:
                await send(event.text)

    async def listen():
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            try:
                command, arguments, token = _parse(message.get("text"))
                registry.control(run_id, command, token=token, **arguments)
            except EngineError as error:
                await send(_error(lang, error))

    sender, receiver = asyncio.create_task(forward()), asyncio.create_task(listen())
    try:
        done, _ = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
        if sender in done:  # the run ended (1000), or this viewer fell behind: reconnect with ?after= (1013)
            slow = isinstance(sender.exception(), SlowViewer)
            await websocket.close(code=1013 if slow else 1000)
    except Exception:  # the viewer has gone: nothing to close
        pass
    finally:
        subscription.close()
        for task in (sender, receiver):
            task.cancel()
        await asyncio.wait({sender, receiver})  # (not gather: it would turn a cancellation of this task into its own)
