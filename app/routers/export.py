"""Export as code: POST /api/export writes a lab's set-up, a builder network or a saved model as a
runnable PyTorch or engine script (:mod:`app.export`); GET /api/export/weights/{name} serves a saved
model's weights for its script.

The set-up is the page's own request body, checked exactly as the page's endpoint checks it (the same
request model, then the same computation): a set-up the lab refuses is refused here with the same
message, and a script is only ever written for a set-up the page can show.
"""

import io
import json

import numpy as np
from fastapi import APIRouter, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from engine.errors import EngineError
from engine.preprocess import FIELD

from .. import arrays, compute, export, samples
from ..deps import ModelStoreDep, SettingsDep
from ..runs import network
from ..schemas.activations import ActivationCurveRequest
from ..schemas.backprop import BackpropRequest
from ..schemas.common import ErrorResponse
from ..schemas.conv import ConvTraceRequest
from ..schemas.export import ExportRequest, ExportResponse, ModelSetup
from ..schemas.filters import FilterRequest
from ..schemas.pool import PoolTraceRequest
from ..schemas.runs import NetworkRequest
from . import activations, conv, draw, filters, pool

router = APIRouter(tags=["export"])

_ERRORS = {413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}
DEFAULT_DIGIT = "digit-7"
_SCHEMAS: dict[str, type[BaseModel]] = {
    "conv": ConvTraceRequest,
    "pool": PoolTraceRequest,
    "activations": ActivationCurveRequest,
    "filters": FilterRequest,
    "backprop": BackpropRequest,
    "network": NetworkRequest,
    "model": ModelSetup,
}


def _validated(kind: str, setup: dict) -> BaseModel:
    """The set-up as the page's endpoint reads it; its problems named as that endpoint names them."""
    try:
        return _SCHEMAS[kind].model_validate(setup)
    except ValidationError as error:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()]) from None


async def _checked_setup(kind: str, body: BaseModel, settings, store) -> dict:
    """Run the set-up through the page's own computation (refusing what the page refuses); the
    set-up for :func:`app.export.export`."""
    if kind == "conv":
        await compute.run(conv.trace_json, body)
    elif kind == "pool":
        await compute.run(pool.trace_json, body)
    elif kind == "activations":
        activations.curve_response(
            body.name, body.params, body.xmin, body.xmax, body.n, body.threshold, body.depth, body.z, body.z_mode
        )
    elif kind == "filters":
        filters.apply_filter(body.model_copy(update={"trace": None, "include_output": False}))
    elif kind == "backprop":
        pass  # (every value the schema accepts is a walkthrough)
    elif kind == "network":
        spec, _ = network.resolve(body.preset, body.layers, body.dropout)
        report = network.inspect(spec, settings.max_model_params, batch_size=body.batch_size, optimizer=body.optimizer)
        if report.error is not None:
            raise report.error
        return spec
    elif kind == "model":
        return _model_setup(body, store)
    return body.model_dump()


def _model_setup(body: ModelSetup, store) -> dict:
    loaded = draw.digit_model(store, body.model)
    image = DEFAULT_DIGIT if body.image is None else body.image
    if isinstance(image, str):
        if image not in samples.DIGITS:
            raise EngineError(
                "unknown_sample",
                f"there is no sample digit called {image[:40]!r}; known: {', '.join(samples.DIGITS)}",
                name=image[:40],
                known=list(samples.DIGITS),
            )
        pixels, source = samples.load(image), f"{image}, the first {image[-1]} of the bundled MNIST test sample"
    else:
        grid = arrays.to_array(image, "image", (2,), {"row": FIELD, "column": FIELD})
        if grid.shape != (FIELD, FIELD):
            raise EngineError(
                "needs_28x28",
                f"the image must be {FIELD}x{FIELD}, got {grid.shape[0]}x{grid.shape[1]}",
                height=grid.shape[0],
                width=grid.shape[1],
                size=FIELD,
            )
        pixels, source = np.round(np.clip(grid, 0, 1) * 255), "the digit the page last showed, in 8-bit pixels"
    return {"model": loaded.model, "name": loaded.name, "pixels": pixels, "source": source}


@router.post("/api/export", response_model=ExportResponse, responses=_ERRORS)
async def export_code(body: ExportRequest, settings: SettingsDep, store: ModelStoreDep) -> dict:
    """The set-up as a script: PyTorch (``torch.nn.functional`` for the labs, an ``nn.Sequential`` for
    networks) or NumPy with this project's engine. Each script puts its result in ``output`` and prints
    it. A model's script loads its weights from ``weights.url``."""
    setup = _validated(body.kind, body.setup)
    checked = await _checked_setup(body.kind, setup, settings, store)
    code = export.export(body.kind, checked, body.target)
    name = checked["name"] if body.kind == "model" else None
    weights = None
    if body.kind == "model":
        weights = {
            "url": f"/api/export/weights/{name}?target={body.target}",
            "filename": export.weights_filename(name, body.target),
        }
    return {
        "kind": body.kind,
        "target": body.target,
        "filename": export.filename(body.kind, body.target, name),
        "code": code,
        "weights": weights,
    }


@router.get("/api/export/weights/{name}", responses={200: {"content": {"application/octet-stream": {}}}, **_ERRORS})
def export_weights(
    name: str, store: ModelStoreDep, target: str = Query("pytorch", pattern="^(pytorch|engine)$")
) -> Response:
    """A saved model's weights as ``.npz``: under PyTorch's ``state_dict`` names and layouts (``target=
    pytorch``: dense weights transposed to ``nn.Linear``'s (out, in)), or the engine's own file."""
    loaded = store.get(name)
    buffer = io.BytesIO()
    if target == "pytorch":
        np.savez(buffer, **export.torch_state_dict(loaded.model))
    else:
        with loaded.lock:
            params = {k: v.copy() for k, v in loaded.model.params.items()}
        np.savez(
            buffer,
            **params,
            __spec__=np.array(json.dumps(loaded.model.spec)),
            __metadata__=np.array(json.dumps({k: v for k, v in loaded.model.metadata.items() if k != "owner"})),
        )
    filename = export.weights_filename(loaded.name, target)
    return Response(
        buffer.getvalue(),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
