"""POST /api/pool: max or average pooling traced step by step, and the translation demo."""

from dataclasses import dataclass

import numpy as np
from fastapi import APIRouter, Response

from engine.demos import translation_of
from engine.errors import EngineError
from engine.reference import trace_pool
from engine.shapes import Geometry, pool_geometry

from .. import arrays, compute
from ..responses import to_json
from ..limits import MAX_CHANNELS, MAX_KERNEL_SIDE, MAX_PADDING, MAX_STRIDE, MAX_TRACE_PRODUCTS, MAX_TRACE_SIDE
from ..presets import POOL_PRESETS
from ..schemas.common import ErrorResponse
from ..schemas.pool import PoolTraceRequest, PoolTraceResponse

router = APIRouter(tags=["pooling"])

_ERRORS = {413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}


@router.post("/api/pool", response_model=PoolTraceResponse, responses=_ERRORS)
async def pool_trace(body: PoolTraceRequest) -> Response:
    """Pool one input window by window; with ``shift``, also pool the input moved one pixel."""
    return Response(await compute.run(trace_json, body), media_type="application/json")


@dataclass
class PoolSetup:
    """A request's pooling, checked once: x (C, H, W) float64, whether it was sent 2-D, the window's
    geometry (settings and output size) and ``count_include_pad`` as PyTorch takes it."""

    x: np.ndarray
    flat: bool
    geometry: Geometry
    count_include_pad: bool


def pool_setup(body: PoolTraceRequest) -> PoolSetup:
    """The lab's one check of a request: the grid (with the place of a problem), the limits, the
    settings and the output size, each once; every refusal is an EngineError raised where it is found
    (a pooling window's own codes come from :func:`engine.shapes.pool_geometry`)."""
    x = arrays.to_array(
        body.input, "input", (2, 3), {"channel": MAX_CHANNELS, "row": MAX_TRACE_SIDE, "column": MAX_TRACE_SIDE}
    )
    flat = x.ndim == 2
    x = x.reshape((1,) * (3 - x.ndim) + x.shape)
    stride = body.size if body.stride is None else body.stride
    for value, what, limit in (
        (body.size, "size", MAX_KERNEL_SIDE),
        (stride, "stride", MAX_STRIDE),
        (body.padding, "padding", MAX_PADDING),
    ):
        arrays.check_int(value, what, limit)
    if body.mode == "max" and body.count_include_pad is not None:  # (PyTorch's MaxPool2d has no such option)
        raise EngineError(
            "count_include_pad_max",
            "count_include_pad is for average pooling; max pooling never counts cells",
            setting="count_include_pad",
        )
    geometry = pool_geometry(x.shape[1], x.shape[2], body.size, stride, body.padding, ceil_mode=body.ceil_mode)
    (oh, ow), (kh, kw) = geometry.out, geometry.kernel
    cells = x.shape[0] * oh * ow * kh * kw
    if cells > MAX_TRACE_PRODUCTS:  # each window's cells are listed: as many as a convolution's products
        raise EngineError(
            "pool_trace_too_long",
            f"this trace would list {cells:,} window cells; at most {MAX_TRACE_PRODUCTS:,} can be shown",
            cells=f"{cells:,}",
            limit=f"{MAX_TRACE_PRODUCTS:,}",
        )
    return PoolSetup(x, flat, geometry, True if body.count_include_pad is None else body.count_include_pad)


def trace_json(body: PoolTraceRequest) -> bytes:
    """The answer, as JSON bytes (in a worker process: app/compute.py)."""
    setup = pool_setup(body)
    x, g, flat, count_include_pad = setup.x, setup.geometry, setup.flat, setup.count_include_pad
    (kh, kw), (ph, pw) = g.kernel, (g.padding[0][0], g.padding[1][0])  # (pooling pads both ends alike)
    out, steps = trace_pool(x, g, body.mode, count_include_pad)
    translation = None
    if body.shift:
        demo = translation_of(x, g, body.mode, body.shift, count_include_pad)
        unflat = (lambda a: a[0]) if flat else (lambda a: a)
        translation = {
            "direction": demo.direction,
            "shifted_input": arrays.to_json(unflat(demo.shifted)),
            "shifted_output": arrays.to_json(unflat(demo.shifted_pooled)),
            "input_changed": unflat(demo.input_changed).tolist(),
            "output_changed": unflat(demo.output_changed).tolist(),
            "input_changed_count": demo.input_changed_count,
            "input_total": int(demo.input_changed.size),
            "output_changed_count": demo.output_changed_count,
            "output_total": int(demo.output_changed.size),
            "input_changed_percent": round(100 * demo.input_changed_fraction, 1),
            "output_changed_percent": round(100 * demo.output_changed_fraction, 1),
            "verdict": demo.verdict,
        }
    return to_json(
        {
            "output": arrays.to_json(out[0] if flat else out),
            "output_shape": list(out.shape[1:]) if flat else list(out.shape),
            "input_shape": list(x.shape),
            "padded_shape": [x.shape[0], x.shape[1] + 2 * ph, x.shape[2] + 2 * pw],
            "mode": body.mode,
            "size": [kh, kw],
            "stride": list(g.stride),
            "padding": [ph, pw],
            "ceil_mode": body.ceil_mode,
            "count_include_pad": count_include_pad if body.mode == "avg" else None,
            "formula": g.formula(),
            "unread": g.unread(),
            "steps": steps,
            "translation": translation,
        }
    )


@router.get("/api/pool/presets")
def pool_presets() -> dict[str, dict]:
    """The notes' pooling examples and the translation demo, by name (``/pool?preset=<name>``)."""
    return POOL_PRESETS
