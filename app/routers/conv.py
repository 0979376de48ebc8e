"""POST /api/conv: a convolution traced step by step, with its output-size arithmetic and im2col view."""
from fastapi import APIRouter, Response

from engine.demos import im2col_matrix
from engine.errors import EngineError
from engine.reference import conv2d_trace, pad_conv_input, padding_source
from engine.shapes import (check_groups, check_padding_mode, conv_output_shape, formula, padding_by_side, pair,
                           resolve_padding, unread)

from .. import arrays, compute
from ..responses import to_json
from ..limits import (MAX_CHANNELS, MAX_DILATION, MAX_FILTERS, MAX_KERNEL_SIDE, MAX_PADDING, MAX_STRIDE,
                      MAX_TRACE_PRODUCTS, MAX_TRACE_SIDE)
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


def trace_json(body: ConvTraceRequest) -> bytes:
    """The answer, as JSON bytes (in a worker process: app/compute.py)."""
    x = arrays.to_array(body.input, "input", (2, 3),
                        {"channel": MAX_CHANNELS, "row": MAX_TRACE_SIDE, "column": MAX_TRACE_SIDE})
    k = arrays.to_array(body.kernel, "kernel", (2, 3, 4),
                        {"filter": MAX_FILTERS, "channel": MAX_CHANNELS, "row": MAX_KERNEL_SIDE,
                         "column": MAX_KERNEL_SIDE})
    flat = x.ndim == 2 and k.ndim == 2
    x = x.reshape((1,) * (3 - x.ndim) + x.shape)
    k = k.reshape((1,) * (4 - k.ndim) + k.shape)
    n_filters, channels, kh, kw = k.shape
    groups = check_groups(None, body.groups, x.shape[0], n_filters)
    if channels * groups != x.shape[0]:
        raise EngineError("channel_mismatch", f"the kernel has {channels * groups} channel(s) but the input has "
                          f"{x.shape[0]}", kernel_channels=channels * groups, input_channels=x.shape[0])
    bias = arrays.to_bias(body.bias, n_filters)
    sides = resolve_padding(body.padding, (kh, kw), body.stride, body.dilation)
    for value, what, limit in ((body.stride, "stride", MAX_STRIDE), (sides, "padding", MAX_PADDING),
                               (body.dilation, "dilation", MAX_DILATION)):
        arrays.check_int(value, what, limit)
    padding = padding_by_side(sides)
    oh, ow = conv_output_shape(x.shape[1], x.shape[2], kh, kw, padding, body.stride, body.dilation)
    mode = check_padding_mode(body.padding_mode, sides, x.shape[1], x.shape[2])
    products = n_filters * oh * ow * channels * kh * kw
    if products > MAX_TRACE_PRODUCTS:
        raise EngineError("trace_too_long", f"this trace would have {products:,} products; at most "
                          f"{MAX_TRACE_PRODUCTS:,} can be shown", products=f"{products:,}",
                          limit=f"{MAX_TRACE_PRODUCTS:,}")
    out, steps = conv2d_trace(x, k, bias, body.stride, padding, body.dilation, body.activation,
                              body.activation_params, mode, groups=groups)
    (sh, sw), (dh, dw) = pair(body.stride, "stride"), pair(body.dilation, "dilation")
    top, bottom, left, right = sides
    (h, w) = x.shape[1:]
    im2col = None
    if body.im2col and x.shape[0] * kh * kw * oh * ow <= MAX_IM2COL_CELLS:
        m = im2col_matrix(x, k, bias, body.stride, padding, body.dilation, mode, groups=groups)
        im2col = {"columns": arrays.to_json(m.columns), "kernel_rows": arrays.to_json(m.kernel_rows),
                  "bias": arrays.to_json(m.bias), "product": arrays.to_json(m.product),
                  "row_offsets": [list(o) for o in m.row_offsets]}
    return to_json({
        "output": arrays.to_json(out[0] if flat else out),
        "output_shape": [oh, ow] if flat else [n_filters, oh, ow],
        "input_shape": list(x.shape), "kernel_shape": list(k.shape), "groups": groups,
        "padded_shape": [x.shape[0], h + top + bottom, w + left + right],
        "stride": [sh, sw], "padding": padding, "padding_mode": mode, "dilation": [dh, dw],
        "padded_input": arrays.to_json(pad_conv_input(x, sides, mode), "input"),
        "padding_source": {"rows": [padding_source(r - top, h, mode) for r in range(h + top + bottom)],
                           "cols": [padding_source(q - left, w, mode) for q in range(w + left + right)]},
        "formula": [formula(h, kh, (top, bottom), sh, dh, "H"), formula(w, kw, (left, right), sw, dw, "W")],
        "unread": {"rows": unread(h, kh, (top, bottom), sh, dh), "cols": unread(w, kw, (left, right), sw, dw)},
        "activation": body.activation, "steps": steps, "im2col": im2col,
    })


@router.get("/api/conv/presets")
def conv_presets() -> dict[str, dict]:
    """The worked examples of the notes, by name (``/conv?preset=<name>``)."""
    return CONV_PRESETS
