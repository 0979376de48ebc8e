"""Finite-difference gradient checks (float64, relative error < 1e-6) for the structural layers and
for a whole small network, as assertions."""

import numpy as np
import pytest

from engine.gradcheck import check_layer, numerical_gradient, relative_error
from engine.layers import AvgPool2D, Conv2D, Dense, Dropout, Flatten, MaxPool2D
from engine.losses import SoftmaxCrossEntropy
from engine.model import Sequential

TOL = 1e-6
# Convolution and pooling are (piecewise) linear, so a central difference has no truncation error
# and a larger step only shrinks the rounding error of entries that are small by cancellation.
LINEAR_EPS = 1e-4


def _built(layer, in_shape, seed=0):
    layer.name = layer.name or layer.type
    layer.build(in_shape, np.random.default_rng(seed), np.float64)
    for v in layer.params.values():  # non-zero biases, so their gradient is exercised
        v += np.random.default_rng(seed + 1).standard_normal(v.shape) * 0.1
    return layer


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(filters=3, kernel=3),
        dict(filters=2, kernel=(3, 2), stride=(2, 1), padding=1),
        dict(filters=2, kernel=3, padding=(2, 1), dilation=2),
        dict(filters=4, kernel=1),
        dict(filters=2, kernel=3, bias=False, stride=(1, 2)),
    ],
)
def test_conv2d(kwargs):
    layer = _built(Conv2D(**kwargs), (2, 7, 7))
    x = np.random.default_rng(2).standard_normal((2, 7, 7, 3))  # (C, H, W, N)
    errors = check_layer(layer, x, eps=LINEAR_EPS)
    assert set(errors) == {"x", *layer.params}
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize(
    "kwargs,hw",
    [(dict(size=2), (6, 6)), (dict(size=3, stride=2, padding=1), (7, 7)), (dict(size=(2, 3), stride=1), (6, 7))],
)
def test_pooling(cls, kwargs, hw):
    layer = _built(cls(**kwargs), (2, *hw))
    # distinct values: a finite-difference step must not change which cell wins a max
    shape = (2, *hw, 2)  # (C, H, W, N)
    x = np.random.default_rng(0).permutation(np.prod(shape)).reshape(shape) * 0.01
    assert max(check_layer(layer, x, eps=LINEAR_EPS).values()) < TOL


@pytest.mark.parametrize(
    "kwargs,hw",
    [
        (dict(filters=2, kernel=3, stride=2), (8, 8)),  # 8 -> 3: a column unread
        (dict(filters=2, kernel=(2, 3), stride=(3, 2), padding=1), (7, 6)),
    ],
)
def test_conv2d_whose_stride_leaves_a_remainder(kwargs, hw):
    """Floor sizes: the input cells no window reads get a zero gradient, and the check still holds."""
    layer = _built(Conv2D(**kwargs), (2, *hw))
    x = np.random.default_rng(2).standard_normal((2, *hw, 3))
    assert max(check_layer(layer, x, eps=LINEAR_EPS).values()) < TOL


_OPTIONS = [dict(ceil_mode=True), dict(count_include_pad=False), dict(ceil_mode=True, count_include_pad=False)]
_WINDOWS = [
    (dict(size=2), (7, 7)),
    (dict(size=3, stride=2, padding=1), (6, 8)),
    (dict(size=(2, 3), stride=(2, 2), padding=(1, 1)), (5, 6)),
]


@pytest.mark.parametrize(
    "options,kwargs,hw",
    [(o, k, hw) for o in _OPTIONS for k, hw in _WINDOWS]
    + [(o, dict(size=3, stride=3), (1, 2)) for o in _OPTIONS if o.get("ceil_mode")],
)
def test_pooling_options(options, kwargs, hw):
    """ceil_mode (both poolings) and count_include_pad (average pooling), as PyTorch defines them;
    the last case is one ceil_mode window larger than the whole input."""
    layers = [AvgPool2D(**kwargs, **options)]
    if "count_include_pad" not in options:
        layers.append(MaxPool2D(**kwargs, **options))
    for layer in layers:
        layer = _built(layer, (2, *hw))
        shape = (2, *hw, 2)
        x = np.random.default_rng(0).permutation(np.prod(shape)).reshape(shape) * 0.01
        assert max(check_layer(layer, x, eps=LINEAR_EPS).values()) < TOL


def test_dense_flatten_dropout():
    assert max(check_layer(_built(Dense(5), (7,)), np.random.default_rng(0).standard_normal((4, 7))).values()) < TOL
    assert (
        max(check_layer(_built(Flatten(), (2, 3, 3)), np.random.default_rng(0).standard_normal((2, 3, 3, 4))).values())
        < TOL
    )
    drop = _built(Dropout(0.4), (6,))
    assert max(check_layer(drop, np.random.default_rng(0).standard_normal((5, 6)), train=True).values()) < TOL


def test_whole_network_with_loss():
    """Every parameter of a small CNN, through softmax cross-entropy, against finite differences."""
    spec = {
        "input": [1, 8, 8],
        "layers": [
            {"type": "conv", "filters": 3, "kernel": 3, "padding": 1},
            {"type": "relu"},
            {"type": "maxpool", "size": 2},
            {"type": "conv", "filters": 4, "kernel": 3},
            {"type": "tanh"},
            {"type": "avgpool", "size": 2},
            {"type": "flatten"},
            {"type": "dense", "units": 6},
            {"type": "sigmoid"},
            {"type": "dense", "units": 3},
        ],
    }
    model = Sequential.from_spec(spec, seed=1, dtype=np.float64)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 1, 8, 8))
    labels = np.array([0, 2, 1])
    loss_fn = SoftmaxCrossEntropy()

    def loss():
        return loss_fn.forward(model.forward(x), labels)

    loss()
    model.backward(loss_fn.backward())
    analytic = {k: v.copy() for k, v in model.grads.items()}
    assert set(analytic) == set(model.params) and len(analytic) == 8
    # A scalar loss of a whole network: with eps = 1e-6 the rounding error of the loss (~1e-16 / eps)
    # dominates the smallest gradient entries; eps = 1e-4 balances it against the O(eps^2) truncation.
    for name, value in model.params.items():
        numeric = numerical_gradient(lambda _: loss(), value, eps=1e-4)
        assert relative_error(analytic[name], numeric) < TOL, name
