"""Grouped and depthwise convolution (``groups``) and batch normalisation (BatchNorm2d, BatchNorm1d).

Checked against: the reference loops (property tests), a grouped convolution taken apart into
ordinary ones by hand, finite differences (engine.gradcheck), the batch-norm formulas and PyTorch's
running-statistics rule written out again in NumPy here, and small cases worked by hand.
(PyTorch itself is not a dependency; notes/shots/groups-bn/torch_check.py compared it separately.)
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import fast, reference
from engine.data import Mnist
from engine.errors import EngineError
from engine.gradcheck import check_layer
from engine.layers import BatchNorm1D, BatchNorm2D, Conv2D
from engine.losses import SoftmaxCrossEntropy
from engine.model import Sequential
from engine.optim import make_optimizer
from engine.train import _step, check_train_batches, evaluate, train

TOL = 1e-6


def engine_layout(x):
    """(N, C, H, W) -> the engine's (C, H, W, N)."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0))


# ---- grouped convolution ---------------------------------------------------------------------------


@st.composite
def grouped_cases(draw):
    groups = draw(st.integers(1, 3))
    c = groups * draw(st.integers(1, 2))
    f = groups * draw(st.integers(1, 3))
    if draw(st.booleans()):  # depthwise: one group per input channel
        groups = c
        f = c * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(max(1, d[0] * (kh - 1) + 1 - 2 * p[0]), 7))
    w = draw(st.integers(max(1, d[1] * (kw - 1) + 1 - 2 * p[1]), 7))
    return {
        "n": draw(st.integers(1, 2)),
        "c": c,
        "f": f,
        "g": groups,
        "k": (kh, kw),
        "s": s,
        "p": p,
        "d": d,
        "hw": (h, w),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


@settings(max_examples=60, deadline=None)
@given(grouped_cases())
def test_grouped_conv_fast_equals_reference(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["n"], case["c"], *case["hw"]))
    w = rng.standard_normal((case["f"], case["c"] // case["g"], *case["k"]))
    b = rng.standard_normal(case["f"])
    expected = reference.conv2d_reference(x, w, b, case["s"], case["p"], case["d"], groups=case["g"])
    # independently: each group is an ordinary convolution of its channels with its filters
    cg, fg = case["c"] // case["g"], case["f"] // case["g"]
    by_hand = np.concatenate(
        [
            reference.conv2d_reference(
                x[:, i * cg : (i + 1) * cg],
                w[i * fg : (i + 1) * fg],
                b[i * fg : (i + 1) * fg],
                case["s"],
                case["p"],
                case["d"],
            )
            for i in range(case["g"])
        ],
        axis=1,
    )
    np.testing.assert_allclose(expected, by_hand, rtol=1e-12, atol=1e-12)
    got = fast.conv2d(x, w, b, case["s"], case["p"], case["d"], groups=case["g"])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    layer = Conv2D(case["f"], case["k"], case["s"], case["p"], case["d"], groups=case["g"], name="conv1")
    layer.build(x.shape[1:], rng, np.float64)
    assert layer.params["W"].shape == w.shape
    layer.params["W"][...] = w
    layer.params["b"][...] = b
    np.testing.assert_allclose(layer.forward(engine_layout(x)).transpose(3, 0, 1, 2), expected, rtol=1e-12, atol=1e-12)


def test_grouped_conv_golden_by_hand():
    # Two channels, groups 2, one 1x1 filter each: channel 0 times 2, channel 1 times -3, plus biases.
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]])  # (1, 2, 2, 2)
    w = np.array([[[[2.0]]], [[[-3.0]]]])  # (2, 1, 1, 1)
    out = fast.conv2d(x, w, np.array([1.0, 0.5]), groups=2)
    np.testing.assert_array_equal(out[0, 0], [[3, 5], [7, 9]])
    np.testing.assert_array_equal(out[0, 1], [[-14.5, -17.5], [-20.5, -23.5]])
    # depthwise 2x2 summing kernels on each channel: the sums 10 and 26, nothing crosses channels
    ones = np.ones((2, 1, 2, 2))
    np.testing.assert_array_equal(fast.conv2d(x, ones, groups=2)[0, :, 0, 0], [10, 26])
    np.testing.assert_array_equal(fast.conv2d(x, np.ones((1, 2, 2, 2)))[0, 0, 0, 0], 36)  # groups 1 mixes them
    # the trace names the channel each filter reads
    _, steps = reference.conv2d_trace(x[0], w, 0.0, groups=2)
    assert [s["cells"][0][0] for s in steps] == [0] * 4 + [1] * 4


@pytest.mark.parametrize(
    "c,f,g,k,s,p,d",
    [
        (4, 6, 2, (3, 3), (1, 1), (1, 1), (1, 1)),
        (3, 3, 3, (3, 2), (2, 1), (1, 0), (1, 1)),  # depthwise
        (2, 4, 2, (2, 2), (1, 2), (0, 1), (2, 1)),  # depth multiplier 2
        (6, 3, 3, (1, 1), (1, 1), (0, 0), (1, 1)),
    ],
)
def test_grouped_conv_gradients(c, f, g, k, s, p, d):
    rng = np.random.default_rng(c * 10 + f)
    layer = Conv2D(f, k, s, p, d, groups=g, name="conv1")
    layer.build((c, 6, 5), rng, np.float64)
    errors = check_layer(layer, rng.standard_normal((c, 6, 5, 2)))
    assert max(errors.values()) < TOL, errors
    assert set(errors) == {"x", "W", "b"}


def test_grouped_conv_parameters_and_fans():
    model = Sequential.from_spec(
        {
            "input": [8, 10, 10],
            "layers": [
                {"type": "conv", "filters": 8, "kernel": 3, "groups": 8},  # depthwise: 8 * (1*9) + 8
                {"type": "conv", "filters": 16, "kernel": 1},  # pointwise: 16 * 8 + 16
                {"type": "conv", "filters": 4, "kernel": 3, "groups": 4, "bias": False},  # 4 * (16/4 * 9)
                {"type": "flatten"},
                {"type": "dense", "units": 10},
            ],
        }
    )
    assert [row["params"] for row in model.summary()[:3]] == [80, 144, 144]
    assert model.layers[0].params["W"].shape == (8, 1, 3, 3)
    # PyTorch's default (lecun) bound 1/sqrt(fan_in) with fan_in = C/groups * kh * kw = 9
    assert np.abs(model.layers[0].params["W"]).max() <= 1 / 3


@pytest.mark.parametrize("groups,channels,filters", [(3, 4, 6), (2, 3, 4), (4, 8, 6)])
def test_groups_that_do_not_divide_are_refused_with_the_numbers(groups, channels, filters):
    with pytest.raises(EngineError) as e:
        Sequential.from_spec(
            {"input": [channels, 8, 8], "layers": [{"type": "conv", "filters": filters, "kernel": 3, "groups": groups}]}
        )
    assert e.value.code == "groups_not_divisible"
    assert e.value.params == {**e.value.params, "groups": groups, "in_channels": channels, "filters": filters}
    assert f"groups = {groups}" in e.value.message and f"({channels})" in e.value.message


@pytest.mark.parametrize("groups", [0, -1, 1.5, True, "2", None])
def test_groups_must_be_a_whole_number(groups):
    with pytest.raises(EngineError) as e:
        Sequential.from_spec({"input": [4, 8, 8], "layers": [{"type": "conv", "filters": 4, "groups": groups}]})
    assert e.value.code == "bad_setting" and e.value.params["setting"] == "groups"


# ---- batch normalisation ---------------------------------------------------------------------------


def numpy_batchnorm(x, axes, gamma, beta, eps):
    """Ioffe and Szegedy's transform, written out: the batch's mean and biased variance per channel."""
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).sum(axis=axes, keepdims=True) / np.prod([x.shape[a] for a in axes])
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def test_batchnorm1d_golden_by_hand():
    bn = BatchNorm1D(momentum=0.1, eps=0.0 + 1e-5, name="bn1")
    bn.build((1,), np.random.default_rng(0), np.float64)
    out = bn.forward(np.array([[1.0], [3.0]]), train=True)
    # mean 2, biased variance 1: (x - 2) / sqrt(1 + 1e-5)
    np.testing.assert_allclose(out[:, 0], [-1 / np.sqrt(1 + 1e-5), 1 / np.sqrt(1 + 1e-5)], rtol=1e-12)
    # running_mean = 0.9 * 0 + 0.1 * 2; running_var = 0.9 * 1 + 0.1 * 2 (unbiased: 2 / (2 - 1))
    assert bn.buffers["running_mean"][0] == pytest.approx(0.2)
    assert bn.buffers["running_var"][0] == pytest.approx(1.1)
    assert int(bn.buffers["num_batches_tracked"]) == 1
    # evaluation uses the running statistics: (5 - 0.2) / sqrt(1.1 + 1e-5), for a batch of one
    assert bn.forward(np.array([[5.0]]), train=False)[0, 0] == pytest.approx(4.8 / np.sqrt(1.1 + 1e-5))
    assert int(bn.buffers["num_batches_tracked"]) == 1  # evaluation changes nothing


def test_batchnorm2d_golden_by_hand():
    # one channel, two 1x2 images: values 0, 2, 4, 6 -> mean 3, biased variance 5, unbiased 20/3
    bn = BatchNorm2D(momentum=0.5, eps=1e-5, name="bn1")
    bn.build((1, 1, 2), np.random.default_rng(0), np.float64)
    bn.params["W"][...] = 2.0
    bn.params["b"][...] = 1.0
    x = np.array([[[[0.0, 2.0]]], [[[4.0, 6.0]]]])  # (N=2, C=1, H=1, W=2)
    out = bn.forward(engine_layout(x), train=True).transpose(3, 0, 1, 2)
    np.testing.assert_allclose(out.ravel(), 2 * (np.array([0, 2, 4, 6]) - 3) / np.sqrt(5 + 1e-5) + 1, rtol=1e-12)
    assert bn.buffers["running_mean"][0] == pytest.approx(0.5 * 0 + 0.5 * 3)
    assert bn.buffers["running_var"][0] == pytest.approx(0.5 * 1 + 0.5 * 20 / 3)


@pytest.mark.parametrize(
    "kind,shape,n", [("2d", (3, 4, 5), 2), ("2d", (2, 1, 1), 3), ("2d", (2, 3, 3), 1), ("1d", (4,), 3), ("1d", (2,), 2)]
)
@pytest.mark.parametrize(
    "momentum,eps,affine", [(0.1, 1e-5, True), (0.5, 1e-3, True), (None, 1e-5, True), (0.1, 1e-5, False)]
)
def test_batchnorm_forward_and_running_statistics_against_numpy(kind, shape, n, momentum, eps, affine):
    rng = np.random.default_rng(n + len(shape))
    layer = (BatchNorm2D if kind == "2d" else BatchNorm1D)(momentum, eps, affine, name="bn1")
    layer.build(shape, rng, np.float64)
    c = shape[0]
    gamma, beta = rng.standard_normal(c), rng.standard_normal(c)
    if affine:
        layer.params["W"][...], layer.params["b"][...] = gamma, beta
    else:
        gamma, beta = np.ones(c), np.zeros(c)
    axes = (0, 2, 3) if kind == "2d" else (0,)
    bshape = (1, c, 1, 1) if kind == "2d" else (1, c)
    to_engine = engine_layout if kind == "2d" else (lambda a: a)
    from_engine = (lambda a: a.transpose(3, 0, 1, 2)) if kind == "2d" else (lambda a: a)
    running_mean, running_var = np.zeros(c), np.ones(c)
    for step in range(1, 5):
        x = rng.standard_normal((n, *shape)) * 2 + 3
        out = from_engine(layer.forward(to_engine(x), train=True))
        np.testing.assert_allclose(
            out, numpy_batchnorm(x, axes, gamma.reshape(bshape), beta.reshape(bshape), eps), rtol=1e-10, atol=1e-12
        )
        # PyTorch's rule: momentum (or 1/step for a cumulative average), the unbiased variance
        m = 1 / step if momentum is None else momentum
        count = x.size // c
        batch_mean = x.mean(axis=axes)
        batch_var = ((x - batch_mean.reshape(bshape)) ** 2).sum(axis=axes) / (count - 1)
        running_mean = (1 - m) * running_mean + m * batch_mean
        running_var = (1 - m) * running_var + m * batch_var
        np.testing.assert_allclose(layer.buffers["running_mean"], running_mean, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.buffers["running_var"], running_var, rtol=1e-12)
    assert int(layer.buffers["num_batches_tracked"]) == 4
    x = rng.standard_normal((1, *shape))
    expected = (x - running_mean.reshape(bshape)) / np.sqrt(running_var.reshape(bshape) + eps) * gamma.reshape(
        bshape
    ) + beta.reshape(bshape)
    np.testing.assert_allclose(from_engine(layer.forward(to_engine(x), train=False)), expected, rtol=1e-10)


@pytest.mark.parametrize(
    "kind,shape,n", [("2d", (3, 3, 4), 2), ("2d", (2, 1, 1), 4), ("2d", (2, 2, 2), 1), ("1d", (5,), 4), ("1d", (3,), 3)]
)
@pytest.mark.parametrize("train_mode", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_gradients(kind, shape, n, train_mode, affine):
    rng = np.random.default_rng(len(shape) * 7 + n)
    layer = (BatchNorm2D if kind == "2d" else BatchNorm1D)(momentum=0.1, affine=affine, name="bn1")
    layer.build(shape, rng, np.float64)
    if affine:
        layer.params["W"][...] = rng.uniform(0.5, 2, shape[0]) * rng.choice([-1, 1], shape[0])
        layer.params["b"][...] = rng.standard_normal(shape[0])
    layer.buffers["running_mean"][...] = rng.standard_normal(shape[0])
    layer.buffers["running_var"][...] = rng.uniform(0.5, 2, shape[0])
    x = rng.standard_normal((*shape, n) if kind == "2d" else (n, *shape)) * 2 + 1
    # (in training every forward of the check moves the running statistics, which the output does not
    # depend on; a batch of 2 vectors is left out: its outputs are +-1 whatever x, its dx only eps-sized)
    errors = check_layer(layer, x, train=train_mode)
    assert max(errors.values()) < TOL, errors
    assert set(errors) == ({"x", "W", "b"} if affine else {"x"})


def test_batchnorm_training_gradient_sums_to_zero_per_channel():
    # Through the batch mean, adding a constant to a channel changes nothing: dx sums to 0 per channel.
    rng = np.random.default_rng(3)
    layer = BatchNorm2D(name="bn1")
    layer.build((3, 4, 4), rng, np.float64)
    layer.forward(rng.standard_normal((3, 4, 4, 5)), train=True)
    dx = layer.backward(rng.standard_normal((3, 4, 4, 5)))
    np.testing.assert_allclose(dx.sum(axis=(1, 2, 3)), 0, atol=1e-10)


def test_a_training_batch_of_one_value_per_channel_is_refused_as_pytorch_does():
    bn1 = BatchNorm1D(name="bn1")
    bn1.build((4,), np.random.default_rng(0), np.float32)
    with pytest.raises(EngineError) as e:
        bn1.forward(np.ones((1, 4), np.float32), train=True)
    assert e.value.code == "batchnorm_single_value" and e.value.params["layer"] == "bn1"
    assert bn1.forward(np.ones((1, 4), np.float32), train=False).shape == (1, 4)  # evaluation: fine
    bn2 = BatchNorm2D(name="bn2")
    bn2.build((2, 1, 1), np.random.default_rng(0), np.float32)
    with pytest.raises(EngineError):
        bn2.forward(np.ones((2, 1, 1, 1), np.float32), train=True)
    bn3 = BatchNorm2D(name="bn3")  # one image of 2x2 maps: 4 values per channel, as PyTorch allows
    bn3.build((2, 2, 2), np.random.default_rng(0), np.float32)
    assert np.all(np.isfinite(bn3.forward(np.arange(8, dtype=np.float32).reshape(2, 2, 2, 1), train=True)))


@pytest.mark.parametrize(
    "layers,code",
    [
        ([{"type": "flatten"}, {"type": "batchnorm2d"}], "needs_image"),
        ([{"type": "batchnorm1d"}], "batchnorm1d_needs_vector"),
        ([{"type": "batchnorm2d", "momentum": 1.5}], "bad_momentum"),
        ([{"type": "batchnorm2d", "momentum": True}], "bad_momentum"),
        ([{"type": "batchnorm2d", "momentum": "0.1"}], "bad_momentum"),
        ([{"type": "batchnorm2d", "eps": 0}], "bad_eps"),
        ([{"type": "batchnorm2d", "eps": -1e-5}], "bad_eps"),
        ([{"type": "batchnorm2d", "affine": 1}], "bad_flag"),
        ([{"type": "batchnorm2d", "track_running_stats": False}], "unknown_setting"),
    ],
)
def test_bad_batchnorm_settings_are_refused(layers, code):
    with pytest.raises(EngineError) as e:
        Sequential.from_spec({"input": [2, 4, 4], "layers": layers})
    assert e.value.code == code


# ---- in a model: training, evaluation, saving ------------------------------------------------------

NET = {
    "input": [1, 28, 28],
    "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
        {"type": "batchnorm2d"},
        {"type": "relu"},
        {"type": "conv", "filters": 4, "kernel": 3, "padding": 1, "groups": 4},  # depthwise ...
        {"type": "conv", "filters": 8, "kernel": 1},  # ... then pointwise
        {"type": "batchnorm2d", "momentum": 0.2},
        {"type": "relu"},
        {"type": "maxpool", "size": 4},
        {"type": "flatten"},
        {"type": "dense", "units": 16},
        {"type": "batchnorm1d"},
        {"type": "relu"},
        {"type": "dense", "units": 10},
    ],
}


def small_mnist(train=96, test=40, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (train + test, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, train + test)
    return Mnist(images[:train], labels[:train], images[train:], labels[train:], source="random", name="random")


def test_model_names_parameters_and_buffers():
    model = Sequential.from_spec(NET)
    names = [layer.name for layer in model.layers]
    assert names[1] == "bn1" and names[5] == "bn2" and names[10] == "bn3"
    assert "bn1.W" in model.params and "bn1.b" in model.params
    assert not any("running" in k for k in model.params)
    assert set(model.buffers) == {
        f"bn{i}.{k}" for i in (1, 2, 3) for k in ("running_mean", "running_var", "num_batches_tracked")
    }
    # conv1 40, bn1 8, depthwise 4*9+4, pointwise 8*4+8, bn2 16, dense 8*7*7*16+16, bn3 32, dense 16*10+10
    assert model.num_params == 40 + 8 + 40 + 40 + 16 + (392 * 16 + 16) + 32 + 170
    assert model.single_value_layer().name == "bn3"


def test_train_save_load_predict_the_same(tmp_path):
    model = Sequential.from_spec(NET, seed=1)
    data = small_mnist()
    events = list(train(model, data, epochs=1, batch_size=32, optimizer="adam", lr=0.01, snapshot_every=0))
    assert events[-1]["type"] == "done" and events[-1]["reason"] == "finished"
    assert int(model.buffers["bn1.num_batches_tracked"]) == 3  # 96 images in batches of 32
    assert not np.allclose(model.buffers["bn3.running_var"], 1.0)
    *_, probs = evaluate(model, data.test_images, data.test_labels, batch_size=7)
    # evaluation is in evaluation mode: batches of 7 or one at a time give the same numbers
    _, _, _, one_by_one = evaluate(model, data.test_images, data.test_labels, batch_size=1)
    np.testing.assert_allclose(probs, one_by_one, rtol=1e-5, atol=1e-7)
    before = {k: v.copy() for k, v in model.buffers.items()}
    model.save(tmp_path / "bn.npz")
    for k, v in model.buffers.items():
        np.testing.assert_array_equal(v, before[k])  # evaluating and saving moved nothing
    loaded = Sequential.load(tmp_path / "bn.npz")
    for k, v in before.items():
        np.testing.assert_array_equal(loaded.buffers[k], v)
    np.testing.assert_array_equal(
        loaded.predict_proba(data.test_images[:, None] / 255.0), model.predict_proba(data.test_images[:, None] / 255.0)
    )
    with np.load(tmp_path / "bn.npz") as f:
        assert "bn2.running_var" in f.files and int(f["bn1.num_batches_tracked"]) == 3


def test_a_model_file_without_running_statistics_is_refused(tmp_path):
    model = Sequential.from_spec(NET)
    model.save(tmp_path / "bn.npz")
    with np.load(tmp_path / "bn.npz") as f:
        arrays = {k: f[k] for k in f.files if k != "bn2.running_mean"}
    np.savez(tmp_path / "cut.npz", **arrays)
    with pytest.raises(EngineError) as e:
        Sequential.load(tmp_path / "cut.npz")
    assert e.value.code == "bad_model_file" and e.value.params["param"] == "bn2.running_mean"


def test_the_optimizer_never_touches_the_running_statistics():
    model = Sequential.from_spec(NET, seed=2)
    data = small_mnist(train=4)
    x = data.train_images[:4, None] / 255.0
    model.forward(x.astype(np.float32), train=True)
    stats = {k: v.copy() for k, v in model.buffers.items()}
    model.backward(np.ones((4, 10), np.float32))
    make_optimizer("adam", 0.1).step(model.params, model.grads)
    for k, v in model.buffers.items():
        np.testing.assert_array_equal(v, stats[k])


def test_a_skipped_diverging_step_leaves_the_running_statistics_as_they_were():
    model = Sequential.from_spec(NET, seed=0)
    stats = {k: v.copy() for k, v in model.buffers.items()}
    x = np.full((4, 1, 28, 28), np.inf, np.float32)
    with np.errstate(all="ignore"):
        assert _step(model, SoftmaxCrossEntropy(), make_optimizer("sgd", 0.1), x, np.zeros(4, np.int64), 0.0) is None
    for k, v in model.buffers.items():
        np.testing.assert_array_equal(v, stats[k])


@pytest.mark.parametrize(
    "num_train,batch_size,code",
    [
        (96, 1, "batchnorm_batch_of_one"),
        (97, 32, "batchnorm_last_batch_of_one"),
        (20_000, 7, "batchnorm_last_batch_of_one"),
    ],
)
def test_a_run_with_a_training_batch_of_one_image_is_refused_before_it_starts(num_train, batch_size, code):
    model = Sequential.from_spec(NET)
    with pytest.raises(EngineError) as e:
        check_train_batches(model, num_train, batch_size)
    assert e.value.code == code and e.value.params["layer"] == "bn3"
    if num_train < 1000:
        with pytest.raises(EngineError):
            next(train(model, small_mnist(train=num_train), batch_size=batch_size))
    check_train_batches(model, 98, 32)  # a last batch of 2: fine
    maps_only = Sequential.from_spec(
        {
            "input": [1, 8, 8],
            "layers": [
                {"type": "conv", "filters": 2, "kernel": 3},
                {"type": "batchnorm2d"},
                {"type": "flatten"},
                {"type": "dense", "units": 10},
            ],
        }
    )
    check_train_batches(maps_only, 97, 32)  # 6x6 maps: 36 values per channel even for one image
    check_train_batches(maps_only, 96, 1)


def test_a_grouped_convolutions_cell_replays_from_its_groups_window():
    from engine.probe import cell_window

    model = Sequential.from_spec(
        {
            "input": [1, 12, 12],
            "layers": [
                {"type": "conv", "filters": 4, "kernel": 3},
                {"type": "batchnorm2d"},
                {"type": "conv", "filters": 6, "kernel": 3, "groups": 2, "padding": 1},
                {"type": "flatten"},
                {"type": "dense", "units": 10},
            ],
        },
        seed=3,
    )
    x = np.random.default_rng(0).standard_normal((1, 1, 12, 12)).astype(np.float32)
    for channel in (0, 2, 3, 5):
        w = cell_window(model, x, "conv2", channel, 4, 0)
        assert w.patch.shape == w.kernel.shape == (2, 3, 3)
        assert float(np.sum(w.patch * w.kernel) + w.bias) == pytest.approx(w.value, rel=1e-4, abs=1e-5)
