"""Numerical gradient checks: central differences against a layer's ``backward``.

Work in float64: with ``eps = 1e-6`` a correct backward agrees with the central difference to about
1e-8 relative error, so the tests assert ``< 1e-6``.
"""

import numpy as np


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f(x) / dx by central differences, one element at a time.

    ``f(x)`` returns a number, or an array whose **sum** is the function: the difference
    ``f(x + eps) - f(x - eps)`` is then taken element by element before summing, so the outputs that
    one nudge does not change cancel exactly instead of adding rounding noise (this keeps small
    gradient entries accurate). ``x`` (a float64 array, any shape) is nudged in place by +-eps and
    each element is restored afterwards, so ``x`` is unchanged on return (also after an error).
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("numerical_gradient needs a float64 array (it nudges the array in place)")
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        try:
            x[i] = old + eps
            up = np.array(f(x), dtype=np.float64)
            x[i] = old - eps
            down = np.array(f(x), dtype=np.float64)
        finally:
            x[i] = old
        grad[i] = np.sum(up - down) / (2 * eps)
    return grad


def relative_error(a, b, tiny: float = np.finfo(np.float64).tiny) -> float:
    """max over elements of |a - b| / max(|a| + |b|, tiny); 0.0 for empty arrays.

    Elements that are exactly 0 in both count as 0 (``tiny`` only guards the division).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare gradients of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), tiny)))


def check_layer(layer, x, train: bool = False, seed: int = 0, eps: float = 1e-6) -> dict[str, float]:
    """Relative errors between ``layer.backward`` and numerical gradients, keyed ``"x"`` and by the
    names in ``layer.params``.

    The loss is a random projection ``L = sum(layer.forward(x, train) * R)`` so that every output
    element matters with its own weight; ``R``'s entries are +-U[0.5, 1.5] (never near 0, so that no
    gradient element is tiny by accident). The layer must already be built with float64 parameters.

    Layers with randomness in training (``layer.has_randomness``, e.g. RReLU, Dropout) get a fresh
    ``np.random.default_rng(seed + 1)`` as ``layer.rng`` before **every** forward, so all evaluations
    use the same random draw; the layer's own generator is put back afterwards.

    Raises AssertionError if ``backward`` modifies the incoming gradient.
    """
    x = np.array(x, dtype=np.float64)
    for key, value in layer.params.items():
        if value.dtype != np.float64:
            raise TypeError(f"build the layer with dtype=np.float64 for a gradient check ({key} is {value.dtype})")
    reseed = bool(train and getattr(layer, "has_randomness", False))
    saved_rng = layer.rng

    def forward(inp):
        if reseed:
            layer.rng = np.random.default_rng(seed + 1)
        return layer.forward(inp, train)

    try:
        rng = np.random.default_rng(seed)
        out = forward(x)
        r = rng.choice([-1.0, 1.0], size=out.shape) * rng.uniform(0.5, 1.5, size=out.shape)

        def loss(_):
            return forward(x) * r  # summed by numerical_gradient after differencing

        dout = r.copy()
        dx = layer.backward(dout)
        if not np.array_equal(dout, r):
            raise AssertionError(f"{type(layer).__name__}.backward modified the incoming gradient")
        analytic = {
            "x": np.array(dx, dtype=np.float64),
            **{k: np.array(layer.grads[k], dtype=np.float64) for k in layer.params},
        }
        errors = {"x": relative_error(analytic["x"], numerical_gradient(loss, x, eps))}
        for key, value in layer.params.items():
            errors[key] = relative_error(analytic[key], numerical_gradient(loss, value, eps))
        return errors
    finally:
        layer.rng = saved_rng
