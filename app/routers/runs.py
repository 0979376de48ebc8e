"""Training runs over HTTP and websockets, and the network check the builder calls as you edit.

HTTP: ``POST /api/runs`` starts (or queues) a run and answers its view with its ``id``;
``GET /api/runs``, ``GET /api/runs/{id}``; ``POST /api/runs/{id}/pause``, ``/resume``,
``/stop``; ``POST /api/runs/{id}/save`` saves a finished run's model for the draw page.

``WS /ws/runs/{id}?after=<seq>`` streams the run's events as JSON text, each with ``type``
(``status``, ``progress``, ``snapshot``, ``epoch``, ``done``, ``error``) and ``seq``: first the
history after ``after`` (default: all of it), then live, and closes (1000) after ``done``. The
client may send ``{"type": "pause" | "resume" | "stop"}`` and ``{"type": "set", "lr": 0.01}``;
anything else is answered with ``{"type": "error", "code", "message"}`` (no ``seq``: it is not part
of the run) and the connection carries on. An unknown run gets an ``error`` and close code 4404; a
viewer too slow to keep up is closed with 1013 and catches up by reconnecting with ``after``.
"""
import asyncio
import json

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse

from engine.errors import EngineError
from engine.model import layer_types
from engine.presets import PRESETS

from ..deps import ModelStoreDep, SettingsDep
from ..error_handlers import engine_message
from ..i18n import request_language
from ..responses import dumps
from ..runs import network
from ..runs.base import RunConfig, SlowViewer
from ..runs.deps import RunRegistryDep, mnist_available
from ..runs.network import MAX_LAYERS, MAX_VALUES_PER_IMAGE
from ..schemas.common import ErrorResponse
from ..schemas.runs import (DATASETS, MAX_BATCH, MAX_EPOCHS, OPTIMIZERS, NetworkCheckResponse, NetworkRequest,
                            RunCreateRequest, RunResponse, SaveModelRequest, TrainingOptions)

router = APIRouter(tags=["training"])

# Registry errors that are not about the request's content.
_STATUS = {"unknown_run": 404, "run_finished": 409, "run_not_finished": 409}
_ERRORS = {404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}
MAX_MESSAGE_CHARS = 1000


def _answer(request: Request, call, *args, **kwargs):
    """``call(...)``, with the registry's not-found and conflict errors as 404 and 409."""
    try:
        return call(*args, **kwargs)
    except EngineError as error:
        if error.code not in _STATUS:
            raise
        lang = request_language(request)
        return JSONResponse({"detail": engine_message(lang, error), "code": error.code, "params": error.params},
                            status_code=_STATUS[error.code])


@router.get("/api/training/options", response_model=TrainingOptions)
def training_options(settings: SettingsDep) -> dict:
    """What the builder offers: presets, datasets on this server, optimizers, layer types and the caps."""
    return {"presets": PRESETS, "datasets": {"sample": True, "mnist": mnist_available(settings.data_dir)},
            "optimizers": list(OPTIMIZERS), "layer_types": sorted(layer_types()),
            "limits": {"max_params": settings.max_model_params, "max_run_seconds": settings.max_run_seconds,
                       "max_concurrent_runs": settings.max_concurrent_runs, "max_epochs": MAX_EPOCHS,
                       "max_batch_size": MAX_BATCH, "max_layers": MAX_LAYERS,
                       "max_values_per_image": MAX_VALUES_PER_IMAGE}}


@router.post("/api/networks/check", response_model=NetworkCheckResponse, responses=_ERRORS)
def check_network(body: NetworkRequest, request: Request, settings: SettingsDep) -> dict:
    """Each layer's output shape and parameters (with what a dense layer would need instead), or the
    first layer that cannot work and why: the builder shows these as you edit."""
    spec, _ = network.resolve(body.preset, body.layers, body.dropout)
    report = network.inspect(spec, settings.max_model_params)
    error = None
    if report.error is not None:
        detail = engine_message(request_language(request), report.error)  # (first: it may refine the code)
        error = {"index": report.error_index, "code": report.error.code, "detail": detail,
                 "params": report.error.params}
    return {"ok": report.ok, "spec": spec, "layers": report.rows, "total_params": report.total_params,
            "output_shape": report.output_shape, "max_params": settings.max_model_params, "error": error}


@router.post("/api/runs", response_model=RunResponse, status_code=201, responses=_ERRORS)
def create_run(body: RunCreateRequest, registry: RunRegistryDep) -> dict:
    """Start a training run, or queue it when the server is busy; 422 explains an impossible network."""
    spec, preset = network.resolve(body.preset, body.layers, body.dropout)
    return registry.create(RunConfig(spec=spec, preset=preset, epochs=body.epochs, batch_size=body.batch_size,
                                     lr=body.lr, optimizer=body.optimizer, seed=body.seed, dataset=body.dataset,
                                     l2=body.l2, dropout=body.dropout))


@router.get("/api/runs", response_model=list[RunResponse])
def list_runs(registry: RunRegistryDep) -> list[dict]:
    """Running, queued and recently finished runs, newest first."""
    return registry.list()


@router.get("/api/runs/{run_id}", response_model=RunResponse, responses=_ERRORS)
def get_run(run_id: str, request: Request, registry: RunRegistryDep):
    return _answer(request, registry.get, run_id)


def _control(command: str):
    def route(run_id: str, request: Request, registry: RunRegistryDep):
        return _answer(request, registry.control, run_id, command)

    route.__name__ = f"{command}_run"
    route.__doc__ = f"{command.capitalize()} the run (its viewers see a `status` or `done` event)."
    return route


for _name in ("pause", "resume", "stop"):
    router.add_api_route(f"/api/runs/{{run_id}}/{_name}", _control(_name), methods=["POST"],
                         response_model=RunResponse, responses=_ERRORS)


@router.post("/api/runs/{run_id}/save", responses=_ERRORS)
def save_model(run_id: str, body: SaveModelRequest, request: Request, registry: RunRegistryDep,
               store: ModelStoreDep):
    """Save a finished run's model under a name; the draw-a-digit page lists it."""
    return _answer(request, registry.save_model, run_id, body.name, store)


# ---- the websocket --------------------------------------------------------------------------------

def _error(lang: str, error: EngineError) -> str:
    message = engine_message(lang, error)  # (first: it may refine the code)
    return dumps({"type": "error", "code": error.code, "message": message,
                  "params": {k: v if isinstance(v, (int, float, str, bool, type(None))) else str(v)
                             for k, v in error.params.items()}})


def _parse(text: str | None) -> tuple[str, float | None]:
    """A client message as (command, lr), or an EngineError saying what is wrong with it."""
    usage = 'send {"type": "pause"}, {"type": "resume"}, {"type": "stop"} or {"type": "set", "lr": 0.01}'
    if text is None:
        raise EngineError("bad_message", f"messages must be JSON text: {usage}")
    if len(text) > MAX_MESSAGE_CHARS:
        raise EngineError("bad_message", f"the message is too long ({len(text)} characters): {usage}")
    try:
        data = json.loads(text)
    except ValueError:
        raise EngineError("bad_message", f"the message is not JSON: {usage}") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise EngineError("bad_message", f"a message must be an object with a \"type\": {usage}")
    kind = data["type"]
    if kind not in ("pause", "resume", "stop", "set"):
        raise EngineError("unknown_command", f"unknown message type {kind[:20]!r}: {usage}", command=kind[:20])
    if kind == "set":
        if "lr" not in data:
            raise EngineError("bad_lr", f"\"set\" needs a learning rate: {usage}", value="")
        return kind, data["lr"]
    return kind, None


@router.websocket("/ws/runs/{run_id}")
async def watch_run(websocket: WebSocket, run_id: str, registry: RunRegistryDep, after: int = 0):
    lang = request_language(websocket)
    await websocket.accept()
    lock = asyncio.Lock()

    async def send(text: str):
        async with lock:
            await websocket.send_text(text)

    try:
        subscription = registry.subscribe(run_id, after)
    except EngineError as error:
        await send(_error(lang, error))
        await websocket.close(code=4404)
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
                command, lr = _parse(message.get("text"))
                registry.control(run_id, command, lr)
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
