"""The transposed-convolution lab: the page ``/transposed`` and ``POST /api/conv_transpose``, a trace
of each input cell scattering its kernel-weighted copy into the output (PyTorch's ConvTranspose2d)."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from engine.errors import EngineError
from engine.shapes import formula as conv_formula
from engine.shapes import length, pair, transposed_formula, transposed_output_shape
from engine.transposed import conv_transpose2d_trace

from .. import arrays, compute
from ..limits import MAX_CHANNELS, MAX_DILATION, MAX_FILTERS, MAX_KERNEL_SIDE, MAX_PADDING, MAX_STRIDE
from ..responses import to_json
from ..schemas.common import ErrorResponse
from ..schemas.conv_transpose import ConvTransposeTraceRequest, ConvTransposeTraceResponse
from ..templating import render

router = APIRouter(tags=["transposed convolution"])

MAX_INPUT_SIDE = 16
# Each step sends the whole scatter so far: steps x scatter cells numbers in all (about 1 MB of JSON)
MAX_TRACE_CELLS = 100_000

_ERRORS = {413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}

_ONES3 = [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
_KERNEL3 = [[1, 0, -1], [2, 1, 0], [0, 1, 2]]

# The transposed convolutions of Dumoulin & Visin, "A guide to convolution arithmetic for deep
# learning" (2016, arXiv:1603.07285), figures 4.1 to 4.7 (the sizes; the numbers are our own), and
# the example of the notes: 3x3 input, 3x3 kernel, stride 2 -> 7x7.
TRANSPOSED_PRESETS: dict[str, dict] = {
    "fig4_1": {
        "input": [[1, 2], [3, 4]],
        "kernel": _ONES3,
        "stride": 1,
        "padding": 0,
        "output_padding": 0,
        "dilation": 1,
        "figure": "4.1",
    },
    "fig4_2": {
        "input": [
            [1, 0, 2, 1, 0, 1],
            [0, 1, 1, 0, 2, 0],
            [2, 0, 1, 1, 0, 1],
            [1, 1, 0, 2, 1, 0],
            [0, 2, 1, 0, 1, 1],
            [1, 0, 0, 1, 0, 2],
        ],
        "kernel": [[1, 0, 0, 1], [0, 1, 1, 0], [0, 1, 1, 0], [1, 0, 0, 1]],
        "stride": 1,
        "padding": 2,
        "output_padding": 0,
        "dilation": 1,
        "figure": "4.2",
    },
    "fig4_3": {
        "input": [[1, 0, 2, 1, 0], [0, 1, 1, 0, 2], [2, 0, 1, 1, 0], [1, 1, 0, 2, 1], [0, 2, 1, 0, 1]],
        "kernel": _KERNEL3,
        "stride": 1,
        "padding": 1,
        "output_padding": 0,
        "dilation": 1,
        "figure": "4.3",
    },
    "fig4_4": {
        "input": [
            [1, 0, 2, 1, 0, 1, 2],
            [0, 1, 1, 0, 2, 0, 1],
            [2, 0, 1, 1, 0, 1, 0],
            [1, 1, 0, 2, 1, 0, 1],
            [0, 2, 1, 0, 1, 1, 0],
            [1, 0, 0, 1, 0, 2, 1],
            [2, 1, 0, 0, 1, 0, 1],
        ],
        "kernel": _KERNEL3,
        "stride": 1,
        "padding": 2,
        "output_padding": 0,
        "dilation": 1,
        "figure": "4.4",
    },
    "fig4_5": {
        "input": [[1, 2], [3, 4]],
        "kernel": _ONES3,
        "stride": 2,
        "padding": 0,
        "output_padding": 0,
        "dilation": 1,
        "figure": "4.5",
    },
    "fig4_6": {
        "input": [[1, 2, 0], [0, 1, 3], [2, 0, 1]],
        "kernel": _ONES3,
        "stride": 2,
        "padding": 1,
        "output_padding": 0,
        "dilation": 1,
        "figure": "4.6",
    },
    "fig4_7": {
        "input": [[1, 2, 0], [0, 1, 3], [2, 0, 1]],
        "kernel": _ONES3,
        "stride": 2,
        "padding": 1,
        "output_padding": 1,
        "dilation": 1,
        "figure": "4.7",
    },
    "stride2": {
        "input": [[1, 2, 0], [0, 1, 3], [2, 0, 1]],
        "kernel": _ONES3,
        "stride": 2,
        "padding": 0,
        "output_padding": 0,
        "dilation": 1,
    },
    "dilation": {
        "input": [[1, 2], [3, 4]],
        "kernel": [[1, 2], [3, 4]],
        "stride": 1,
        "padding": 0,
        "output_padding": 0,
        "dilation": 2,
    },
}


@router.get("/transposed", response_class=HTMLResponse, include_in_schema=False)
def transposed_lab(request: Request):
    return render(request, "transposed.html", presets=TRANSPOSED_PRESETS)


@router.post("/api/conv_transpose", response_model=ConvTransposeTraceResponse, responses=_ERRORS)
async def conv_transpose_trace(body: ConvTransposeTraceRequest) -> Response:
    """Transposed convolution of one input (PyTorch's ``ConvTranspose2d``), one step per input cell:
    its kernel-weighted copy, where it lands in the scatter, and the scatter so far."""
    return Response(await compute.run(trace_json, body), media_type="application/json")


@router.get("/api/conv_transpose/presets")
def conv_transpose_presets() -> dict[str, dict]:
    """Dumoulin & Visin's transposed-convolution figures, by name (``/transposed?preset=<name>``)."""
    return TRANSPOSED_PRESETS


def trace_json(body: ConvTransposeTraceRequest) -> bytes:
    """The answer, as JSON bytes (in a worker process: app/compute.py)."""
    x = arrays.to_array(
        body.input, "input", (2, 3), {"channel": MAX_CHANNELS, "row": MAX_INPUT_SIDE, "column": MAX_INPUT_SIDE}
    )
    k = arrays.to_array(
        body.kernel,
        "kernel",
        (2, 4),
        {"filter": MAX_CHANNELS, "channel": MAX_FILTERS, "row": MAX_KERNEL_SIDE, "column": MAX_KERNEL_SIDE},
    )
    flat = x.ndim == 2 and k.ndim == 2
    x = x.reshape((1,) * (3 - x.ndim) + x.shape)
    k = k.reshape((1,) * (4 - k.ndim) + k.shape)
    channels, filters, kh, kw = k.shape
    if channels != x.shape[0]:
        raise EngineError(
            "channel_mismatch",
            f"the kernel has {channels} channel(s) but the input has {x.shape[0]}",
            kernel_channels=channels,
            input_channels=x.shape[0],
        )
    bias = arrays.to_bias(body.bias, filters)
    for value, what, limit in (
        (body.stride, "stride", MAX_STRIDE),
        (body.padding, "padding", MAX_PADDING),
        (body.output_padding, "output_padding", MAX_STRIDE),
        (body.dilation, "dilation", MAX_DILATION),
    ):
        arrays.check_int(value, what, limit)
    (sh, sw), (ph, pw) = pair(body.stride, "stride"), pair(body.padding, "padding")
    (oph, opw), (dh, dw) = pair(body.output_padding, "output_padding"), pair(body.dilation, "dilation")
    h, w = x.shape[1:]
    oh, ow = transposed_output_shape(h, w, kh, kw, (sh, sw), (ph, pw), (oph, opw), (dh, dw))
    scatter_cells = (
        filters * max((h - 1) * sh + dh * (kh - 1) + 1, ph + oh) * max((w - 1) * sw + dw * (kw - 1) + 1, pw + ow)
    )
    cells = channels * h * w * scatter_cells
    if cells > MAX_TRACE_CELLS:
        raise EngineError(
            "transposed_trace_too_long",
            f"this trace would send {cells:,} numbers (every step's scatter); at most {MAX_TRACE_CELLS:,} can be shown",
            cells=f"{cells:,}",
            limit=f"{MAX_TRACE_CELLS:,}",
        )
    out, steps, full = conv_transpose2d_trace(x, k, bias, (sh, sw), (ph, pw), (oph, opw), (dh, dw))
    unflat = (lambda a: a[0]) if flat else (lambda a: a)
    for step in steps:
        step["partial"] = arrays.to_json(unflat(step["partial"]))
    back = [
        conv_formula(n, kk, p, s, d, axis) if length(n, kk, p, s, d) >= 1 else None
        for n, kk, p, s, d, axis in ((oh, kh, ph, sh, dh, "H"), (ow, kw, pw, sw, dw, "W"))
    ]
    return to_json(
        {
            "output": arrays.to_json(unflat(out)),
            "output_shape": [oh, ow] if flat else [filters, oh, ow],
            "input_shape": list(x.shape),
            "kernel_shape": list(k.shape),
            "scatter": arrays.to_json(unflat(full), "scatter"),
            "scatter_shape": list(full.shape),
            "crop": [ph, pw, oh, ow],
            "bias": bias.tolist(),
            "stride": [sh, sw],
            "padding": [ph, pw],
            "output_padding": [oph, opw],
            "dilation": [dh, dw],
            "formula": [
                transposed_formula(h, kh, sh, ph, oph, dh, "H"),
                transposed_formula(w, kw, sw, pw, opw, dw, "W"),
            ],
            "conv_formula": back,
            "steps": steps,
        }
    )
