"""/api/activations: the activations the engine has, and one activation's curve, derivative,
saturation regions and the vanishing gradient through stacked layers."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from .common import StrictRequest


class ActivationParamSpec(BaseModel):
    """One parameter: a number and the range of its slider, or one of a few names (``choices``:
    GELU's ``approximate``, ``"none"`` or ``"tanh"``)."""

    name: str
    default: float | str
    min: float | None = None
    max: float | None = None
    step: float | None = None
    integer: bool | None = None
    choices: list[str] | None = Field(None, description="the names the parameter may take (then no range)")


class ActivationInfo(BaseModel):
    name: str
    formula: str
    params: list[ActivationParamSpec]


class ActivationListResponse(BaseModel):
    activations: list[ActivationInfo]
    saturation_threshold: float = Field(description="|f'| below this counts as saturated")
    max_depth: int = Field(description="the most stacked layers the vanishing-gradient demo asks for")
    xmin: float = Field(description="the lab's default plotted range")
    xmax: float


class ActivationCurveRequest(StrictRequest):
    name: str = Field(description="an activation name from GET /api/activations", examples=["sigmoid"])
    params: dict[str, Any] = Field(
        default_factory=dict,
        examples=[{}],
        description='e.g. {"a": 0.1} for leaky_relu, {"lower": 0.1, "upper": 0.3} '
        'for rrelu, {"k": 3} or {"weights": [...], "biases": [...]} '
        'for maxout, {"approximate": "tanh"} for gelu (default "none", '
        'exact), {"beta": 2, "threshold": 20} for softplus; missing '
        "parameters take their defaults",
    )
    xmin: float = Field(-6.0, strict=True, description="left end of the plotted range")
    xmax: float = Field(6.0, strict=True, description="right end of the plotted range")
    n: int = Field(241, ge=2, le=2001, strict=True, description="how many evenly spaced points")
    threshold: float = Field(
        0.05, strict=True, description="|f'| below this is marked as saturated (0 < threshold <= 1)"
    )
    depth: int = Field(20, ge=1, le=100, strict=True, description="stacked layers for the vanishing-gradient demo")
    z_mode: Literal["fixed", "steepest"] = Field(
        "fixed",
        description="fixed: every stacked layer has pre-activation z; steepest: every layer sits where "
        "|f'| is largest on the plotted range (the best case: sigmoid z = 0, ReLU z = 1)",
    )
    z: float = Field(0.0, strict=True, description="the pre-activation at every stacked layer (z_mode fixed)")


class GradientThroughLayers(BaseModel):
    """Layer l multiplies the gradient by f'(z): ``gradient[l-1] = factor[0] * ... * factor[l-1]``."""

    z_mode: str
    z: float = Field(description="the pre-activation at every layer")
    depth: int
    layers: list[int]
    factor: list[float] = Field(description="f'(z) at each layer")
    gradient: list[float] = Field(description="the product of the factors after 1, 2, ..., depth layers")
    size: list[float] = Field(description="|gradient|, the gradient's size (what the log-scale chart draws)")
    trend: list[str] = Field(
        description="after 1, 2, ..., depth layers: vanishes (size below 1), explodes "
        "(above 1), passes (exactly 1) or dies (0)"
    )


class ActivationCurveResponse(BaseModel):
    name: str
    formula: str = Field(description="the formula with these parameters (GELU's depends on approximate)")
    params: dict[str, Any] = Field(description="every parameter, defaults filled in")
    x: list[float]
    f: list[float]
    df: list[float] = Field(description="the analytic derivative f'(x)")
    f_lower: list[float] | None = Field(None, description="rrelu: the curve with the smallest training slope")
    f_upper: list[float] | None = Field(None, description="rrelu: the curve with the largest training slope")
    threshold: float
    saturation: list[list[float]] = Field(
        description="[[x_first, x_last], ...]: runs of samples where |f'| < threshold"
    )
    facts: dict[str, float] = Field(
        description="numbers the captions quote: f and f' at -1, 0, 1 (f_m1, df_0, ...), "
        "max_df and argmax_df, min_f and argmin_f, ...; tanh: identity_error; "
        "rrelu: test_slope; gelu: approximation_gap; softplus: switch_z "
        "and switch_jump"
    )
    steepest_z: float = Field(description="where |f'| is largest on the range (the best case for a gradient)")
    gradient: GradientThroughLayers
