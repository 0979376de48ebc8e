"""The branches layer: finite-difference gradients through it, a residual block against x + path(x)
written out here, GoogLeNet's inception (3a) against hand-computed shapes and parameter counts,
training, saving and loading, and the refusals."""

import numpy as np
import pytest

from engine.branches import Branches
from engine.errors import EngineError
from engine.gradcheck import check_layer
from engine.losses import SoftmaxCrossEntropy
from engine.model import Sequential
from engine.optim import make_optimizer

TOL = 1e-6


def conv(filters, kernel, padding=0, **kw):
    return {"type": "conv", "filters": filters, "kernel": kernel, "padding": padding, **kw}


RELU = {"type": "relu"}
POOL3 = {"type": "maxpool", "size": 3, "stride": 1, "padding": 1}


def _built(layer, in_shape, seed=0):
    layer.name = "branches1"
    layer.build(in_shape, np.random.default_rng(seed), np.float64)
    for v in layer.params.values():  # non-zero biases, so their gradient is exercised
        v += np.random.default_rng(seed + 1).standard_normal(v.shape) * 0.1
    return layer


@pytest.mark.parametrize(
    "merge,paths",
    [
        ("concat", [[conv(3, 3, 1), {"type": "tanh"}], [POOL3], [], [conv(2, 1)]]),
        (
            "add",
            [
                [conv(2, 3, 1), {"type": "tanh"}, conv(2, 1)],
                [{"type": "avgpool", "size": 3, "stride": 1, "padding": 1}],
                [],
            ],
        ),
        ("concat", [[{"type": "flatten"}, {"type": "dense", "units": 3}], [{"type": "flatten"}]]),  # vectors
    ],
)
def test_gradients_through_branches(merge, paths):
    layer = _built(Branches(paths, merge), (2, 5, 5))
    x = np.random.default_rng(2).standard_normal((2, 5, 5, 3))  # (C, H, W, N)
    errors = check_layer(layer, x, eps=1e-5)
    assert set(errors) == {"x", *layer.params} and len(layer.params) >= 2
    assert max(errors.values()) < TOL, errors


def test_gradients_through_a_whole_network_with_branches():
    spec = {
        "input": [1, 6, 6],
        "layers": [
            conv(2, 3, 1),
            {"type": "branches", "merge": "add", "paths": [[conv(2, 3, 1), {"type": "tanh"}], []]},
            {"type": "branches", "merge": "concat", "paths": [[conv(1, 1)], [POOL3]]},
            {"type": "flatten"},
            {"type": "dense", "units": 3},
        ],
    }
    model = Sequential.from_spec(spec, seed=0, dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((2, 1, 6, 6))
    y = np.array([0, 2])
    loss = SoftmaxCrossEntropy()
    loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    grads = {k: v.copy() for k, v in model.grads.items()}
    assert set(grads) == set(model.params)
    assert "branches1.path1.conv1.W" in grads and "branches2.path1.conv1.b" in grads
    from engine.gradcheck import numerical_gradient, relative_error

    for name, value in model.params.items():
        numeric = numerical_gradient(lambda _: loss.forward(model.forward(x), y), value)
        assert relative_error(grads[name], numeric) < TOL, name


def test_residual_block_is_x_plus_path_of_x():
    block = {"type": "branches", "merge": "add", "paths": [[conv(3, 3, 1), RELU, conv(3, 3, 1)], []]}
    model = Sequential.from_spec({"input": [3, 6, 6], "layers": [block, {"type": "flatten"}]}, seed=4, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))

    def conv_same(a, w, b):  # a (N, C, H, W), w (F, C, 3, 3), zero padding 1, written out as loops
        n, c, h, wd = a.shape
        p = np.zeros((n, c, h + 2, wd + 2))
        p[:, :, 1:-1, 1:-1] = a
        out = np.zeros((n, w.shape[0], h, wd))
        for i in range(h):
            for j in range(wd):
                out[:, :, i, j] = np.einsum("nckl,fckl->nf", p[:, :, i : i + 3, j : j + 3], w) + b
        return out

    params = model.params
    path = conv_same(
        np.maximum(conv_same(x, params["branches1.path1.conv1.W"], params["branches1.path1.conv1.b"]), 0),
        params["branches1.path1.conv2.W"],
        params["branches1.path1.conv2.b"],
    )
    np.testing.assert_allclose(model.forward(x), (x + path).reshape(2, -1), rtol=1e-12, atol=1e-12)


INCEPTION_3A = {
    "type": "branches",
    "merge": "concat",
    "paths": [
        [conv(64, 1)],
        [conv(96, 1), RELU, conv(128, 3, 1)],
        [conv(16, 1), RELU, conv(32, 5, 2)],
        [POOL3, conv(32, 1)],
    ],
}


def test_inception_3a_shapes_and_parameter_counts():
    """GoogLeNet (Szegedy et al. 2014, table 1), inception (3a): 192x28x28 in, 256x28x28 out."""
    model = Sequential.from_spec({"input": [192, 28, 28], "layers": [INCEPTION_3A]}, seed=0)
    row = model.summary()[0]

    def weights(c_in, filters, k):  # a conv layer: F x C x k x k weights and F biases
        return filters * c_in * k * k + filters

    by_path = [
        weights(192, 64, 1),
        weights(192, 96, 1) + weights(96, 128, 3),
        weights(192, 16, 1) + weights(16, 32, 5),
        weights(192, 32, 1),
    ]
    assert by_path == [12352, 129248, 15920, 6176]
    assert model.output_shape == (64 + 128 + 32 + 32, 28, 28) == (256, 28, 28)
    assert [p["output_shape"] for p in row["paths"]] == [[64, 28, 28], [128, 28, 28], [32, 28, 28], [32, 28, 28]]
    assert [p["params"] for p in row["paths"]] == by_path
    assert row["params"] == model.num_params == sum(by_path) == 163696
    assert row["output_shape"] == [256, 28, 28] and row["merge"] == "concat"
    inner = row["paths"][1]["layers"]
    assert [r["name"] for r in inner] == ["branches1.path2.conv1", "branches1.path2.relu1", "branches1.path2.conv2"]
    assert [r["output_shape"] for r in inner] == [[96, 28, 28], [96, 28, 28], [128, 28, 28]]
    assert row["paths"][3]["layers"][0]["output_shape"] == [192, 28, 28]


def test_concat_keeps_each_path_in_its_channels():
    paths = [[conv(2, 1)], [], [POOL3]]
    model = Sequential.from_spec(
        {"input": [3, 5, 5], "layers": [{"type": "branches", "paths": paths}]}, seed=0, dtype=np.float64
    )
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5))
    out = model.activations(x)[0][1]
    assert out.shape == (2, 2 + 3 + 3, 5, 5)
    np.testing.assert_array_equal(out[:, 2:5], x)  # the identity path: channels 2..4
    w, b = model.params["branches1.path1.conv1.W"], model.params["branches1.path1.conv1.b"]
    np.testing.assert_allclose(out[:, :2], np.einsum("nchw,fc->nfhw", x, w[:, :, 0, 0]) + b[None, :, None, None])
    assert out[:, 5:, 1, 1].max() >= x[:, :, :3, :3].max() - 1e-12


def _small_net():
    return {
        "input": [1, 12, 12],
        "layers": [
            conv(4, 3, 1),
            RELU,
            {"type": "branches", "merge": "add", "paths": [[conv(4, 3, 1), RELU, conv(4, 3, 1)], []]},
            RELU,
            {"type": "maxpool", "size": 2},
            {
                "type": "branches",
                "merge": "concat",
                "paths": [[conv(3, 1)], [conv(2, 1), RELU, conv(3, 3, 1)], [POOL3]],
            },
            {"type": "flatten"},
            {"type": "dropout", "p": 0.2},
            {"type": "dense", "units": 10},
        ],
    }


def test_a_network_with_branches_trains_and_saves(tmp_path):
    model = Sequential.from_spec(_small_net(), seed=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 1, 12, 12)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    loss_fn, opt = SoftmaxCrossEntropy(), make_optimizer("adam", 0.01)
    losses = []
    for _ in range(30):
        losses.append(loss_fn.forward(model.forward(x, train=True), y))
        model.backward(loss_fn.backward())
        opt.step(model.params, model.grads)
    assert losses[-1] < 0.5 * losses[0]
    before = model.forward(x)
    path = model.save(tmp_path / "branchy.npz")
    loaded = Sequential.load(path)
    assert loaded.spec == model.spec
    assert set(loaded.params) == set(model.params) and "branches2.path2.conv2.W" in loaded.params
    np.testing.assert_array_equal(loaded.forward(x), before)


def test_nested_branches_build_and_name_their_parameters():
    inner = {"type": "branches", "merge": "add", "paths": [[conv(2, 3, 1)], []]}
    spec = {"input": [2, 5, 5], "layers": [{"type": "branches", "paths": [[inner], [conv(1, 1)]]}, {"type": "flatten"}]}
    model = Sequential.from_spec(spec, seed=0, dtype=np.float64)
    assert model.output_shape == (3 * 5 * 5,)
    assert "branches1.path1.branches1.path1.conv1.W" in model.params
    layer = model.layers[0]
    errors = check_layer(layer, np.random.default_rng(0).standard_normal((2, 5, 5, 2)), eps=1e-5)
    assert max(errors.values()) < TOL


@pytest.mark.parametrize(
    "entry,code,words",
    [
        (
            {"type": "branches", "merge": "add", "paths": [[conv(4, 3, 1)], []]},
            "branches_mismatch_add",
            ["path 1: 4×6×6", "path 2: 2×6×6"],
        ),
        (
            {"type": "branches", "paths": [[conv(4, 3)], []]},
            "branches_mismatch_concat",
            ["path 1: 4×4×4", "path 2: 2×6×6"],
        ),
        ({"type": "branches", "paths": [[{"type": "flatten"}], []]}, "branches_mismatch_concat", ["path 1: 72"]),
        ({"type": "branches", "merge": "max", "paths": [[], []]}, "bad_merge", ["concat"]),
        ({"type": "branches", "paths": [[]]}, "bad_paths", ["2 to 8"]),
        ({"type": "branches", "paths": "conv"}, "bad_paths", ["2 to 8"]),
        ({"type": "branches", "paths": [[], {"type": "conv"}]}, "bad_paths", ["2 to 8"]),
        (
            {"type": "branches", "paths": [[], [{"type": "conv", "filters": 2, "size": 3}]]},
            "in_path",
            ["path 2", "size"],
        ),
        ({"type": "branches", "paths": [[], [{"type": "nope"}]]}, "in_path", ["path 2", "nope"]),
        ({"type": "branches", "paths": [[], [], []], "extra": 1}, "unknown_setting", ["extra"]),
        ({"type": "branches", "paths": [[], [conv(2, 9)]]}, "kernel_too_big", ["branches1.path2.conv1"]),
    ],
)
def test_refusals_name_the_paths(entry, code, words):
    """(Each path's output shape is in the message; a sub-layer's own error names it.)"""
    with pytest.raises(EngineError) as caught:
        Sequential.from_spec({"input": [2, 6, 6], "layers": [entry]})
    assert caught.value.code == code, caught.value
    for word in words:
        assert word in caught.value.message


def test_a_mismatch_lists_the_paths_unlike_the_others():
    paths = [[conv(2, 1)], [conv(2, 3)], [conv(3, 1)], [conv(2, 3)], [conv(2, 3)]]
    for merge, odd in (("concat", [1, 3]), ("add", [1, 3])):
        with pytest.raises(EngineError) as caught:
            Sequential.from_spec({"input": [2, 6, 6], "layers": [{"type": "branches", "merge": merge, "paths": paths}]})
        assert caught.value.params["odd"] == odd and len(caught.value.params["shapes"]) == 5
    with pytest.raises(EngineError) as caught:  # a tie: the earliest shape counts as the common one
        Sequential.from_spec({"input": [2, 6, 6], "layers": [{"type": "branches", "paths": [[conv(2, 3)], []]}]})
    assert caught.value.params["odd"] == [2]
