"""The image-filter lab: its page, the bundled pictures and kernels, and ``POST /api/filter``.

The whole feature map comes from the fast im2col convolution; the notes' cost arithmetic from
:func:`engine.filters.cost`; a traced block from the reference loops on the crop it sees.
"""

from dataclasses import dataclass

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from engine import filters
from engine.shapes import PADDING_MODES, Geometry, conv_geometry, padding_by_side, resolve_padding

from .. import arrays, samples
from ..limits import MAX_DILATION, MAX_KERNEL_SIDE, MAX_PADDING, MAX_STRIDE
from ..schemas.common import ErrorResponse
from ..schemas.filters import FilterRequest, FilterResponse, SampleImage, SampleInfo
from ..templating import render

router = APIRouter(tags=["image filters"])

MAX_IMAGE_SIDE = 512  # pictures up to 512 x 512 pixels
OUTPUT_DECIMALS = 4  # the feature map is sent rounded: it is drawn, not traced
SCALE_QUANTILE = 0.99  # a diverging colour scale ends at this quantile of |value|

_ERRORS = {413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}


@router.get("/filters", response_class=HTMLResponse, include_in_schema=False)
def filter_lab(request: Request):
    return render(
        request, "filters.html", samples=samples.listing(), kernels=filters.KERNELS, padding_modes=PADDING_MODES
    )


@router.get("/api/filter/samples", response_model=list[SampleInfo])
def sample_list() -> list[dict]:
    """The bundled pictures: two photos (320 x 280) and one MNIST digit of each class (28 x 28)."""
    return samples.listing()


@router.get("/api/filter/samples/{name}", response_model=SampleImage, responses=_ERRORS)
def sample_image(name: str) -> dict:
    """One bundled picture's pixels, 0 = black, 255 = white."""
    image = samples.load(name)
    kind = "photo" if name in samples.PHOTOS else "digit"
    return {
        "name": name,
        "kind": kind,
        "width": int(image.shape[1]),
        "height": int(image.shape[0]),
        "image": image.tolist(),
    }


@router.get("/api/filter/kernels")
def kernel_presets() -> dict[str, list[list[float]]]:
    """The preset kernels: the notes' left-neighbour difference, Sobel, blurs, sharpen, Laplacian."""
    return filters.KERNELS


def _image(value) -> tuple[str, np.ndarray]:
    if isinstance(value, str):
        return value, samples.load(value).astype(np.float64)
    return "upload", arrays.to_array(value, "image", (2,), {"row": MAX_IMAGE_SIDE, "column": MAX_IMAGE_SIDE})


@dataclass
class FilterSetup:
    """A request's filter, checked once: the picture's name, the picture (H, W) and kernel (kh, kw) as
    float64 arrays, the bias, and the window's geometry (settings and output size)."""

    name: str
    image: np.ndarray
    kernel: np.ndarray
    bias: float
    geometry: Geometry


def filter_setup(body: FilterRequest) -> FilterSetup:
    """The lab's one check of a request: the picture and kernel (with the place of a problem), the
    limits, the settings and the output size, each once."""
    name, image = _image(body.image)
    kernel = arrays.to_array(body.kernel, "kernel", (2,), {"row": MAX_KERNEL_SIDE, "column": MAX_KERNEL_SIDE})
    bias = float(arrays.to_bias(body.bias, 1)[0])
    (h, w), (kh, kw) = image.shape, kernel.shape
    sides = resolve_padding(body.padding, (kh, kw), body.stride, body.dilation)
    for value, what, limit in (
        (body.stride, "stride", MAX_STRIDE),
        (sides, "padding", MAX_PADDING),
        (body.dilation, "dilation", MAX_DILATION),
    ):
        arrays.check_int(value, what, limit)
    geometry = conv_geometry(
        h, w, kh, kw, padding_by_side(sides), body.stride, body.dilation, padding_mode=body.padding_mode
    )
    return FilterSetup(name, image, kernel, bias, geometry)


@router.post("/api/filter", response_model=FilterResponse, responses=_ERRORS)
def apply_filter(body: FilterRequest) -> dict:
    """One kernel over a picture: the feature map, its size arithmetic, the cost of sliding the
    kernel against a dense matrix, and (with ``trace``) the step-by-step trace of a small block."""
    setup = filter_setup(body)
    name, image, kernel, bias, g = setup.name, setup.image, setup.kernel, setup.bias, setup.geometry
    out = filters.feature_map(image, kernel, bias, g)
    (sh, sw), (dh, dw) = g.stride, g.dilation
    padding, mode = padding_by_side(g.sides), g.padding_mode
    (h, w), (kh, kw) = image.shape, kernel.shape
    cost = filters.cost_of(g)
    trace = None
    if body.trace is not None:
        t = filters.trace_block(image, kernel, g, body.trace.row, body.trace.col, body.trace.size, bias)
        trace = {**t, "input": arrays.to_json(t["input"], "image"), "output": arrays.to_json(t["output"])}
    shown = np.round(out.astype(np.float64), OUTPUT_DECIMALS)
    low, high = float(shown.min()), float(shown.max())
    if low < 0 < high:  # both signs: white at 0; the top 1% of |values| saturate, so that faint edges show
        m = float(np.quantile(np.abs(shown), SCALE_QUANTILE)) or max(-low, high)
        scale = {"kind": "diverging", "low": -m, "high": m}
    else:
        scale = {"kind": "gray", "low": low, "high": high}
    return {
        "image": name,
        "input_shape": [h, w],
        "kernel": kernel.tolist(),
        "kernel_shape": [kh, kw],
        "bias": bias,
        "stride": [sh, sw],
        "padding": padding,
        "padding_mode": mode,
        "dilation": [dh, dw],
        "output": arrays.to_json(shown) if body.include_output else [],
        "output_shape": list(out.shape),
        "min": low,
        "max": high,
        "scale": scale,
        "formula": g.formula(),
        "cost": cost.as_dict(),
        "trace": trace,
    }
