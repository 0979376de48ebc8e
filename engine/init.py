"""Weight initialisers. All randomness comes from the ``np.random.Generator`` passed in.

``fan_in`` is the number of inputs feeding one output unit (C*FH*FW for a convolution, D for a dense
layer); ``fan_out`` the number of outputs one input feeds (F*FH*FW, or the unit count).

- He (Kaiming): for ReLU networks; normal with std sqrt(2/fan_in), or uniform on +-sqrt(6/fan_in).
- Xavier (Glorot): for tanh/sigmoid; uniform on +-sqrt(6/(fan_in+fan_out)), or normal with
  std sqrt(2/(fan_in+fan_out)).
- LeCun uniform: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default for Conv2d and Linear.
"""

import math

import numpy as np

from .errors import EngineError


def _fan(what: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise EngineError(
            "bad_fan", f"{what} must be a whole number of at least 1, got {value!r}", what=what, value=repr(value)
        )
    return int(value)


def _normal(rng, shape, std, dtype):
    w = rng.standard_normal(shape, dtype=np.dtype(dtype))
    w *= std
    return w


def _uniform(rng, shape, limit, dtype):
    """U(-limit, limit)."""
    w = rng.random(shape, dtype=np.dtype(dtype))
    w *= 2 * limit
    w -= limit
    return w


def he_normal(rng: np.random.Generator, shape, fan_in: int, dtype=np.float32) -> np.ndarray:
    return _normal(rng, shape, math.sqrt(2 / _fan("fan_in", fan_in)), dtype)


def he_uniform(rng: np.random.Generator, shape, fan_in: int, dtype=np.float32) -> np.ndarray:
    return _uniform(rng, shape, math.sqrt(6 / _fan("fan_in", fan_in)), dtype)


def xavier_uniform(rng: np.random.Generator, shape, fan_in: int, fan_out: int, dtype=np.float32) -> np.ndarray:
    return _uniform(rng, shape, math.sqrt(6 / (_fan("fan_in", fan_in) + _fan("fan_out", fan_out))), dtype)


def xavier_normal(rng: np.random.Generator, shape, fan_in: int, fan_out: int, dtype=np.float32) -> np.ndarray:
    return _normal(rng, shape, math.sqrt(2 / (_fan("fan_in", fan_in) + _fan("fan_out", fan_out))), dtype)


def lecun_uniform(rng: np.random.Generator, shape, fan_in: int, dtype=np.float32) -> np.ndarray:
    return _uniform(rng, shape, 1 / math.sqrt(_fan("fan_in", fan_in)), dtype)


#: spec name -> initialiser; "he", "xavier" and "lecun" are the short names a spec uses.
INITIALISERS = {
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "xavier": xavier_uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "lecun": lecun_uniform,
    "lecun_uniform": lecun_uniform,
}
_NEEDS_FAN_OUT = {xavier_uniform, xavier_normal}


def initialise(
    name: str, rng: np.random.Generator, shape, fan_in: int, fan_out: int | None = None, dtype=np.float32
) -> np.ndarray:
    """Weights of ``shape`` drawn by the initialiser ``name`` (see :data:`INITIALISERS`)."""
    fn = INITIALISERS.get(name) if isinstance(name, str) else None
    if fn is None:
        raise EngineError(
            "unknown_init",
            f"unknown initialiser {name!r}; choose one of " + ", ".join(INITIALISERS),
            init=str(name),
            known=list(INITIALISERS),
        )
    if fn in _NEEDS_FAN_OUT:
        return fn(rng, shape, fan_in, fan_out, dtype)
    return fn(rng, shape, fan_in, dtype)


def initialise_bias(name: str, rng: np.random.Generator, units: int, fan_in: int, dtype=np.float32) -> np.ndarray:
    """Biases to go with the weight initialiser ``name``: PyTorch's default (``"lecun"``, also called
    ``"lecun_uniform"``) draws them from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) too; after He or Xavier
    weights they start at zero."""
    if isinstance(name, str) and INITIALISERS.get(name) is lecun_uniform:
        return lecun_uniform(rng, (units,), fan_in, dtype)
    return np.zeros(units, dtype)
