"""Activation functions: curves for the activation lab, and layers for networks.

Two views of the same mathematics:

1. **Scalar functions for plotting.** :data:`ACTIVATIONS` lists every activation the notes name
   (plus softplus, GELU and SiLU) with its parameters and their slider ranges; :func:`get` returns an
   :class:`Activation` with ``f(x)`` and its analytic derivative ``df(x)``; :func:`curve` samples both
   for a plot; :func:`gradient_through_layers` multiplies derivatives through stacked layers (the
   vanishing-gradient demo).
2. **Layers** (:data:`LAYER_TYPES`): ``forward(x, train)`` caches what ``backward(dout)`` needs.
   They work on any shape; image activations are channel-major (``(C, H, W, N)``, channel axis 0,
   see :mod:`engine.layers`) and vectors ``(N, D)``, which matters only for PReLU's per-channel slopes and Maxout's channel groups.

Conventions at kinks: the derivative at z = 0 is taken from the left-hand piece (ReLU'(0) = 0, as in
the notes; leaky ReLU'(0) = a; ELU'(0) = alpha), matching the layers' backward.

GELU and softplus take PyTorch's parameters, with PyTorch's defaults:

- GELU (Hendrycks and Gimpel) is exact by default, ``approximate="none"``:
  ``z Phi(z) = 0.5 z (1 + erf(z / sqrt(2)))``, derivative ``Phi(z) + z phi(z)`` with
  ``phi(z) = e^(-z^2/2) / sqrt(2 pi)`` (erf from :mod:`engine.special`, within 1e-15 of the C
  library's); ``approximate="tanh"`` is ``0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))``, within
  0.0005 of the exact curve, with its own exact derivative. (Before format 2 of a saved model, the
  engine's only GELU was the tanh form: :meth:`engine.model.Sequential.load` reads a GELU layer of
  an older file, which names no ``approximate``, as ``"tanh"``.)
- softplus is ``log(1 + e^(beta z)) / beta``, except where ``beta z > threshold``, where it is ``z``
  (PyTorch's switch to the identity, which keeps e^(beta z) from overflowing; the two differ there by
  less than ``e^(-threshold) / beta``); its derivative is ``sigmoid(beta z)``, and 1 past the switch.
  Defaults ``beta = 1``, ``threshold = 20``.
"""

import math
from collections import OrderedDict

import numpy as np

from .errors import EngineError
from .layers import Layer
from .shapes import shown_int
from .special import erf


def _param(name, default, lo, hi, step, integer=False) -> dict:
    return {"name": name, "default": default, "min": lo, "max": hi, "step": step, "integer": integer}


def _choice(name, default, choices) -> dict:
    """A parameter that is one of a few names (GELU's ``approximate``), not a number."""
    return {"name": name, "default": default, "choices": list(choices)}


#: name -> {"formula": ..., "params": [{name, default, min, max, step, integer}, ...]}, in the
#: order the lab lists them. Maxout also takes optional ``weights`` and ``biases`` lists (see :func:`get`).
#: A parameter that is a name has ``choices`` instead of a range (GELU's ``approximate``), and
#: ``formulas`` gives the formula for a choice other than the default (see :func:`formula`).
ACTIVATIONS: "OrderedDict[str, dict]" = OrderedDict(
    [
        ("sigmoid", {"formula": "1 / (1 + e^-z)", "params": []}),
        ("tanh", {"formula": "(e^z - e^-z) / (e^z + e^-z)", "params": []}),
        ("relu", {"formula": "max(0, z)", "params": []}),
        ("leaky_relu", {"formula": "z if z > 0, else a*z", "params": [_param("a", 0.01, 0.0, 1.0, 0.001)]}),
        ("prelu", {"formula": "z if z > 0, else a*z (a learned)", "params": [_param("a", 0.25, -1.0, 1.0, 0.01)]}),
        (
            "rrelu",
            {
                "formula": "z if z > 0, else a*z, a ~ U[l, u] in training, (l + u)/2 at test",
                "params": [_param("lower", 1 / 8, 0.0, 1.0, 0.005), _param("upper", 1 / 3, 0.0, 1.0, 0.005)],
            },
        ),
        ("elu", {"formula": "z if z > 0, else alpha*(e^z - 1)", "params": [_param("alpha", 1.0, 0.0, 5.0, 0.05)]}),
        ("maxout", {"formula": "max(w1*z + b1, ..., wk*z + bk)", "params": [_param("k", 2, 1, 10, 1, integer=True)]}),
        (
            "softplus",
            {
                "formula": "log(1 + e^(beta z)) / beta; z where beta z > threshold",
                "params": [_param("beta", 1.0, 0.1, 10.0, 0.1), _param("threshold", 20.0, 0.0, 50.0, 0.5)],
            },
        ),
        (
            "gelu",
            {
                "formula": "z Phi(z) = 0.5 z (1 + erf(z / sqrt(2)))",
                "formulas": {"tanh": "0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))"},
                "params": [_choice("approximate", "none", ("none", "tanh"))],
            },
        ),
        ("silu", {"formula": "z * sigmoid(z)", "params": []}),
    ]
)

_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_K = 0.044715
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
# Maxout's default pieces: k tangent lines to the parabola z^2/4 at k points evenly spread over
# [-4, 4], so that more pieces visibly follow the curve (one piece is the flat line 0).
_MAXOUT_CURVE, _MAXOUT_SPAN = 0.25, 4.0
_MAXOUT_MAX_PIECES = 32
_CURVE_LIMIT = 1e6


# -- the elementwise mathematics (dtype-preserving: float32 in, float32 out) -------------------------


def _sigmoid(x):
    """1/(1+e^-x) without overflow: e^-|x| is at most 1."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _leaky(x, a):
    return np.where(x > 0, x, a * x)


def _leaky_d(x, a):
    return np.where(x > 0, 1.0, a)


def _elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))  # minimum: no overflow for large x


def _elu_d(x, alpha):
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))


def _gelu_parts(x):
    """(tanh(u), du/dx) of the tanh approximation, u = sqrt(2/pi) (x + 0.044715 x^3).

    Beyond |x| = 10, tanh(u) is exactly +-1 in floating point and du/dx is multiplied by
    1 - tanh(u)^2 = 0, so x is clipped there: x^3 cannot overflow for huge inputs.
    """
    x = np.clip(x, -10, 10)
    t = np.tanh(_GELU_C * (x + _GELU_K * x**3))
    return t, _GELU_C * (1 + 3 * _GELU_K * x**2)


def _gelu_tanh(x):
    t, _ = _gelu_parts(x)
    return 0.5 * x * (1 + t)


def _gelu_tanh_d(x):
    t, du = _gelu_parts(x)
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du


def _normal_cdf(x):
    """Phi(x) = 0.5 (1 + erf(x / sqrt(2))), in x's dtype (erf itself is computed in float64)."""
    return (0.5 * (1 + erf(x * _SQRT_HALF))).astype(x.dtype, copy=False)


def _normal_pdf(x):
    """phi(x) = e^(-x^2/2) / sqrt(2 pi); x is clipped at +-40 (phi is 0 there) so x^2 cannot overflow."""
    x = np.clip(x, -40, 40)
    return np.exp(-0.5 * x * x) * _INV_SQRT_2PI


def _gelu(x, approximate="none"):
    return _gelu_tanh(x) if approximate == "tanh" else x * _normal_cdf(x)


def _gelu_d(x, approximate="none"):
    return _gelu_tanh_d(x) if approximate == "tanh" else _normal_cdf(x) + x * _normal_pdf(x)


def _softplus(x, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, and x where beta x > threshold (PyTorch's rule)."""
    bx = beta * x
    return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta)


def _softplus_d(x, beta=1.0, threshold=20.0):
    bx = beta * x
    return np.where(bx > threshold, 1, _sigmoid(bx))


def _silu_d(x):
    s = _sigmoid(x)
    return s * (1 + x * (1 - s))


def _maxout_pieces(x, weights, biases):
    """(N..., k) values of the k lines at every x."""
    return x[..., None] * np.asarray(weights, dtype=np.float64) + np.asarray(biases, dtype=np.float64)


def _maxout(x, k, weights, biases):
    return _maxout_pieces(x, weights, biases).max(axis=-1)


def _maxout_d(x, k, weights, biases):
    first_max = _maxout_pieces(x, weights, biases).argmax(axis=-1)  # argmax: the first maximum on ties
    return np.asarray(weights, dtype=np.float64)[first_max]


#: name -> (f(x, **params), df(x, **params)) on float64 arrays.
_FUNCTIONS = {
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(np.float64)),
    "leaky_relu": (_leaky, _leaky_d),
    "prelu": (_leaky, _leaky_d),
    "rrelu": (
        lambda x, lower, upper: _leaky(x, (lower + upper) / 2),
        lambda x, lower, upper: _leaky_d(x, (lower + upper) / 2),
    ),
    "elu": (_elu, _elu_d),
    "maxout": (_maxout, _maxout_d),
    "softplus": (_softplus, _softplus_d),
    "gelu": (_gelu, _gelu_d),
    "silu": (lambda x: x * _sigmoid(x), _silu_d),
}


# -- the plotting API ---------------------------------------------------------------------------------


class Activation:
    """One activation with its parameters fixed: ``f(x)`` and its derivative ``df(x)``, elementwise.

    Both take numbers or arrays and return float64 arrays of the same shape. ``params`` holds every
    parameter with defaults filled in (JSON-able).
    """

    def __init__(self, name: str, params: dict):
        self.name = name
        self.params = params
        self._f, self._df = _FUNCTIONS[name]

    def f(self, x) -> np.ndarray:
        return self._f(np.asarray(x, dtype=np.float64), **self.params)

    def df(self, x) -> np.ndarray:
        return self._df(np.asarray(x, dtype=np.float64), **self.params)

    def band(self, x) -> tuple[np.ndarray, np.ndarray] | None:
        """RReLU only: the curves with the smallest and largest training slope (the band the random
        slope falls in during training); ``None`` for the other activations."""
        if self.name != "rrelu":
            return None
        x = np.asarray(x, dtype=np.float64)
        return _leaky(x, self.params["lower"]), _leaky(x, self.params["upper"])

    def __repr__(self):
        return f"Activation({self.name!r}, {self.params!r})"


def _number(activation: str, name: str, value, spec: dict | None = None) -> float | int:
    """A finite number within the slider range of ``spec`` (if given), or an EngineError."""
    number = None
    if not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating)):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float (JSON allows any length)
            if spec is not None:
                raise EngineError(
                    "activation_param_range",
                    f"{activation}: {name} must be between {spec['min']:g} "
                    f"and {spec['max']:g}, got {shown_int(int(value))}",
                    activation=activation,
                    param=name,
                    value=shown_int(int(value)),
                    min=spec["min"],
                    max=spec["max"],
                ) from None
            number = math.inf
    if number is None or not math.isfinite(number):
        shown = shown_int(int(value)) if number == math.inf and isinstance(value, (int, np.integer)) else repr(value)
        code = "maxout_bad_k" if (activation, name) == ("maxout", "k") else "activation_param_not_number"
        raise EngineError(
            code,
            f"{activation}: {name} must be a finite number, got {shown}",
            activation=activation,
            param=name,
            value=shown,
        )
    if spec is None:
        return float(value)
    if spec["integer"]:
        if float(value) != int(value):
            raise EngineError(
                "activation_param_not_integer",
                f"{activation}: {name} must be a whole number, got {value}",
                activation=activation,
                param=name,
                value=float(value),
            )
        value = int(value)
    else:
        value = float(value)
    if not spec["min"] <= value <= spec["max"]:
        raise EngineError(
            "activation_param_range",
            f"{activation}: {name} must be between {spec['min']:g} and {spec['max']:g}, got {value:g}",
            activation=activation,
            param=name,
            value=value,
            min=spec["min"],
            max=spec["max"],
        )
    return value


def _choice_of(activation: str, name: str, value, spec: dict) -> str:
    """One of ``spec["choices"]`` (exactly, as PyTorch spells them), or an EngineError."""
    if not isinstance(value, str) or value not in spec["choices"]:
        shown = repr(value)[:40]
        raise EngineError(
            "activation_param_choice",
            f"{activation}: {name} must be one of "
            f"{', '.join(map(repr, spec['choices']))} (PyTorch's names), got {shown}",
            activation=activation,
            param=name,
            value=shown,
            choices=list(spec["choices"]),
        )
    return value


def formula(name: str, params: dict | None = None) -> str:
    """The formula of activation ``name`` with ``params`` (GELU's depends on ``approximate``)."""
    entry = ACTIVATIONS[name]
    for value in (params or {}).values():
        if isinstance(value, str) and value in entry.get("formulas", {}):
            return entry["formulas"][value]
    return entry["formula"]


def _number_list(activation: str, name: str, values) -> list[float]:
    if not isinstance(values, (list, tuple, np.ndarray)) or not 1 <= len(values) <= _MAXOUT_MAX_PIECES:
        raise EngineError(
            "activation_param_list",
            f"{activation}: {name} must be a list of 1 to {_MAXOUT_MAX_PIECES} numbers",
            activation=activation,
            param=name,
            limit=_MAXOUT_MAX_PIECES,
        )
    return [_number(activation, name, v) for v in values]


def check_params(name, params: dict) -> dict:
    """Validate an activation's parameters and fill in defaults; EngineError on anything wrong."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise EngineError(
            "unknown_activation",
            f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}",
            activation=str(name),
            known=list(ACTIVATIONS),
        )
    specs = {p["name"]: p for p in ACTIVATIONS[name]["params"]}
    allowed = set(specs) | ({"weights", "biases"} if name == "maxout" else set())
    unknown = sorted(set(params) - allowed)
    if unknown:
        takes = ", ".join(sorted(allowed)) if allowed else "no parameters"
        raise EngineError(
            "activation_param_unknown" if allowed else "activation_takes_no_params",
            f"{name}: unknown parameter(s) {', '.join(unknown)}; it takes {takes}",
            activation=name,
            param=unknown[0],
            allowed=sorted(allowed),
        )
    out = {
        key: spec["default"]
        if key not in params
        else _choice_of(name, key, params[key], spec)
        if "choices" in spec
        else _number(name, key, params[key], spec)
        for key, spec in specs.items()
    }
    if name == "rrelu" and out["lower"] > out["upper"]:
        raise EngineError(
            "rrelu_order",
            f"rrelu: lower ({out['lower']:g}) must not be larger than upper ({out['upper']:g})",
            activation=name,
            param="lower",
            lower=out["lower"],
            upper=out["upper"],
        )
    if name == "maxout":
        out.update(_maxout_lines(params, out["k"]))
    return out


def _maxout_lines(params: dict, default_k: int) -> dict:
    """k, weights and biases for maxout: explicit lists, or k tangents to z^2/4 over [-4, 4]."""
    if "weights" not in params:
        if "biases" in params:
            raise EngineError(
                "maxout_biases_without_weights",
                "maxout: biases were given without weights",
                activation="maxout",
                param="biases",
            )
        k = default_k
        points = np.linspace(-_MAXOUT_SPAN, _MAXOUT_SPAN, k) if k > 1 else np.zeros(1)
        weights = 2 * _MAXOUT_CURVE * points  # slope of c*t^2 at t
        biases = -_MAXOUT_CURVE * points**2  # so that the line touches the curve at t
        return {"k": k, "weights": [float(w) for w in weights], "biases": [float(b) for b in biases]}
    weights = _number_list("maxout", "weights", params["weights"])
    biases = _number_list("maxout", "biases", params["biases"]) if "biases" in params else [0.0] * len(weights)
    if len(biases) != len(weights):
        raise EngineError(
            "maxout_count_mismatch",
            f"maxout: {len(weights)} weight(s) but {len(biases)} bias(es); give one of each per piece",
            activation="maxout",
            param="biases",
            weights=len(weights),
            biases=len(biases),
        )
    if "k" in params and int(params["k"]) != len(weights):
        raise EngineError(
            "maxout_k_mismatch",
            f"maxout: k = {params['k']} but {len(weights)} weight(s) were given",
            activation="maxout",
            param="k",
            k=params["k"],
            weights=len(weights),
        )
    return {"k": len(weights), "weights": weights, "biases": biases}


def get(name: str, /, **params) -> Activation:
    """The activation ``name`` with parameters (defaults from :data:`ACTIVATIONS`).

    Maxout as a scalar function is ``max_i (w_i z + b_i)``; by default its ``k`` pieces are tangents
    to ``z^2/4`` at ``k`` points evenly spread over [-4, 4]; explicit ``weights`` (and optionally
    ``biases``, default 0) lists override them. RReLU's ``f`` is its evaluation mode,
    slope (lower + upper)/2; :meth:`Activation.band` gives the training range. (``name`` is
    positional only: a parameter called "name" is refused as unknown, not taken for it.)
    """
    return Activation(name, check_params(name, params))


def curve(name: str, xmin: float = -5.0, xmax: float = 5.0, n: int = 201, **params) -> dict:
    """``n`` evenly spaced points on [xmin, xmax]: ``{"x", "f", "df"}`` as float64 arrays.

    For RReLU also ``"f_lower"`` and ``"f_upper"``, the edges of the training band.
    """
    act = get(name, **params)
    for what, v in (("xmin", xmin), ("xmax", xmax)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
            raise EngineError(
                "curve_range_not_finite", f"{what} must be a finite number, got {v!r}", what=what, value=repr(v)
            )
    if max(abs(xmin), abs(xmax)) > _CURVE_LIMIT:
        raise EngineError(
            "curve_range_limit",
            f"the plotted range must lie within -{_CURVE_LIMIT:g} and {_CURVE_LIMIT:g}, got {xmin:g} to {xmax:g}",
            xmin=float(xmin),
            xmax=float(xmax),
            limit=_CURVE_LIMIT,
        )
    if not xmin < xmax:
        raise EngineError(
            "curve_range_order",
            f"xmin ({xmin:g}) must be smaller than xmax ({xmax:g})",
            xmin=float(xmin),
            xmax=float(xmax),
        )
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= 10_001:
        raise EngineError(
            "bad_curve_points", f"the number of points must be a whole number from 2 to 10001, got {n!r}", n=repr(n)
        )
    x = np.linspace(float(xmin), float(xmax), int(n))
    out = {"x": x, "f": act.f(x), "df": act.df(x)}
    band = act.band(x)
    if band is not None:
        out["f_lower"], out["f_upper"] = band
    return out


def gradient_through_layers(name: str, depth: int, z=0.0, rng: np.random.Generator | None = None, **params) -> dict:
    """How much of a gradient survives ``depth`` stacked one-unit layers of activation ``name``.

    Each layer computes ``a_l = f(z_l)`` with weight 1, so by the chain rule the gradient reaching
    layer 1 from layer ``d`` is ``f'(z_1) * f'(z_2) * ... * f'(z_d)``. The pre-activations ``z_l`` are
    ``z`` for every layer (a number, default 0: the best case for sigmoid, 0.25 per layer), a list of
    ``depth`` numbers, or, with ``z=None``, drawn from N(0, 1) with ``rng``.

    Returns float64 arrays: ``layers`` (1..depth), ``z``, ``factor`` (f'(z_l)) and ``gradient``
    (the running product after 1, 2, ..., depth layers), and ``trend``: for each depth, what the
    gradient has done so far: ``"vanishes"`` (its size is below 1), ``"explodes"`` (above 1),
    ``"passes"`` (exactly 1) or ``"dies"`` (0: a factor was 0).
    """
    act = get(name, **params)
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or not 1 <= depth <= 1000:
        raise EngineError(
            "bad_depth", f"the depth must be a whole number from 1 to 1000, got {depth!r}", depth=repr(depth)
        )
    if z is None:
        if rng is None:
            raise EngineError("bad_depth", "sampling the pre-activations needs a random generator", depth=int(depth))
        zs = rng.standard_normal(int(depth))
    elif isinstance(z, (list, tuple, np.ndarray)):
        zs = np.array([_number(name, "z", v) for v in z])
        if len(zs) != depth:
            raise EngineError(
                "bad_depth", f"{depth} layers need {depth} values of z, got {len(zs)}", depth=int(depth), values=len(zs)
            )
    else:
        zs = np.full(int(depth), _number(name, "z", z))
    factor = act.df(zs)
    gradient = np.cumprod(factor)
    size = np.abs(gradient)
    trend = np.where(size == 0, "dies", np.where(size < 1, "vanishes", np.where(size > 1, "explodes", "passes")))
    return {"layers": np.arange(1, depth + 1), "z": zs, "factor": factor, "gradient": gradient, "trend": trend.tolist()}


# -- layers ---------------------------------------------------------------------------------------------


def _checked(name: str, **params) -> dict:
    """Constructor arguments validated against the same ranges as the plotting API."""
    return check_params(name, params)


class Sigmoid(Layer):
    """y = 1/(1+e^-x), any shape; backward uses the cached output: dx = dout * y (1 - y)."""

    type = "sigmoid"

    def forward(self, x, train=False):
        self.y = _sigmoid(x)
        return self.y

    def backward(self, dout):
        return dout * self.y * (1 - self.y)


class Tanh(Layer):
    """y = tanh(x), any shape; dx = dout * (1 - y^2)."""

    type = "tanh"

    def forward(self, x, train=False):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1 - self.y * self.y)


class ReLU(Layer):
    """y = max(0, x), any shape; caches the output, whose positive entries are where the gradient
    passes (the derivative at 0 is 0)."""

    type = "relu"

    def forward(self, x, train=False):
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, dout):
        return dout * (self.y > 0)


class LeakyReLU(Layer):
    """y = x for x > 0, a*x otherwise; any shape."""

    type = "leaky_relu"

    def __init__(self, a: float = 0.01, name: str | None = None):
        super().__init__(name)
        self.a = _checked("leaky_relu", a=a)["a"]

    def config(self):
        return {"a": self.a}

    def forward(self, x, train=False):
        self.pos = x > 0
        return np.where(self.pos, x, self.a * x)

    def backward(self, dout):
        return np.where(self.pos, dout, self.a * dout)


class PReLU(Layer):
    """Leaky ReLU whose slope ``a`` is learned: ``params["a"]`` has shape (1,) in mode ``"layer"``
    and (C,) in mode ``"channel"``, one per channel (axis 0 of a 4-D ``(C, H, W, N)`` input, axis 1 of an
    ``(N, D)`` input). ``a`` is the initial slope (0.25, as in PyTorch)."""

    type = "prelu"

    def __init__(self, mode: str = "layer", a: float = 0.25, name: str | None = None):
        super().__init__(name)
        if mode not in ("layer", "channel"):
            raise EngineError(
                "bad_prelu_mode", f'prelu: mode must be "layer" or "channel", got {mode!r}', mode=repr(mode)
            )
        self.mode = mode
        self.a = _checked("prelu", a=a)["a"]

    def config(self):
        return {"mode": self.mode, "a": self.a}

    def build(self, in_shape, rng, dtype=np.float32):
        super().build(in_shape, rng, dtype)
        count = 1 if self.mode == "layer" else int(in_shape[0])
        self.params = {"a": np.full(count, self.a, dtype=dtype)}
        self.grads = {"a": np.zeros_like(self.params["a"])}
        return tuple(in_shape)

    def _slopes(self, x):
        """``a`` shaped to broadcast against x: (C, 1, 1, 1) for 4-D images, (1, D) for vectors."""
        a = self.params["a"]
        if self.mode == "layer":
            return a
        axis = 0 if x.ndim == 4 else 1
        if x.ndim not in (2, 4) or x.shape[axis] != a.shape[0]:
            raise EngineError(
                "prelu_channels",
                f"prelu: built for {a.shape[0]} channel(s), got an input of shape {x.shape}",
                channels=int(a.shape[0]),
                shape=list(x.shape),
            )
        return a.reshape((-1, 1, 1, 1) if axis == 0 else (1, -1))

    def forward(self, x, train=False):
        self.x, self.pos = x, x > 0
        return np.where(self.pos, x, self._slopes(x) * x)

    def backward(self, dout):
        a = self._slopes(self.x)
        da = np.where(self.pos, 0, self.x * dout)
        if self.mode == "layer":
            self.grads["a"] = np.atleast_1d(da.sum()).astype(self.params["a"].dtype)
        else:
            axes = (1, 2, 3) if da.ndim == 4 else (0,)
            self.grads["a"] = da.sum(axis=axes).astype(self.params["a"].dtype)
        return np.where(self.pos, dout, a * dout)


class RReLU(Layer):
    """Randomised leaky ReLU: in training each element's slope is drawn from U[lower, upper] with
    ``self.rng``; in evaluation the slope is (lower + upper)/2. Any shape."""

    type = "rrelu"
    has_randomness = True

    def __init__(self, lower: float = 1 / 8, upper: float = 1 / 3, name: str | None = None):
        super().__init__(name)
        p = _checked("rrelu", lower=lower, upper=upper)
        self.lower, self.upper = p["lower"], p["upper"]

    def config(self):
        return {"lower": self.lower, "upper": self.upper}

    def forward(self, x, train=False):
        one = x.dtype.type(1)
        if train:
            if self.rng is None:
                raise EngineError(
                    "not_built", "rrelu: build the layer (which gives it a random generator) before training it"
                )
            a = self.rng.random(x.shape, dtype=x.dtype)
            a *= self.upper - self.lower
            a += self.lower
            self.slope = np.where(x > 0, one, a)
        else:
            self.slope = np.where(x > 0, one, x.dtype.type((self.lower + self.upper) / 2))
        return x * self.slope

    def backward(self, dout):
        return dout * self.slope


class ELU(Layer):
    """y = x for x > 0, alpha (e^x - 1) otherwise; dx = dout * (y + alpha) on the negative side."""

    type = "elu"

    def __init__(self, alpha: float = 1.0, name: str | None = None):
        super().__init__(name)
        self.alpha = _checked("elu", alpha=alpha)["alpha"]

    def config(self):
        return {"alpha": self.alpha}

    def forward(self, x, train=False):
        self.pos = x > 0
        self.y = _elu(x, self.alpha)
        return self.y

    def backward(self, dout):
        return np.where(self.pos, dout, dout * (self.y + self.alpha))


class Softplus(Layer):
    """y = log(1 + e^(beta x)) / beta, and y = x where beta x > threshold (PyTorch's
    ``nn.Softplus(beta=1, threshold=20)``); dx = dout * sigmoid(beta x), and dout past the switch."""

    type = "softplus"

    def __init__(self, beta: float = 1.0, threshold: float = 20.0, name: str | None = None):
        super().__init__(name)
        p = _checked("softplus", beta=beta, threshold=threshold)
        self.beta, self.threshold = p["beta"], p["threshold"]

    def config(self):
        return {"beta": self.beta, "threshold": self.threshold}

    def forward(self, x, train=False):
        self.x = x
        return _softplus(x, self.beta, self.threshold)

    def backward(self, dout):
        return dout * _softplus_d(self.x, self.beta, self.threshold)


class GELU(Layer):
    """GELU as PyTorch's ``nn.GELU(approximate="none")``: y = x Phi(x), dx = dout * (Phi(x) + x phi(x));
    or with ``approximate="tanh"`` the tanh approximation (see the module docstring). Any shape."""

    type = "gelu"

    def __init__(self, approximate: str = "none", name: str | None = None):
        super().__init__(name)
        self.approximate = _checked("gelu", approximate=approximate)["approximate"]

    def config(self):
        return {"approximate": self.approximate}

    def forward(self, x, train=False):
        self.x = x
        if self.approximate == "tanh":
            return _gelu_tanh(x)
        self.cdf = _normal_cdf(x)  # kept for backward: erf is the costly part
        return x * self.cdf

    def backward(self, dout):
        if self.approximate == "tanh":
            return dout * _gelu_tanh_d(self.x)
        return dout * (self.cdf + self.x * _normal_pdf(self.x))


class SiLU(Layer):
    """y = x * sigmoid(x) (also called swish); dx = dout * s (1 + x (1 - s))."""

    type = "silu"

    def forward(self, x, train=False):
        self.x = x
        return x * _sigmoid(x)

    def backward(self, dout):
        return dout * _silu_d(self.x)


class Maxout(Layer):
    """Max over groups of ``k`` consecutive channels: channels (0..k-1) give output channel 0, and so on.

    The channel axis is 0 of a 4-D image batch ``(C, H, W, N)`` and 1 of ``(N, D)``; the output has C/k channels.
    Backward sends each gradient to the (first) maximum of its group.
    """

    type = "maxout"

    def __init__(self, k: int = 2, name: str | None = None):
        super().__init__(name)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise EngineError(
                "maxout_bad_k",
                f"maxout: k must be a whole number of at least 1, got {k!r}",
                activation="maxout",
                param="k",
                value=repr(k),
            )
        self.k = int(k)

    def config(self):
        return {"k": self.k}

    def build(self, in_shape, rng, dtype=np.float32):
        super().build(in_shape, rng, dtype)
        channels = int(in_shape[0])
        if channels % self.k:
            raise EngineError(
                "maxout_channels",
                f"{self.name or 'maxout'}: {channels} channel(s) cannot be split into groups of "
                f"k = {self.k}; the channel count must be a multiple of k",
                channels=channels,
                k=self.k,
                layer=self.name or "maxout",
            )
        return (channels // self.k, *in_shape[1:])

    def forward(self, x, train=False):
        axis = 0 if x.ndim == 4 else 1
        channels = x.shape[axis]
        if channels % self.k:
            raise EngineError(
                "maxout_channels",
                f"maxout: {channels} channel(s) is not a multiple of k = {self.k}",
                channels=channels,
                k=self.k,
            )
        grouped = x.reshape(x.shape[:axis] + (channels // self.k, self.k) + x.shape[axis + 1 :])
        self.axis, self.in_shape = axis + 1, x.shape
        self.index = np.expand_dims(grouped.argmax(axis=self.axis), self.axis)
        return np.take_along_axis(grouped, self.index, axis=self.axis).squeeze(self.axis)

    def backward(self, dout):
        shape = list(self.index.shape)
        shape[self.axis] = self.k
        dx = np.zeros(shape, dtype=dout.dtype)
        np.put_along_axis(dx, self.index, np.expand_dims(dout, self.axis), axis=self.axis)
        return dx.reshape(self.in_shape)


#: type name -> layer class, for building models from spec dicts like {"type": "leaky_relu", "a": 0.1}.
LAYER_TYPES = {
    cls.type: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, PReLU, RReLU, ELU, Maxout, Softplus, GELU, SiLU)
}
