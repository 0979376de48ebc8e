"""Layers: small plain classes with ``forward`` and ``backward``.

Conventions (shared by every layer in the engine):
- Image activations inside the engine are **channel-major**, ``(C, N, H, W)``: the GEMM of a
  convolution then produces the next layer's input with no transpose. Vector activations are
  ``(N, D)``. :class:`engine.model.Sequential` takes and returns the usual ``(N, C, H, W)``.
- ``forward(x, train)`` caches what ``backward`` needs. ``backward(dout)`` never modifies ``dout``,
  returns ``dx`` and leaves the parameter gradients in ``self.grads`` under the keys of
  ``self.params`` (``"W"``, ``"b"``); a model names them ``"conv1.W"``.
- ``build(in_shape, rng, dtype)`` takes the per-sample input shape (``(C, H, W)`` or ``(D,)``),
  creates the parameters from the explicit ``np.random.Generator`` and returns the output shape,
  raising :class:`engine.errors.EngineError` for a configuration that cannot work.
"""
import numpy as np

from .errors import EngineError


class Layer:
    """Base class. Subclasses set ``type`` (the name used in specs) and override what they need."""

    type = "layer"
    has_randomness = False  # True for layers that draw from ``self.rng`` during training

    def __init__(self, name: str | None = None):
        self.name = name
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.rng: np.random.Generator | None = None

    def build(self, in_shape: tuple, rng: np.random.Generator, dtype=np.float32) -> tuple:
        """Create parameters for a per-sample input shape; return the per-sample output shape."""
        self.rng = rng
        return tuple(in_shape)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def config(self) -> dict:
        """The constructor arguments, JSON-able (the spec without ``type`` and ``name``)."""
        return {}

    def spec(self) -> dict:
        return {"type": self.type, "name": self.name, **self.config()}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({self.name!r}{', ' if args else ''}{args})"
