"""POST /api/conv: a convolution traced step by step, with its output-size arithmetic and im2col view."""

from dataclasses import dataclass

import numpy as np
from fastapi import APIRouter, Response

from engine.demos import im2col_of
from engine.errors import EngineError
from engine.reference import pad_conv_input, padding_source, trace_conv
from engine.shapes import Geometry, check_groups, conv_geometry, padding_by_side, resolve_padding

from .. import arrays, compute
from ..responses import to_json
from ..limits import (
    MAX_CHANNELS,
    MAX_DILATION,
    MAX_FILTERS,
    MAX_KERNEL_SIDE,
    MAX_PADDING,
    MAX_STRIDE,
    MAX_TRACE_PRODUCTS,
    MAX_TRACE_SIDE,
)
from ..presets import CONV_PRESETS
from ..schemas.common import ErrorResponse
from ..schemas.conv import ConvTraceRequest, ConvTraceResponse

router = APIRouter(tags=["convolution"])

MAX_IM2COL_CELLS = 4096  # the matrix view is drawn cell by cell: beyond this it is left out

_ERRORS = {413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}


@router.post("/api/conv", response_model=ConvTraceResponse, responses=_ERRORS)
async def conv_trace(body: ConvTraceRequest) -> Response:
    """Convolve (cross-correlate) one input with one or more filters and record every step."""
    return Response(await compute.run(trace_json, body), media_type="application/json")


@dataclass
class ConvSetup:
    """A request's convolution, checked once: x (C, H, W), k (F, C/groups, kh, kw), bias (F,) as float64
    arrays, whether both were sent 2-D, the window's geometry (settings, padding per side and mode,
    output size) and the groups."""

    x: np.ndarray
    k: np.ndarray
    bias: np.ndarray
    flat: bool
    geometry: Geometry
    groups: int = 1


def conv_setup(body: ConvTraceRequest) -> ConvSetup:
    """The lab's one check of a request: the grids (with the place of a problem), the limits, the
    settings and the output size, each once; every refusal is an EngineError raised where it is found."""
    x = arrays.to_array(
        body.input, "input", (2, 3), {"channel": MAX_CHANNELS, "row": MAX_TRACE_SIDE, "column": MAX_TRACE_SIDE}
    )
    k = arrays.to_array(
        body.kernel,
        "kernel",
        (2, 3, 4),
        {"filter": MAX_FILTERS, "channel": MAX_CHANNELS, "row": MAX_KERNEL_SIDE, "column": MAX_KERNEL_SIDE},
    )
    flat = x.ndim == 2 and k.ndim == 2
    x = x.reshape((1,) * (3 - x.ndim) + x.shape)
    k = k.reshape((1,) * (4 - k.ndim) + k.shape)
    n_filters, channels, kh, kw = k.shape
    groups = check_groups(None, body.groups, x.shape[0], n_filters)
    if channels * groups != x.shape[0]:
        raise EngineError(
            "channel_mismatch",
            f"the kernel has {channels * groups} channel(s) but the input has {x.shape[0]}",
            kernel_channels=channels * groups,
            input_channels=x.shape[0],
        )
    bias = arrays.to_bias(body.bias, n_filters)
    sides = resolve_padding(body.padding, (kh, kw), body.stride, body.dilation)
    for value, what, limit in (
        (body.stride, "stride", MAX_STRIDE),
        (sides, "padding", MAX_PADDING),
        (body.dilation, "dilation", MAX_DILATION),
    ):
        arrays.check_int(value, what, limit)
    geometry = conv_geometry(
        x.shape[1],
        x.shape[2],
        kh,
        kw,
        padding_by_side(sides),
        body.stride,
        body.dilation,
        padding_mode=body.padding_mode,
    )
    oh, ow = geometry.out
    products = n_filters * oh * ow * channels * kh * kw
    if products > MAX_TRACE_PRODUCTS:
        raise EngineError(
            "trace_too_long",
            f"this trace would have {products:,} products; at most {MAX_TRACE_PRODUCTS:,} can be shown",
            products=f"{products:,}",
            limit=f"{MAX_TRACE_PRODUCTS:,}",
        )
    return ConvSetup(x, k, bias, flat, geometry, groups)


def trace_json(body: ConvTraceRequest) -> bytes:
    """The answer, as JSON bytes (in a worker process: app/compute.py)."""
    setup = conv_setup(body)
    x, k, g, groups = setup.x, setup.k, setup.geometry, setup.groups
    n_filters, channels, kh, kw = k.shape
    oh, ow = g.out
    top, bottom, left, right = sides = g.sides
    mode = g.padding_mode
    h, w = x.shape[1:]
    out, steps = trace_conv(x, k, setup.bias, g, body.activation, body.activation_params, groups)
    im2col = None
    if body.im2col and x.shape[0] * kh * kw * oh * ow <= MAX_IM2COL_CELLS:
        m = im2col_of(x, k, setup.bias, g, groups)
        im2col = {
            "columns": arrays.to_json(m.columns),
            "kernel_rows": arrays.to_json(m.kernel_rows),
            "bias": arrays.to_json(m.bias),
            "product": arrays.to_json(m.product),
            "row_offsets": [list(o) for o in m.row_offsets],
        }
    return to_json(
        {
            "output": arrays.to_json(out[0] if setup.flat else out),
            "output_shape": [oh, ow] if setup.flat else [n_filters, oh, ow],
            "input_shape": list(x.shape),
            "kernel_shape": list(k.shape),
            "groups": groups,
            "padded_shape": [x.shape[0], h + top + bottom, w + left + right],
            "stride": list(g.stride),
            "padding": padding_by_side(sides),
            "padding_mode": mode,
            "dilation": list(g.dilation),
            "padded_input": arrays.to_json(pad_conv_input(x, sides, mode), "input"),
            "padding_source": {
                "rows": [padding_source(r - top, h, mode) for r in range(h + top + bottom)],
                "cols": [padding_source(q - left, w, mode) for q in range(w + left + right)],
            },
            "formula": g.formula(),
            "unread": g.unread(),
            "activation": body.activation,
            "steps": steps,
            "im2col": im2col,
        }
    )


@router.get("/api/conv/presets")
def conv_presets() -> dict[str, dict]:
    """The worked examples of the notes, by name (``/conv?preset=<name>``)."""
    return CONV_PRESETS
