"""Draw a digit: the page, POST /api/predict, WS /ws/predict and GET /api/models.

The page predicts over the websocket: a drawing is sent after every pen movement, so "draw a
digit first" (the first dot of every stroke is too small to be a digit) is an ordinary answer
there, not a failed request; no HTTP headers travel with each drawing; and when drawings arrive
faster than they are answered, only the newest waiting one is answered (the latest drawing wins).
POST /api/predict is the same prediction for everyone else (curl, ``/docs``, tests).
"""

import asyncio
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from engine.data import normalise
from engine.errors import EngineError
from engine.explain import occlusion, saliency
from engine.losses import softmax
from engine.preprocess import CENTRE_PIXEL, FIELD, MAX_SIDE, as_input, digit_check, preprocess
from engine.probe import cell_window

from .. import arrays, compute
from ..deps import ModelStoreDep, SettingsDep
from ..error_handlers import engine_message, validation_message
from ..i18n import request_language, translate
from ..model_store import DEFAULT_MODEL, LoadedModel, ModelStore
from ..responses import dumps
from ..schemas.common import ErrorResponse
from ..schemas.draw import ModelsResponse, PredictMessage, PredictRequest, PredictResponse
from ..templating import render

router = APIRouter(tags=["draw a digit"])
log = logging.getLogger(__name__)

_ERRORS = {413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}
OCCLUSION_PATCH = 6  # the erased square's side, in pixels of the 28 x 28 input
OCCLUSION_STRIDE = 2  # 12 x 12 positions: one batch of 145 images
DECIMALS = 4  # activations and maps are rounded for the page (a smaller answer)


@router.get("/draw", response_class=HTMLResponse, include_in_schema=False)
def draw_page(request: Request):
    return render(request, "draw.html")


def digit_model(store: ModelStore, name: str | None) -> LoadedModel:
    """The named model (default: lenet5, else the first there is), if it reads 28 x 28 digits."""
    if name is None:  # the default: lenet5 (shipped), else the first model there is
        try:
            return digit_model(store, DEFAULT_MODEL)
        except EngineError as error:
            if error.code != "unknown_model":
                raise
        names = [n for n, _ in store.names()]
        if not names:
            raise EngineError("no_models", "there is no trained model yet: train one on the training page")
        name = names[0]
    loaded = store.get(name)
    model = loaded.model
    if model.input_shape != (1, FIELD, FIELD) or tuple(model.output_shape) != (10,):
        raise EngineError(
            "not_a_digit_model",
            f"the model {name!r} takes {list(model.input_shape)} and gives "
            f"{list(model.output_shape)}, not 1x28x28 digits to 10 classes",
            model=name,
        )
    return loaded


def _rounded(a: np.ndarray) -> list:
    return arrays.to_json(np.round(np.asarray(a, dtype=np.float64), DECIMALS))


def _range(a: np.ndarray) -> dict:
    low, high = float(a.min()), float(a.max())
    return {"min": low, "max": high, "scale": max(abs(low), abs(high))}


def _layers(model, activations) -> list[dict]:
    """Every layer's output for the one image, rounded, with its range (copied: layers reuse buffers)."""
    out = []
    for layer, (name, a) in zip(model.layers, activations):
        a = np.asarray(a[0], dtype=np.float64)
        out.append({"name": name, "type": layer.type, "shape": list(a.shape), "values": _rounded(a), **_range(a)})
    return out


def _explain(model, image: np.ndarray, method: str, target: int) -> dict:
    if method == "occlusion":
        result = occlusion(model, image, target, patch=OCCLUSION_PATCH, stride=OCCLUSION_STRIDE)
        m = result.map
        extra = {
            "patch": result.patch,
            "stride": result.stride,
            "score": {"map": _rounded(result.score_map), **_range(result.score_map)},
        }
    else:
        m, _ = saliency(model, image, target)
        extra = {}
    return {"method": method, "target": target, "map": _rounded(m), **_range(m), **extra}


@router.post("/api/predict", response_model=PredictResponse, responses=_ERRORS)
async def predict(body: PredictRequest, store: ModelStoreDep, request: Request) -> dict:
    """Preprocess a drawing as MNIST was made (or take a 28 x 28 image as it is) and classify it."""
    lang = request_language(request)
    if body.layers or body.explain or body.probe:  # tens of milliseconds: in a worker process
        return await compute.run(
            _heavy_result, (str(store.trained_dir), str(store.pretrained_dir)), body.model_dump(), lang
        )
    return await asyncio.to_thread(run_prediction, body, store, lang)


def _check(drawing: np.ndarray, lang: str) -> dict:
    """Does the drawing look like a handwritten digit (a few sums: cheap on every pen movement)."""
    c = digit_check(drawing)
    return {
        "hint": c.hint,
        "message": None if c.hint is None else translate(lang, f"draw.hint.{c.hint}"),
        "uncertain": c.uncertain,
        "ink_percent": round(100 * c.ink, 2),
        "border_ink_percent": round(100 * c.border_ink, 2),
        "stroke": None if np.isinf(c.stroke) else round(c.stroke, 4),
    }


def _probe(model, x: np.ndarray, probe) -> dict:
    w = cell_window(model, x, probe.layer, probe.channel, probe.row, probe.column)
    return {
        "layer": w.layer,
        "type": w.type,
        "channel": w.channel,
        "row": w.row,
        "column": w.column,
        "source": w.source,
        "patch": arrays.to_json(w.patch),
        "kernel": None if w.kernel is None else arrays.to_json(w.kernel),
        "bias": w.bias,
        "size": list(w.size),
        "value": w.value,
    }


def run_prediction(body: PredictRequest, store: ModelStore, lang: str = "en") -> dict:
    """The answer of POST /api/predict (a dict of JSON-able values), or an EngineError."""
    start = time.perf_counter()
    if (body.image is None) == (body.pixels is None):
        raise EngineError(
            "one_image",
            "send the drawing either as `image` (rows of numbers) or as `pixels` (base64 "
            "bytes with their `shape`), exactly one of them",
        )
    if body.pixels is not None:
        drawing = arrays.from_pixels(body.pixels, body.shape, "image", MAX_SIDE)
    else:
        drawing = arrays.to_array(body.image, "image", (2,), {"row": MAX_SIDE, "column": MAX_SIDE})
    loaded = digit_model(store, body.model)
    do_preprocess = body.preprocess if body.preprocess is not None else drawing.shape != (FIELD, FIELD)
    steps = None
    if do_preprocess:
        p = preprocess(drawing)
        image = p.image
        steps = {
            "drawing_shape": list(p.drawing.shape),
            "bbox": list(p.bbox),
            "ink_percent": round(100 * p.ink, 2),
            "scale": p.scale,
            "fitted": _rounded(p.fitted),
            "fitted_centre": list(p.fitted_centre),
            "offset": list(p.offset),
            "centre": list(p.centre),
            "centre_pixel": [CENTRE_PIXEL, CENTRE_PIXEL],
        }
    else:
        image = as_input(drawing)
    check = _check(p.drawing if do_preprocess else image, lang)
    x = normalise(image[None])
    layers = explanation = probe = None
    with loaded.lock:  # the layers keep per-call buffers: one forward pass at a time per model
        if body.layers:
            activations = loaded.model.activations(x)
            logits = activations[-1][1]
            layers = _layers(loaded.model, activations)
        else:
            logits = loaded.model.forward(x)
        probabilities = softmax(np.asarray(logits, dtype=np.float64))[0]
        prediction = int(np.argmax(probabilities))
        if body.explain:
            explanation = _explain(loaded.model, image, body.explain, prediction)
        if body.probe:
            probe = _probe(loaded.model, x, body.probe)
    return {
        "model": loaded.name,
        "prediction": prediction,
        "probabilities": probabilities.tolist(),
        "percent": np.round(100 * probabilities, 1).tolist(),
        "input28": _rounded(image),
        "preprocessed": bool(do_preprocess),
        "steps": steps,
        "layers": layers,
        "explanation": explanation,
        "check": check,
        "probe": probe,
        "timing_ms": round(1000 * (time.perf_counter() - start), 3),
    }


@router.get("/api/models", response_model=ModelsResponse)
def list_models(store: ModelStoreDep) -> dict:
    """The pretrained models shipped in the package and the models trained on this server."""
    models = [
        {**m, "accuracy_percent": None if m.get("test_accuracy") is None else round(100 * m["test_accuracy"], 2)}
        for m in store.list()
    ]
    names = [m["name"] for m in models]
    default = DEFAULT_MODEL if DEFAULT_MODEL in names else (names[0] if names else None)
    return {"default": default, "models": models}


# ---- the websocket ---------------------------------------------------------------------------------


def _read_message(text: str | None, lang: str, max_chars: int) -> tuple[int | str | None, PredictMessage | dict]:
    """A websocket message as ``(its id, the request)``, or ``(its id, an error answer)`` in the
    connection's language."""
    request_id = None
    try:
        if text is None:
            raise EngineError("bad_predict_message", "send JSON text: the body of POST /api/predict")
        if len(text) > max_chars:
            return None, {
                "type": "error",
                "id": None,
                "code": "body_too_large",
                "params": {"size": len(text)},
                "detail": translate(lang, "error.body_too_large", size=f"{len(text):,}", limit=f"{max_chars:,}"),
            }
        try:
            data = json.loads(text)
        except RecursionError:  # JSON nested deeper than the parser goes: not a drawing
            return None, {
                "type": "error",
                "id": None,
                "code": "bad_message",
                "detail": translate(lang, "error.bad_message.too_deep"),
            }
        if isinstance(data, dict):
            given = data.get("id")
            request_id = given if isinstance(given, (int, str)) and not isinstance(given, bool) else None
        return request_id, PredictMessage.model_validate(data)
    except ValueError as error:
        return request_id, _error_answer(error, request_id, lang)


def _error_answer(error: ValueError, request_id, lang: str) -> dict:
    if isinstance(error, ValidationError):
        problems = error.errors()
        detail = translate(lang, "pos.list_separator").join(validation_message(lang, e) for e in problems[:5])
        return {"type": "error", "id": request_id, "code": "invalid_request", "detail": detail}
    if not isinstance(error, EngineError):  # not JSON
        error = EngineError("bad_predict_message", "the message is not JSON: send the body of POST /api/predict")
    detail = engine_message(lang, error)
    return {
        "type": "error",
        "id": request_id,
        "code": error.code,
        "detail": detail,
        "params": {
            k: v if isinstance(v, (int, float, str, bool, type(None))) else str(v) for k, v in error.params.items()
        },
    }


def _prediction_answer(body: PredictRequest, request_id, store: ModelStore, lang: str) -> dict:
    """The prediction for a read message, or an error in the connection's language."""
    try:
        return {"type": "prediction", "id": request_id, **run_prediction(body, store, lang)}
    except ValueError as error:
        return _error_answer(error, request_id, lang)


# The draw page's engine work. The predictions asked while the pen moves take about a millisecond of the
# web process's CPU (reading the message, preprocessing, one forward pass, the answer's JSON): a message
# of the page's size (INLINE_CHARS) is answered on the event loop itself, larger ones in a thread. Handing
# each of them to a thread cost more than it saved: under a classroom's load (benchmarks/bench_classroom.py)
# the hand-offs (a submit, a wake-up of the loop) took a sixth of the interpreter lock's time, and the thread
# then waited for the lock, for up to the interpreter's switch interval (5 ms), at each NumPy call.
# The heavy answers asked when the pen lifts (every layer and an occlusion map: 145 forward passes, about
# 30 ms) run in the engine's worker processes (app/compute.py), at a lower CPU priority, so that they
# neither hold the web process's interpreter nor delay a class's strokes; so do those of POST /api/predict.
INLINE_CHARS = 64 * 1024  # the page sends a 128 x 128 drawing: about 22,000 characters
QUICK_POOL = ThreadPoolExecutor(2, thread_name_prefix="predict")
_worker_stores: dict[tuple[str, str], ModelStore] = {}  # in a worker: the store of each models folder


def _quick_reply(text: str | None, lang: str, max_chars: int, store: ModelStore) -> tuple[str | None, tuple | None]:
    """A websocket message read and, unless it asks for the heavy answer, answered.
    Returns ``(the answer as JSON text, None)``, or ``(None, (its id, the request))`` for a heavy one."""
    request_id, body = _read_message(text, lang, max_chars)
    if isinstance(body, dict):
        return dumps(body), None
    if body.layers or body.explain:
        return None, (request_id, body)
    return dumps(_prediction_answer(body, request_id, store, lang)), None


def _worker_store(folders: tuple[str, str]) -> ModelStore:
    store = _worker_stores.get(folders)
    if store is None:
        store = _worker_stores[folders] = ModelStore(*folders)
    return store


def _heavy_answer(folders: tuple[str, str], body: dict, request_id, lang: str) -> dict:
    """In a worker process: the answer for a (valid) websocket message, as _prediction_answer gives it."""
    return _prediction_answer(PredictMessage.model_validate(body), request_id, _worker_store(folders), lang)


def _heavy_result(folders: tuple[str, str], body: dict, lang: str) -> dict:
    """In a worker process: POST /api/predict's answer for a (valid) request, or its EngineError."""
    return run_prediction(PredictRequest.model_validate(body), _worker_store(folders), lang)


@router.websocket("/ws/predict")
async def predict_socket(websocket: WebSocket, store: ModelStoreDep, settings: SettingsDep):
    """Send ``{"id": 1, "image": [...], ...}`` (the body of POST /api/predict, plus an optional id);
    receive ``{"type": "prediction", "id": 1, ...}`` or ``{"type": "error", "id": 1, "code", "detail"}``.
    Messages that arrive while one is being answered replace each other: only the newest is answered."""
    lang = request_language(websocket)
    await websocket.accept()
    waiting: list[str | None] = []
    wake = asyncio.Event()
    closed = False

    async def listen():
        nonlocal closed
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                waiting[:] = [message.get("text")]  # the latest drawing wins
                wake.set()
        finally:
            closed = True
            wake.set()

    listener = asyncio.create_task(listen())
    try:
        while True:
            await wake.wait()
            wake.clear()
            if closed:
                break
            if not waiting:
                continue
            text = waiting.pop()
            try:
                if text is not None and len(text) <= INLINE_CHARS:
                    reply, heavy = _quick_reply(text, lang, settings.max_body_bytes, store)
                else:
                    reply, heavy = await asyncio.get_running_loop().run_in_executor(
                        QUICK_POOL, _quick_reply, text, lang, settings.max_body_bytes, store
                    )
                if heavy is not None:
                    request_id, body = heavy
                    reply = dumps(
                        await compute.run(
                            _heavy_answer,
                            (str(store.trained_dir), str(store.pretrained_dir)),
                            body.model_dump(),
                            request_id,
                            lang,
                        )
                    )
            except Exception:  # a bug must not end the connection silently
                log.exception("unexpected error in /ws/predict")
                reply = dumps(
                    {"type": "error", "id": None, "code": "internal", "detail": translate(lang, "error.internal")}
                )
            await websocket.send_text(reply)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        listener.cancel()
        await asyncio.wait({listener})
