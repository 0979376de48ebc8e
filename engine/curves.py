"""What the activation lab shows around a curve, computed from the engine's own numbers.

- :func:`saturation_regions`: the stretches of the plotted range where ``|f'(z)|`` is below a
  threshold (0.05 by default): there a layer passes on less than 5% of the gradient.
- :func:`facts`: the numbers the lab's captions quote, for example sigmoid's largest derivative
  (0.25 at z = 0), how closely ``tanh(z) = 2 sigmoid(2z) - 1`` holds on the range, or RReLU's
  test-time slope ``(l + u)/2``.
- :func:`steepest_z`: where a gradient passes best (sigmoid: z = 0, f' = 0.25; ReLU: z > 0, f' = 1),
  the vanishing-gradient demo's best case.
- :func:`lab_curve`: a sampled curve (:func:`engine.activations.curve`) with both of the above.
"""

import math

import numpy as np

from . import activations
from .errors import EngineError

SATURATION_THRESHOLD = 0.05

# The points every caption may quote f and f' at, with the suffix of their keys in :func:`facts`.
_POINTS = ((-1.0, "m1"), (0.0, "0"), (1.0, "1"))


def check_threshold(threshold) -> float:
    """A saturation threshold: a number in (0, 1]."""
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float, np.integer, np.floating))
        or not math.isfinite(float(threshold))
        or not 0 < float(threshold) <= 1
    ):
        raise EngineError(
            "bad_threshold",
            f"the saturation threshold must be a number above 0 and at most 1, got {threshold!r}",
            value=repr(threshold),
        )
    return float(threshold)


def saturation_regions(x: np.ndarray, df: np.ndarray, threshold: float = SATURATION_THRESHOLD) -> list[list[float]]:
    """The runs of samples where ``|df| < threshold``, as ``[[x_first, x_last], ...]``, left to right.

    x: (n,) increasing sample points; df: (n,) the derivative there. A run's ends are its first and
    last samples (so a one-sample run is ``[x_i, x_i]``); how finely the range is sampled decides
    how exactly the edges sit.
    """
    threshold = check_threshold(threshold)
    small = np.abs(np.asarray(df, dtype=np.float64)) < threshold
    edges = np.flatnonzero(np.diff(np.concatenate(([0], small.astype(np.int8), [0]))))
    starts, stops = edges[::2], edges[1::2] - 1  # inclusive sample indices of each run
    return [[float(x[a]), float(x[b])] for a, b in zip(starts, stops)]


def facts(name: str, x: np.ndarray, f: np.ndarray, df: np.ndarray, **params) -> dict[str, float]:
    """Numbers about activation ``name`` (with ``params``) sampled as ``x, f, df`` (all (n,)).

    Always: ``f_m1, f_0, f_1`` and ``df_m1, df_0, df_1`` (f and f' at z = -1, 0, 1, from the
    activation itself, not from the samples); over the samples: ``max_df`` and ``argmax_df`` (the
    largest derivative and where it occurs: z = 0 or 1 if it does there, else the first sample), ``min_df``, ``min_f`` and ``argmin_f``,
    ``max_f``. Sigmoid-like identities: ``tanh`` adds ``identity_error``, the largest
    ``|tanh(z) - (2 sigmoid(2z) - 1)|`` over the samples; ``rrelu`` adds ``test_slope``, the slope
    for z < 0 at test time, ``(lower + upper)/2``; ``gelu`` adds ``approximation_gap``, the largest
    ``|GELU_tanh(z) - GELU_exact(z)|`` over the samples (the same for either setting); ``softplus``
    adds ``switch_z = threshold / beta``, where PyTorch's softplus becomes ``z`` itself, and
    ``switch_jump = log(1 + e^-threshold) / beta``, how far the curve drops there.
    """
    act = activations.get(name, **params)
    out: dict[str, float] = {}
    for z, suffix in _POINTS:
        out[f"f_{suffix}"] = float(act.f(z))
        out[f"df_{suffix}"] = float(act.df(z))
    top = int(np.argmax(df))
    low = int(np.argmin(f))
    # Where to say the largest derivative is: z = 0 or z = 1 when f' there (from the activation, not
    # the samples) is as large, else the first sample. (ReLU's first sample with f' = 1 is 0.05, a
    # marker indistinguishable from z = 0, where ReLU'(0) = 0.)
    where = next((z for z in (0.0, 1.0) if x[0] <= z <= x[-1] and float(act.df(z)) >= float(df[top])), float(x[top]))
    out.update(
        max_df=float(df[top]),
        argmax_df=where,
        min_df=float(np.min(df)),
        min_f=float(f[low]),
        argmin_f=float(x[low]),
        max_f=float(np.max(f)),
    )
    if name == "tanh":
        sigmoid = activations.get("sigmoid")
        out["identity_error"] = float(np.max(np.abs(f - (2 * sigmoid.f(2 * np.asarray(x)) - 1))))
    if name == "rrelu":
        out["test_slope"] = float(act.df(-1.0))
    if name == "gelu":
        exact, approximate = activations.get("gelu"), activations.get("gelu", approximate="tanh")
        out["approximation_gap"] = float(np.max(np.abs(approximate.f(x) - exact.f(x))))
    if name == "softplus":
        beta, threshold = act.params["beta"], act.params["threshold"]
        out["switch_z"] = threshold / beta
        out["switch_jump"] = float(np.logaddexp(0.0, -threshold)) / beta
    return out


def steepest_z(name: str, x: np.ndarray, df: np.ndarray, **params) -> float:
    """A pre-activation where ``|f'|`` is largest over the samples ``x, df`` (the best case for a
    gradient passing through): z = 0, else z = 1, when ``|f'|`` there is as large as anywhere on the
    samples (sigmoid, tanh: 0; ReLU: 1), otherwise the first sample where the largest occurs."""
    act = activations.get(name, **params)
    size = np.abs(np.asarray(df, dtype=np.float64))
    best = float(np.max(size))
    for z in (0.0, 1.0):
        if x[0] <= z <= x[-1] and abs(float(act.df(z))) >= best:
            return z
    return float(x[int(np.argmax(size))])


def lab_curve(
    name: str, xmin: float = -6.0, xmax: float = 6.0, n: int = 241, threshold: float = SATURATION_THRESHOLD, /, **params
) -> dict:
    """Everything the activation lab draws for one activation over [xmin, xmax].

    The arguments before ``params`` are positional only: ``threshold`` is the saturation threshold,
    and a ``threshold`` among ``params`` is the activation's own (softplus).

    Returns ``x``, ``f``, ``df`` (float64 arrays of n points; RReLU also ``f_lower`` and
    ``f_upper``, its training band), ``params`` (every parameter, defaults filled in),
    ``threshold``, ``saturation`` (:func:`saturation_regions`), ``facts`` (:func:`facts`) and
    ``steepest_z`` (:func:`steepest_z`).
    """
    threshold = check_threshold(threshold)
    sampled = activations.curve(name, xmin, xmax, n, **params)
    filled = activations.get(name, **params).params
    return {
        **sampled,
        "params": filled,
        "threshold": threshold,
        "saturation": saturation_regions(sampled["x"], sampled["df"], threshold),
        "facts": facts(name, sampled["x"], sampled["f"], sampled["df"], **params),
        "steepest_z": steepest_z(name, sampled["x"], sampled["df"], **params),
    }
