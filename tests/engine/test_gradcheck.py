"""The gradient-check utility itself: it must agree with known derivatives, leave its inputs as it
found them, and fail loudly for a wrong backward."""

import numpy as np
import pytest

from engine.activations import RReLU, Sigmoid
from engine.gradcheck import check_layer, numerical_gradient, relative_error
from engine.layers import Layer


def test_numerical_gradient_of_a_known_function_and_x_is_restored():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    kept = x.copy()
    grad = numerical_gradient(lambda v: np.sum(v**3) + v[0, 1] * v[1, 0], x)
    expected = 3 * kept**2 + np.array([[0, 0.5], [-2.0, 0]])
    assert relative_error(grad, expected) < 1e-8
    np.testing.assert_array_equal(x, kept)


def test_numerical_gradient_restores_x_after_an_error():
    x = np.array([1.0, 2.0])

    def explode(v):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        numerical_gradient(explode, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_gradient_needs_float64():
    with pytest.raises(TypeError):
        numerical_gradient(lambda v: v.sum(), np.ones(3, dtype=np.float32))


def test_relative_error():
    assert relative_error([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert relative_error([1.0, 2.0], [1.0, 2.2]) == pytest.approx(0.2 / 4.2)
    assert relative_error([0.0], [1e-3]) == 1.0
    assert relative_error(np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValueError):
        relative_error(np.zeros(2), np.zeros(3))


class Scale(Layer):
    """y = W * x elementwise with a (D,) weight: a parameter to check."""

    type = "scale"

    def build(self, in_shape, rng, dtype=np.float32):
        super().build(in_shape, rng, dtype)
        self.params = {"W": rng.standard_normal(in_shape).astype(dtype)}
        return in_shape

    def forward(self, x, train=False):
        self.x = x
        return x * self.params["W"]

    def backward(self, dout):
        self.grads = {"W": (dout * self.x).sum(axis=0)}
        return dout * self.params["W"]


def built(cls, shape=(4,), dtype=np.float64):
    layer = cls()
    layer.build(shape, np.random.default_rng(0), dtype)
    return layer


def test_check_layer_reports_x_and_every_parameter():
    errors = check_layer(built(Scale), np.random.default_rng(1).standard_normal((3, 4)))
    assert set(errors) == {"x", "W"} and max(errors.values()) < 1e-6


def test_check_layer_catches_a_wrong_parameter_gradient():
    class WrongW(Scale):
        def backward(self, dout):
            dx = super().backward(dout)
            self.grads["W"] = self.grads["W"] * 1.01
            return dx

    errors = check_layer(built(WrongW), np.random.default_rng(1).standard_normal((3, 4)))
    assert errors["x"] < 1e-6 and errors["W"] > 1e-3


def test_check_layer_catches_a_backward_that_modifies_dout():
    class Mutating(Sigmoid):
        def backward(self, dout):
            dout *= self.y * (1 - self.y)
            return dout

    with pytest.raises(AssertionError, match="modified the incoming gradient"):
        check_layer(built(Mutating), np.ones((2, 4)))


def test_check_layer_needs_float64_parameters():
    with pytest.raises(TypeError, match="float64"):
        check_layer(built(Scale, dtype=np.float32), np.ones((2, 4)))


def test_check_layer_reuses_one_random_draw_and_restores_the_generator():
    layer = built(RReLU, (30,))
    own = layer.rng
    x = -np.abs(np.random.default_rng(2).standard_normal((2, 30))) - 0.1
    errors = check_layer(layer, x, train=True)
    assert errors["x"] < 1e-6  # different draws per evaluation would make this about 1
    assert layer.rng is own


def test_array_valued_f_is_summed_after_differencing():
    """Large outputs that a nudge does not touch must not drown a small gradient entry."""
    x = np.array([0.3, 2.0, -1.5])

    def outputs(v):
        return np.array([1e4 * v[1] ** 2, 1e4 * v[2] ** 2, 1e-5 * np.sin(v[0])])

    expected = np.array([1e-5 * np.cos(0.3), 2e4 * 2.0, 2e4 * -1.5])
    assert relative_error(numerical_gradient(outputs, x), expected) < 1e-6
    # Summing first loses the small entry in the rounding of 1e4-sized numbers.
    assert relative_error(numerical_gradient(lambda v: float(np.sum(outputs(v))), x), expected) > 1e-3
