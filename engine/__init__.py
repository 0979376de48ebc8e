"""A small convolutional-network library in pure NumPy.

Readable in one sitting: layers with forward and backward (:mod:`engine.layers`,
:mod:`engine.activations`), losses, optimizers, a slow loop reference that also produces step
traces (:mod:`engine.reference`), a fast im2col path, models built from JSON specs
(:mod:`engine.model`), MNIST (:mod:`engine.data`) and training as a stream of events
(:mod:`engine.train`). It imports nothing from any web framework.
"""

from .errors import EngineError

__all__ = ["EngineError"]
