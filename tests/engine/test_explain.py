"""Occlusion and saliency maps: a model whose answer depends on one known square, and gradient checks."""

import numpy as np
import pytest

from engine.data import MNIST_MEAN, MNIST_STD, normalise
from engine.explain import occluded_batch, occlusion, patch_positions, saliency
from engine.losses import softmax
from engine.model import Sequential
from engine.presets import preset

REGION = (slice(4, 11), slice(4, 11))  # the 7x7 square class 3 looks at
WEIGHT = 0.05  # small enough that the probability is not exactly 1


def square_detector(dtype=np.float32) -> Sequential:
    """flatten -> dense(10): class 3's logit is WEIGHT x the sum of the normalised pixels in REGION, every
    other logit is 0. Its answer depends on nothing but the ink in that square."""
    model = Sequential.from_spec([{"type": "flatten"}, {"type": "dense", "units": 10}], dtype=dtype)
    w = np.zeros((28, 28))
    w[REGION] = WEIGHT
    model.params["dense1.W"][...] = 0
    model.params["dense1.W"][:, 3] = w.ravel()
    model.params["dense1.b"][...] = 0
    return model


def digit_in_region():
    image = np.zeros((28, 28))
    image[REGION] = 1.0
    image[15:25, 15:18] = 1.0  # ink the detector ignores
    return image


def test_patch_positions_cover_every_pixel():
    assert patch_positions(28, 6, 2) == list(range(0, 23, 2))
    assert patch_positions(28, 5, 2) == list(range(0, 23, 2)) + [23]
    assert patch_positions(28, 28, 4) == [0]
    for patch, stride in ((6, 2), (5, 2), (4, 4), (7, 3), (1, 1)):
        covered = np.zeros(28, int)
        for start in patch_positions(28, patch, stride):
            covered[start : start + patch] += 1
        assert covered.min() >= 1


def test_occluded_batch():
    image = digit_in_region()
    batch, tops, lefts = occluded_batch(image, 6, 2, fill=0.25)
    assert batch.shape == (1 + 12 * 12, 28, 28)
    np.testing.assert_array_equal(batch[0], image)
    k = 1 + 3 * 12 + 5  # the 4th row of positions, 6th column: top 6, left 10
    assert (tops[3], lefts[5]) == (6, 10)
    expected = image.copy()
    expected[6:12, 10:16] = 0.25
    np.testing.assert_array_equal(batch[k], expected)


def test_occlusion_finds_the_square():
    model = square_detector()
    image = digit_in_region()
    result = occlusion(model, image, patch=4, stride=2)
    assert result.target == 3
    # logit 3 = WEIGHT x the sum over the 49 pixels of (1 - mean)/std; the others are 0.
    z = WEIGHT * 49 * (1 - MNIST_MEAN) / MNIST_STD
    assert result.probability == pytest.approx(np.exp(z) / (np.exp(z) + 9), rel=1e-5)
    # Pixels at least a patch away from the square: no patch covering them touches it -> exactly 0.
    far = np.ones((28, 28), bool)
    far[4 - 4 + 1 : 11 + 4 - 1, 4 - 4 + 1 : 11 + 4 - 1] = False
    assert np.all(result.map[far] == 0)
    assert np.all(result.map[REGION] > 0)
    # One patch, asked alone, drops the probability by exactly what the batch said.
    covered = image.copy()
    covered[4:8, 6:10] = 0
    alone = softmax(model.forward(normalise(covered[None])).astype(np.float64))[0, 3]
    i, j = result.tops.index(4), result.lefts.index(6)
    assert result.drops[i, j] == pytest.approx(result.probability - alone, abs=1e-7)
    # The score (class 3's logit) drops by WEIGHT x the normalised ink erased: 16 pixels of the square,
    # from (1 - mean)/std to (0 - mean)/std each.
    assert result.score == pytest.approx(z, rel=1e-5)
    assert result.score_drops[i, j] == pytest.approx(WEIGHT * 16 / MNIST_STD, rel=1e-5)
    assert np.all(result.score_map[far] == 0) and np.all(result.score_map[REGION] > 0)


def test_spread_by_hand():
    from engine.explain import spread

    values = np.array([[1.0, 2.0], [3.0, 4.0]])
    m = spread(values, [0, 1], [0, 1], 2, (3, 3))
    # the middle pixel is under all four patches, a corner under one, an edge pixel under two
    np.testing.assert_allclose(m, [[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]])


def test_occlusion_of_another_class():
    result = occlusion(square_detector(), digit_in_region(), target=0, patch=6, stride=2)
    assert result.target == 0
    # Class 0's logit stays 0; covering the square LOWERS class 3's, so class 0's probability rises.
    assert result.map[REGION].max() < 0


def test_saliency_of_the_square_detector_by_hand():
    grad, target = saliency(square_detector(), digit_in_region())
    assert target == 3
    expected = np.zeros((28, 28))
    expected[REGION] = WEIGHT / MNIST_STD  # d logit / d ink = weight / std
    np.testing.assert_allclose(grad, expected, rtol=1e-6)


def test_saliency_matches_finite_differences():
    """LeNet-5 in float64: the backpropagated input gradient against central differences."""
    model = Sequential.from_spec(preset("lenet5"), seed=3, dtype=np.float64)
    rng = np.random.default_rng(7)
    image = np.clip(rng.random((28, 28)) * 1.2 - 0.2, 0, 1)
    grad, target = saliency(model, image, target=6)
    assert target == 6

    def logit(ink):
        x = (ink[None, None] - MNIST_MEAN) / MNIST_STD
        return float(model.forward(x)[0, 6])

    eps = 1e-6
    for r, c in [(0, 0), (3, 17), (14, 14), (20, 5), (27, 27), (9, 9)]:
        up, down = image.copy(), image.copy()
        up[r, c] += eps
        down[r, c] -= eps
        numeric = (logit(up) - logit(down)) / (2 * eps)
        assert abs(numeric - grad[r, c]) <= 1e-6 * max(1.0, abs(numeric)), (r, c, numeric, grad[r, c])


def test_saliency_leaves_the_model_as_it_was():
    model = Sequential.from_spec(preset("tiny"), seed=0)
    flags = [getattr(layer, "input_grad", None) for layer in model.layers]
    image = digit_in_region()
    before = model.forward(normalise(image[None])).copy()
    saliency(model, image)
    assert [getattr(layer, "input_grad", None) for layer in model.layers] == flags
    np.testing.assert_array_equal(model.forward(normalise(image[None])), before)
