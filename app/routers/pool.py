"""POST /api/pool: max or average pooling traced step by step, and the translation demo."""
from fastapi import APIRouter, Response

from engine.demos import pool_translation
from engine.errors import EngineError
from engine.reference import pool2d_trace
from engine.shapes import formula, pair, pool_output_shape, unread

from .. import arrays, compute
from ..responses import to_json
from ..limits import MAX_CHANNELS, MAX_KERNEL_SIDE, MAX_PADDING, MAX_STRIDE, MAX_TRACE_PRODUCTS, MAX_TRACE_SIDE
from ..presets import POOL_PRESETS
from ..schemas.common import ErrorResponse
from ..schemas.pool import PoolTraceRequest, PoolTraceResponse

router = APIRouter(tags=["pooling"])

_ERRORS = {413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}
_WINDOW_CODES = {"kernel_too_big": "window_too_big", "bad_kernel": "bad_window"}


@router.post("/api/pool", response_model=PoolTraceResponse, responses=_ERRORS)
async def pool_trace(body: PoolTraceRequest) -> Response:
    """Pool one input window by window; with ``shift``, also pool the input moved one pixel."""
    return Response(await compute.run(trace_json, body), media_type="application/json")


def trace_json(body: PoolTraceRequest) -> bytes:
    """The answer, as JSON bytes (in a worker process: app/compute.py)."""
    x = arrays.to_array(body.input, "input", (2, 3),
                        {"channel": MAX_CHANNELS, "row": MAX_TRACE_SIDE, "column": MAX_TRACE_SIDE})
    flat = x.ndim == 2
    x = x.reshape((1,) * (3 - x.ndim) + x.shape)
    stride = body.size if body.stride is None else body.stride
    for value, what, limit in ((body.size, "size", MAX_KERNEL_SIDE), (stride, "stride", MAX_STRIDE),
                               (body.padding, "padding", MAX_PADDING)):
        arrays.check_int(value, what, limit)
    if body.mode == "max" and body.count_include_pad is not None:  # (PyTorch's MaxPool2d has no such option)
        raise EngineError("count_include_pad_max", "count_include_pad is for average pooling; max pooling never "
                          "counts cells", setting="count_include_pad")
    count_include_pad = True if body.count_include_pad is None else body.count_include_pad
    options = {"ceil_mode": body.ceil_mode, "count_include_pad": count_include_pad}
    try:
        oh, ow = pool_output_shape(x.shape[1], x.shape[2], body.size, stride, body.padding, ceil_mode=body.ceil_mode)
        kh, kw = pair(body.size, "size")
        cells = x.shape[0] * oh * ow * kh * kw
        if cells > MAX_TRACE_PRODUCTS:  # each window's cells are listed: as many as a convolution's products
            raise EngineError("pool_trace_too_long", f"this trace would list {cells:,} window cells; at most "
                              f"{MAX_TRACE_PRODUCTS:,} can be shown", cells=f"{cells:,}",
                              limit=f"{MAX_TRACE_PRODUCTS:,}")
        out, steps = pool2d_trace(x, body.size, stride, body.padding, body.mode, **options)
    except EngineError as error:
        if error.code in _WINDOW_CODES:  # the same arithmetic, said of a pooling window
            error.code = _WINDOW_CODES[error.code]
        raise
    (kh, kw), (sh, sw), (ph, pw) = pair(body.size, "size"), pair(stride, "stride"), pair(body.padding, "padding")
    translation = None
    if body.shift:
        demo = pool_translation(x, body.size, stride, body.padding, body.mode, body.shift, **options)
        unflat = (lambda a: a[0]) if flat else (lambda a: a)
        translation = {
            "direction": demo.direction, "shifted_input": arrays.to_json(unflat(demo.shifted)),
            "shifted_output": arrays.to_json(unflat(demo.shifted_pooled)),
            "input_changed": unflat(demo.input_changed).tolist(), "output_changed": unflat(demo.output_changed).tolist(),
            "input_changed_count": demo.input_changed_count, "input_total": int(demo.input_changed.size),
            "output_changed_count": demo.output_changed_count, "output_total": int(demo.output_changed.size),
            "input_changed_percent": round(100 * demo.input_changed_fraction, 1),
            "output_changed_percent": round(100 * demo.output_changed_fraction, 1),
            "verdict": demo.verdict,
        }
    return to_json({
        "output": arrays.to_json(out[0] if flat else out),
        "output_shape": list(out.shape[1:]) if flat else list(out.shape),
        "input_shape": list(x.shape), "padded_shape": [x.shape[0], x.shape[1] + 2 * ph, x.shape[2] + 2 * pw],
        "mode": body.mode, "size": [kh, kw], "stride": [sh, sw], "padding": [ph, pw],
        "ceil_mode": body.ceil_mode, "count_include_pad": count_include_pad if body.mode == "avg" else None,
        "formula": [formula(x.shape[1], kh, ph, sh, 1, "H", body.ceil_mode),
                    formula(x.shape[2], kw, pw, sw, 1, "W", body.ceil_mode)],
        "unread": {"rows": unread(x.shape[1], kh, ph, sh, 1, body.ceil_mode),
                   "cols": unread(x.shape[2], kw, pw, sw, 1, body.ceil_mode)},
        "steps": steps, "translation": translation,
    })


@router.get("/api/pool/presets")
def pool_presets() -> dict[str, dict]:
    """The notes' pooling examples and the translation demo, by name (``/pool?preset=<name>``)."""
    return POOL_PRESETS
