"""A feature-map cell's window, kernel and value (what /draw opens in the /conv and /pool labs): the
value the network computed equals the labs' own reference arithmetic on the window, for every cell."""

import numpy as np
import pytest

from engine.errors import EngineError
from engine.model import Sequential
from engine.presets import preset
from engine.probe import cell_window
from engine.reference import conv2d_trace, pool2d_trace

SPEC = {
    "input": [1, 14, 14],
    "layers": [
        {"type": "conv", "filters": 3, "kernel": 3, "padding": 2, "dilation": 2},
        {"type": "relu"},
        {"type": "avgpool", "size": 2, "padding": 1},
        {"type": "conv", "filters": 2, "kernel": 2, "stride": 2},
        {"type": "maxpool", "size": 2, "padding": 1},
        {"type": "flatten"},
        {"type": "dense", "units": 3},
    ],
}


@pytest.fixture(scope="module")
def model():
    return Sequential.from_spec(SPEC, seed=4, dtype=np.float64)


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).normal(size=(1, 1, 14, 14))


def lab_conv(w):
    """What /conv computes for the window: the reference loops (conv2d_trace), one output cell."""
    out, _ = conv2d_trace(w.patch, w.kernel[None], bias=w.bias)
    assert out.shape == (1, 1, 1)
    return out[0, 0, 0]


def lab_pool(w, mode):
    out, _ = pool2d_trace(w.patch[None], size=w.size[0], stride=w.size[0], mode=mode)
    assert out.shape == (1, 1, 1)
    return out[0, 0, 0]


def test_every_conv_and_avgpool_cell_replays_exactly(model, x):
    """Padding, stride and dilation included: every cell of conv1, pool1 and conv2."""
    outputs = dict(model.activations(x))
    for name, kind in (("conv1", "conv"), ("pool1", "avgpool"), ("conv2", "conv")):
        out = outputs[name][0]
        for c, i, j in np.ndindex(out.shape):
            w = cell_window(model, x, name, c, i, j)
            assert (w.type, w.value) == (kind, pytest.approx(out[c, i, j], abs=1e-12))
            replay = lab_conv(w) if kind == "conv" else lab_pool(w, "avg")
            assert replay == pytest.approx(w.value, abs=1e-9), (name, c, i, j)


def test_window_sources_and_shapes(model, x):
    w = cell_window(model, x, "conv1", 2, 0, 0)
    assert w.source == "input" and w.patch.shape == w.kernel.shape == (1, 3, 3) and w.size == (3, 3)
    # conv1's padding is 2 and its dilation 2: cell (0, 0)'s kernel touches input rows/columns -2, 0, 2
    np.testing.assert_array_equal(w.patch[0, 0], 0)
    np.testing.assert_array_equal(w.patch[0, 1:, 1:], x[0, 0][np.ix_([0, 2], [0, 2])])
    np.testing.assert_array_equal(w.kernel, model.layer("conv1").params["W"][2])
    assert w.bias == model.layer("conv1").params["b"][2]
    w = cell_window(model, x, "conv2", 1, 1, 1)
    assert w.source == "pool1" and w.patch.shape == (3, 2, 2)


def test_maxpool_cells_inside_replay_and_the_padded_ones_are_refused(model, x):
    out = dict(model.activations(x))["pool2"][0]  # conv4 is 2 x 4 x 4: padded to 6 x 6, pooled 3 x 3
    assert out.shape == (2, 3, 3)
    for c in range(2):
        w = cell_window(model, x, "pool2", c, 1, 1)  # input rows and columns 1, 2: inside
        assert w.source == "conv2" and lab_pool(w, "max") == w.value == out[c, 1, 1]
    for i, j in [(0, 0), (0, 1), (2, 1), (1, 2)]:
        with pytest.raises(EngineError) as info:
            cell_window(model, x, "pool2", 0, i, j)
        assert info.value.code == "window_in_padding"


def test_lenet5_maxpool(x):
    model = Sequential.from_spec(preset("lenet5"), seed=1, dtype=np.float64)
    image = np.random.default_rng(1).random((1, 1, 28, 28))
    out = dict(model.activations(image))["pool1"][0]
    for c, i, j in [(0, 0, 0), (5, 13, 13), (3, 7, 2)]:
        w = cell_window(model, image, "pool1", c, i, j)
        assert w.source == "relu1" and w.patch.shape == (2, 2)
        assert lab_pool(w, "max") == w.value == out[c, i, j]


@pytest.mark.parametrize(
    "args, code",
    [
        (("conv3", 0, 0, 0), "no_such_layer"),
        (("dense1", 0, 0, 0), "not_a_map_layer"),
        (("relu1", 0, 0, 0), "not_a_map_layer"),
        (("conv1", 3, 0, 0), "cell_outside_map"),
        (("conv1", 0, -1, 0), "cell_outside_map"),
        (("conv2", 0, 0, 4), "cell_outside_map"),
    ],
)
def test_refusals(model, x, args, code):
    with pytest.raises(EngineError) as info:
        cell_window(model, x, *args)
    assert info.value.code == code


@pytest.mark.parametrize(
    "options, cut",
    [
        # 5 rows, 2x2 windows, stride 2, padding 1: windows on rows -1..0, 1..2, 3..4: the first is half padding
        ({"padding": 1, "count_include_pad": False}, 0),
        # no padding, ceil_mode: ceil((5 - 2) / 2) + 1 = 3 windows, rows 0..1, 2..3 and 4 (cut at the edge)
        ({"padding": 0, "ceil_mode": True}, 2),
    ],
)
def test_avgpool_cells_that_divide_by_fewer_cells_are_refused(options, cut):
    """The pooling lab averages the window's kh x kw cells; a window that divides by fewer (PyTorch's
    count_include_pad=False, or a ceil_mode window cut at the edge) is refused, the others replay."""
    spec = {
        "input": [1, 5, 5],
        "layers": [
            {"type": "avgpool", "size": 2, "stride": 2, **options},
            {"type": "flatten"},
            {"type": "dense", "units": 2},
        ],
    }
    model = Sequential.from_spec(spec, seed=0, dtype=np.float64)
    image = np.random.default_rng(2).normal(size=(1, 1, 5, 5))
    out = dict(model.activations(image))["pool1"][0]
    assert out.shape == (1, 3, 3)
    for i in range(3):
        for j in range(3):
            if cut in (i, j):
                with pytest.raises(EngineError) as info:
                    cell_window(model, image, "pool1", 0, i, j)
                assert info.value.code == "window_divisor"
            else:
                w = cell_window(model, image, "pool1", 0, i, j)
                assert lab_pool(w, "avg") == pytest.approx(w.value) and w.value == out[0, i, j]
