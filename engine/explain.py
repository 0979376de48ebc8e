"""Why did the network say that? Two maps over the 28 x 28 input, computed by the engine.

- :func:`occlusion`: cover a small square of the digit (erase the ink there), ask the network
  again, and see how much the probability of its answer drops, and how much its score (logit)
  drops. Every square position goes into ONE batch, so the whole map costs one forward pass.
  Pixels whose erasing hurts the answer most are the strokes that drove it. (A confident answer's
  probability is so close to 1 that most squares move it by almost nothing; its score still
  shows every stroke that supports it.)
- :func:`saliency`: the gradient of the answer's score (its logit) with respect to every input
  pixel, by backpropagation: how much a little more ink at each pixel would raise (positive) or
  lower (negative) the score.

Images are ink intensities in [0, 1] (ink 1), shape (28, 28); the network reads them through
:func:`engine.data.normalise`, exactly as in training. These functions run forward (and backward)
passes on ``model``: callers that share a model between threads hold its lock around them.
"""

from dataclasses import dataclass

import numpy as np

from .data import MNIST_STD, normalise
from .losses import softmax


@dataclass
class OcclusionMap:
    """The result of :func:`occlusion`.

    ``map`` (28, 28): for each pixel, the mean drop in the target's probability over the patches
    covering it (positive: covering it hurts the answer). ``drops`` (P, Q): the drop for each patch
    position, rows and columns of positions ``tops`` x ``lefts``. ``probability``: the target's
    probability with nothing covered. ``score_map``, ``score_drops`` and ``score``: the same for
    the target's score (logit).
    """

    map: np.ndarray
    drops: np.ndarray
    score_map: np.ndarray
    score_drops: np.ndarray
    target: int
    probability: float
    score: float
    patch: int
    stride: int
    fill: float
    tops: list[int]
    lefts: list[int]


def patch_positions(size: int, patch: int, stride: int) -> list[int]:
    """Where patches start along one side: 0, stride, 2*stride, ..., and the last one flush with the
    edge, so that every pixel is covered at least once."""
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts


def occluded_batch(image: np.ndarray, patch: int, stride: int, fill: float = 0.0):
    """(1 + P*Q, H, W): the image itself first, then one copy per patch position with that square
    set to ``fill``; also returns the positions ``tops`` and ``lefts``."""
    h, w = image.shape
    tops, lefts = patch_positions(h, patch, stride), patch_positions(w, patch, stride)
    batch = np.repeat(image[None], 1 + len(tops) * len(lefts), axis=0)
    k = 1
    for top in tops:
        for left in lefts:
            batch[k, top : top + patch, left : left + patch] = fill
            k += 1
    return batch, tops, lefts


def occlusion(
    model, image: np.ndarray, target: int | None = None, patch: int = 6, stride: int = 2, fill: float = 0.0
) -> OcclusionMap:
    """Occlusion map of ``image`` (28, 28) for class ``target`` (default: the network's answer).

    ``fill`` 0 is background: covering a square erases the ink in it.
    """
    image = np.asarray(image, dtype=np.float64)
    batch, tops, lefts = occluded_batch(image, patch, stride, fill)
    logits = model.forward(normalise(batch)).astype(np.float64)
    probs = softmax(logits)
    if target is None:
        target = int(np.argmax(probs[0]))
    shape = (len(tops), len(lefts))
    drops = (probs[0, target] - probs[1:, target]).reshape(shape)
    score_drops = (logits[0, target] - logits[1:, target]).reshape(shape)
    return OcclusionMap(
        map=spread(drops, tops, lefts, patch, image.shape),
        drops=drops,
        score_map=spread(score_drops, tops, lefts, patch, image.shape),
        score_drops=score_drops,
        target=target,
        probability=float(probs[0, target]),
        score=float(logits[0, target]),
        patch=patch,
        stride=stride,
        fill=fill,
        tops=tops,
        lefts=lefts,
    )


def spread(values: np.ndarray, tops: list[int], lefts: list[int], patch: int, shape: tuple) -> np.ndarray:
    """(P, Q) values, one per patch position -> (H, W): each pixel the mean over the patches covering it."""
    total = np.zeros(shape)
    count = np.zeros(shape)
    for i, top in enumerate(tops):
        for j, left in enumerate(lefts):
            total[top : top + patch, left : left + patch] += values[i, j]
            count[top : top + patch, left : left + patch] += 1
    return total / count


def saliency(model, image: np.ndarray, target: int | None = None) -> tuple[np.ndarray, int]:
    """d(logit of ``target``) / d(ink at each pixel), shape (28, 28), and the target.

    The gradient reaching the input is for the normalised pixel ``(ink - mean) / std``; dividing by
    ``std`` makes it per unit of ink. Parameter gradients left on the layers are of no use afterwards.
    """
    logits = model.forward(normalise(np.asarray(image, dtype=np.float64)[None]))  # (1, K)
    if target is None:
        target = int(np.argmax(logits[0]))
    dout = np.zeros_like(logits)
    dout[0, target] = 1
    dx = model.backward(dout, input_grad=True)  # (1, 1, 28, 28)
    return np.asarray(dx, dtype=np.float64)[0, 0] / MNIST_STD, target
