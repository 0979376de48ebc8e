"""The activation lab: its page, the list of activations, and one activation's curve.

``GET /api/activations`` lists every activation the engine has with its parameters' slider
ranges; ``POST /api/activations`` (or ``GET /api/activations/{name}?a=0.1``) samples one
activation: f, f', the saturation regions, the numbers the captions quote and the gradient's size
through 1..depth stacked layers.
"""

from typing import Annotated, Literal

import numpy as np

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from engine import activations, curves

from .. import arrays
from ..schemas.activations import ActivationCurveRequest, ActivationCurveResponse, ActivationListResponse
from ..schemas.common import ErrorResponse
from ..templating import render

router = APIRouter(tags=["activations"])

LAB_DEPTH = 20  # the vanishing-gradient demo: 1 to 20 stacked layers
LAB_RANGE = (-6.0, 6.0)

_ERRORS = {413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}
_RESERVED_QUERY = {"lang", "xmin", "xmax", "n", "threshold", "depth", "z", "z_mode"}


@router.get("/activations", response_class=HTMLResponse, include_in_schema=False)
def activation_lab(request: Request):
    return render(request, "activations.html")


@router.get("/api/activations", response_model=ActivationListResponse)
def activation_list() -> dict:
    """Every activation with its formula and its parameters (default, min, max, step)."""
    return {
        "activations": [
            {"name": name, "formula": spec["formula"], "params": spec["params"]}
            for name, spec in activations.ACTIVATIONS.items()
        ],
        "saturation_threshold": curves.SATURATION_THRESHOLD,
        "max_depth": LAB_DEPTH,
        "xmin": LAB_RANGE[0],
        "xmax": LAB_RANGE[1],
    }


def curve_response(
    name: str,
    params: dict,
    xmin: float = LAB_RANGE[0],
    xmax: float = LAB_RANGE[1],
    n: int = 241,
    threshold: float = curves.SATURATION_THRESHOLD,
    depth: int = LAB_DEPTH,
    z: float = 0.0,
    z_mode: str = "fixed",
) -> dict:
    """The answer of POST /api/activations, from the engine's numbers."""
    name = name[:60]  # an unknown name is echoed in the message: keep it short
    activations.check_params(name, params)  # first: a parameter called "xmin" or "z" is unknown, not an argument
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below (arrays.to_json)
        lab = curves.lab_curve(name, xmin, xmax, n, threshold, **params)
        if z_mode == "steepest":
            z = lab["steepest_z"]
        deep = activations.gradient_through_layers(name, depth, z, **params)
    out = {key: arrays.to_json(lab[key], "curve") for key in ("x", "f", "df", "f_lower", "f_upper") if key in lab}
    arrays.to_json(np.array(list(lab["facts"].values())), "curve")
    return {
        "name": name,
        "formula": activations.formula(name, lab["params"]),
        "params": lab["params"],
        **out,
        "threshold": lab["threshold"],
        "saturation": lab["saturation"],
        "facts": lab["facts"],
        "steepest_z": lab["steepest_z"],
        "gradient": {
            "z_mode": z_mode,
            "z": float(z),
            "depth": depth,
            "layers": deep["layers"].tolist(),
            "factor": arrays.to_json(deep["factor"], "gradient"),
            "gradient": arrays.to_json(deep["gradient"], "gradient"),
            "size": arrays.to_json(np.abs(deep["gradient"]), "gradient"),
            "trend": deep["trend"],
        },
    }


@router.post("/api/activations", response_model=ActivationCurveResponse, responses=_ERRORS)
def activation_curve(body: ActivationCurveRequest) -> dict:
    """One activation over [xmin, xmax]: sampled x, f(x), f'(x), where |f'| < threshold, the
    numbers the captions quote, and the gradient's size through 1..depth layers at pre-activation z."""
    return curve_response(
        body.name, body.params, body.xmin, body.xmax, body.n, body.threshold, body.depth, body.z, body.z_mode
    )


@router.get("/api/activations/{name}", response_model=ActivationCurveResponse, responses=_ERRORS)
def activation_curve_get(
    request: Request,
    name: str,
    xmin: float = LAB_RANGE[0],
    xmax: float = LAB_RANGE[1],
    n: Annotated[int, Query(ge=2, le=2001)] = 241,
    threshold: float = curves.SATURATION_THRESHOLD,
    depth: Annotated[int, Query(ge=1, le=100)] = LAB_DEPTH,
    z: float = 0.0,
    z_mode: Literal["fixed", "steepest"] = "fixed",
) -> dict:
    """The same as POST, with the activation's parameters as more query parameters:
    ``/api/activations/leaky_relu?a=0.1``, ``/api/activations/rrelu?lower=0.1&upper=0.3``,
    ``/api/activations/gelu?approximate=tanh``, ``/api/activations/softplus?beta=2``. (Here
    ``threshold`` is the saturation threshold; softplus's own ``threshold`` is set with POST.)"""
    params = {key: _query_number(value) for key, value in request.query_params.items() if key not in _RESERVED_QUERY}
    return curve_response(name, params, xmin, xmax, n, threshold, depth, z, z_mode)


def _query_number(text: str):
    """A query value as a number when it reads as one (the engine explains anything else)."""
    try:
        return float(text)
    except ValueError:
        return text[:40]
