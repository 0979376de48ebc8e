"""Losses: softmax cross-entropy for classification, the notes' squared error, and L2 weight decay.

A loss's ``forward`` returns a Python float (the mean over the batch) and caches what ``backward()``
needs; ``backward()`` returns d(loss)/d(input) with the batch mean already applied.
"""

import numpy as np

from .errors import EngineError


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, stable for large logits (the maximum is subtracted first).

    z: (N, K) or (K,); returns the same shape, rows summing to 1.
    """
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class SoftmaxCrossEntropy:
    """loss = mean over the batch of -log softmax(logits)[label].

    ``forward(logits (N, K), labels (N,) ints in [0, K))`` returns the loss and keeps
    ``probabilities`` (N, K); ``backward()`` returns dlogits = (probabilities - one_hot(labels)) / N.
    The log-probabilities use log-sum-exp, so huge logits give a finite loss.
    """

    def __init__(self):
        self.probabilities: np.ndarray | None = None
        self.labels: np.ndarray | None = None

    def forward(self, logits: np.ndarray, labels) -> float:
        logits = np.asarray(logits)
        labels = np.asarray(labels)
        if logits.ndim != 2:
            raise EngineError(
                "bad_logits", f"the logits must have shape (N, K), got {logits.shape}", shape=list(logits.shape)
            )
        n, k = logits.shape
        if n == 0 or k == 0:
            raise EngineError("empty", f"the logits are empty: shape {logits.shape}", what="logits")
        if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
            raise EngineError(
                "bad_labels",
                f"expected {n} whole-number label(s), one per row of logits, got an "
                f"array of shape {labels.shape} and type {labels.dtype}",
                n=n,
                shape=list(labels.shape),
            )
        if labels.min() < 0 or labels.max() >= k:
            raise EngineError(
                "bad_labels",
                f"labels must be class numbers from 0 to {k - 1}, got {int(labels.min())}..{int(labels.max())}",
                classes=k,
                low=int(labels.min()),
                high=int(labels.max()),
            )
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.probabilities = np.exp(log_probs)
        self.labels = labels
        return -float(log_probs[np.arange(n), labels].mean(dtype=np.float64))

    def backward(self) -> np.ndarray:
        n = len(self.labels)
        d = self.probabilities.copy()
        d[np.arange(n), self.labels] -= 1
        d /= n
        return d


class MSE:
    """The notes' squared error: loss = mean over the batch of 1/2 * sum over outputs of (y - t)^2.

    ``forward(y, t)`` with y and t of the same shape, (N, D) or (N,); ``backward()`` = (y - t) / N.
    """

    def forward(self, y: np.ndarray, t) -> float:
        y = np.asarray(y)
        t = np.asarray(t, dtype=y.dtype)
        if y.shape != t.shape or y.ndim == 0:
            raise EngineError(
                "shape_mismatch",
                f"the outputs {y.shape} and the targets {t.shape} must have the same shape (N, ...)",
                outputs=list(y.shape),
                targets=list(t.shape),
            )
        self.diff = y - t
        return float(0.5 * np.sum(self.diff.astype(np.float64) ** 2) / len(y))

    def backward(self) -> np.ndarray:
        return self.diff / len(self.diff)


def _weight_keys(params: dict) -> list[str]:
    """The weight arrays: keys ``"W"`` or ending in ``".W"``. Biases (``".b"``) and other parameters
    such as PReLU slopes are not decayed, as in the notes' (lambda/2) sum W^2."""
    return [key for key in params if key == "W" or key.endswith(".W")]


def _check_lambda(lam) -> float:
    if (
        isinstance(lam, bool)
        or not isinstance(lam, (int, float, np.integer, np.floating))
        or not np.isfinite(lam)
        or lam < 0
    ):
        raise EngineError(
            "bad_weight_decay", f"the weight decay lambda must be a number >= 0, got {lam!r}", value=repr(lam)
        )
    return float(lam)


def l2_penalty(params: dict, lam: float) -> float:
    """lambda/2 * sum of W^2 over the weight arrays (biases excluded), as a float."""
    lam = _check_lambda(lam)
    return 0.5 * lam * sum(float(np.sum(np.square(params[k], dtype=np.float64))) for k in _weight_keys(params))


def add_l2_grad(params: dict, grads: dict, lam: float) -> None:
    """Add the penalty's gradient lambda*W to ``grads`` in place, for the same weight arrays."""
    lam = _check_lambda(lam)
    if lam == 0:
        return
    for key in _weight_keys(params):
        grads[key] += lam * params[key]
