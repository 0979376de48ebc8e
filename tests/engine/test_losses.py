"""Losses: values computed by hand, finite-difference gradient checks (float64, < 1e-6), errors."""

import math

import numpy as np
import pytest

from engine.errors import EngineError
from engine.gradcheck import numerical_gradient, relative_error
from engine.losses import MSE, SoftmaxCrossEntropy, add_l2_grad, l2_penalty, softmax

TOL = 1e-6


def test_softmax_rows_are_probabilities():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    p = softmax(z)
    e = [math.exp(1), math.exp(2), math.exp(3)]
    np.testing.assert_allclose(p[0], [v / sum(e) for v in e], rtol=1e-14)
    np.testing.assert_allclose(p[1], [1 / 3] * 3, rtol=1e-14)
    np.testing.assert_allclose(softmax(z + 1000.0), p, rtol=1e-12)  # shift-invariant and no overflow
    np.testing.assert_allclose(softmax(np.array([1.0, 2.0, 3.0])), p[0], rtol=1e-14)


def test_cross_entropy_value_by_hand():
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    labels = np.array([0, 2])
    loss = SoftmaxCrossEntropy()
    value = loss.forward(logits, labels)
    expected = []
    for row, label in zip(logits, labels):
        total = sum(math.exp(v) for v in row)
        expected.append(-math.log(math.exp(row[label]) / total))
    assert isinstance(value, float)
    assert value == pytest.approx(sum(expected) / 2, rel=1e-14)
    np.testing.assert_allclose(loss.probabilities, softmax(logits), rtol=1e-14)
    one_hot = np.eye(3)[labels]
    np.testing.assert_allclose(loss.backward(), (softmax(logits) - one_hot) / 2, rtol=1e-14, atol=1e-16)


def test_cross_entropy_is_finite_for_huge_logits():
    loss = SoftmaxCrossEntropy()
    assert loss.forward(np.array([[1000.0, 0.0]]), np.array([1])) == pytest.approx(1000.0)
    assert loss.forward(np.array([[1000.0, 0.0]]), np.array([0])) == 0.0
    assert loss.forward(np.array([[-1e4, 1e4, 0.0]], dtype=np.float32), np.array([0])) == pytest.approx(2e4)


def test_cross_entropy_gradient_check():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 7)) * 2
    labels = rng.integers(0, 7, size=5)
    loss = SoftmaxCrossEntropy()
    loss.forward(logits, labels)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda z: SoftmaxCrossEntropy().forward(z, labels), logits)
    assert relative_error(analytic, numeric) < TOL


def test_cross_entropy_keeps_float32():
    logits = np.random.default_rng(1).standard_normal((4, 10)).astype(np.float32)
    loss = SoftmaxCrossEntropy()
    loss.forward(logits, np.arange(4))
    d = loss.backward()
    assert d.dtype == np.float32 and loss.probabilities.dtype == np.float32
    np.testing.assert_allclose(d.sum(axis=1), 0.0, atol=1e-7)  # softmax minus one-hot sums to 0


@pytest.mark.parametrize(
    "logits,labels,code,fragment",
    [
        (np.zeros((2, 3)), np.array([0, 3]), "bad_labels", "from 0 to 2"),
        (np.zeros((2, 3)), np.array([-1, 0]), "bad_labels", "from 0 to 2"),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), "bad_labels", "whole-number"),
        (np.zeros((2, 3)), np.array([0, 1, 2]), "bad_labels", "expected 2"),
        (np.zeros(3), np.array([0]), "bad_logits", "(N, K)"),
        (np.zeros((0, 3)), np.zeros(0, dtype=int), "empty", "empty"),
    ],
)
def test_cross_entropy_bad_input(logits, labels, code, fragment):
    with pytest.raises(EngineError) as info:
        SoftmaxCrossEntropy().forward(logits, labels)
    assert info.value.code == code and fragment in str(info.value)


def test_mse_value_by_hand_and_gradient():
    y = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])
    t = np.array([[0.0, 2.0], [1.5, 1.0], [3.0, -2.0]])
    loss = MSE()
    # 1/2 * ((1 + 0) + (1 + 4) + (0 + 4)) / 3
    assert loss.forward(y, t) == pytest.approx(0.5 * 10 / 3, rel=1e-15)
    np.testing.assert_allclose(loss.backward(), (y - t) / 3, rtol=1e-15)
    numeric = numerical_gradient(lambda v: MSE().forward(v, t), y)
    assert relative_error(loss.backward(), numeric) < TOL


def test_mse_gradient_check_random_and_one_dimensional():
    rng = np.random.default_rng(4)
    y, t = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    loss = MSE()
    loss.forward(y, t)
    assert relative_error(loss.backward(), numerical_gradient(lambda v: MSE().forward(v, t), y)) < TOL
    assert MSE().forward(np.array([1.0, 3.0]), np.array([0.0, 0.0])) == pytest.approx((0.5 + 4.5) / 2)


def test_mse_shape_mismatch():
    with pytest.raises(EngineError) as info:
        MSE().forward(np.zeros((2, 3)), np.zeros((2, 2)))
    assert info.value.code == "shape_mismatch" and "(2, 3)" in str(info.value)


def _params(rng):
    return {
        "conv1.W": rng.standard_normal((2, 1, 3, 3)),
        "conv1.b": rng.standard_normal(2),
        "dense1.W": rng.standard_normal((4, 3)),
        "dense1.b": rng.standard_normal(3),
        "prelu1.a": rng.standard_normal(2),
    }


def test_l2_penalty_sums_weights_only():
    params = {
        "conv1.W": np.array([[1.0, -2.0]]),
        "conv1.b": np.array([100.0]),
        "dense1.W": np.array([3.0]),
        "prelu1.a": np.array([50.0]),
    }
    assert l2_penalty(params, 0.1) == pytest.approx(0.1 / 2 * (1 + 4 + 9), rel=1e-15)
    assert l2_penalty({"W": np.array([2.0]), "b": np.array([5.0])}, 1.0) == pytest.approx(2.0)
    assert l2_penalty(params, 0) == 0.0


def test_l2_gradient_check():
    rng = np.random.default_rng(8)
    params = _params(rng)
    lam = 0.3
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    add_l2_grad(params, grads, lam)
    for key, value in params.items():
        numeric = numerical_gradient(lambda _: l2_penalty(params, lam), value)
        if key.endswith(".W"):
            assert relative_error(grads[key], numeric) < TOL
        else:
            np.testing.assert_array_equal(grads[key], 0.0)
            np.testing.assert_array_equal(numeric, 0.0)


def test_add_l2_grad_adds_in_place_to_existing_gradients():
    params = {"dense1.W": np.array([1.0, -2.0]), "dense1.b": np.array([4.0])}
    grads = {"dense1.W": np.array([0.5, 0.5]), "dense1.b": np.array([1.0])}
    w_grad = grads["dense1.W"]
    add_l2_grad(params, grads, 0.1)
    assert grads["dense1.W"] is w_grad
    np.testing.assert_allclose(w_grad, [0.6, 0.3])
    np.testing.assert_array_equal(grads["dense1.b"], [1.0])


@pytest.mark.parametrize("lam", [-0.1, float("nan"), float("inf"), "0.1", None])
def test_bad_weight_decay(lam):
    with pytest.raises(EngineError) as info:
        l2_penalty({"W": np.ones(2)}, lam)
    assert info.value.code == "bad_weight_decay"
    with pytest.raises(EngineError):
        add_l2_grad({"W": np.ones(2)}, {"W": np.ones(2)}, lam)
