"""Transposed convolution: hand-computed golden cases, the output sizes of Dumoulin & Visin's
figures, the fast path against the reference loops (property tests), the adjoint identity with
convolution (an independent check), finite-difference gradients, refusals, a network that trains,
saves and loads, and the memory estimate against tracemalloc."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import data as mnist
from engine import reference
from engine.errors import EngineError
from engine.gradcheck import check_layer
from engine.memory import estimate
from engine.model import Sequential
from engine.train import train
from engine.transposed import (
    ConvTranspose2D,
    conv_transpose2d,
    conv_transpose2d_reference,
    conv_transpose2d_trace,
    output_shape,
)

A = [[1.0, 2.0], [3.0, 4.0]]
K = [[1.0, 2.0], [3.0, 4.0]]


def _one(x, k, **kw):
    """A 2-D input and kernel through the reference loops (one channel in, one out)."""
    out, _, _ = conv_transpose2d_trace(np.array([x]), np.array([[k]]), **kw)
    return out[0]


# -- golden cases, computed by hand --------------------------------------------------------------


def test_stride_1_overlapping_copies_add_up():
    # each cell adds its value into a 2x2 block of ones; the centre gets all four
    assert _one(A, [[1, 1], [1, 1]]).tolist() == [[1, 3, 2], [4, 10, 6], [3, 7, 4]]


def test_the_trace_says_where_copies_overlap():
    _, steps, _ = conv_transpose2d_trace(np.array([A]), np.ones((1, 1, 2, 2)))
    # copies at (0,0), (0,1), (1,0), (1,1): each later one lands partly on the earlier ones
    assert [sum(s["overlaps"]) for s in steps] == [0, 2, 2, 3]
    assert steps[1]["cells"] == [[0, 0, 1], [0, 0, 2], [0, 1, 1], [0, 1, 2]]
    assert steps[1]["overlaps"] == [True, False, True, False]
    _, steps, _ = conv_transpose2d_trace(np.array([A]), np.ones((1, 1, 2, 2)), stride=2)
    assert not any(any(s["overlaps"]) for s in steps)


def test_stride_2_copies_tile_without_overlap():
    # each cell's copy is value * K, placed at (2i, 2j)
    assert _one(A, K, stride=2).tolist() == [[1, 2, 2, 4], [3, 4, 6, 8], [3, 6, 4, 8], [9, 12, 12, 16]]


def test_padding_crops_the_border_of_the_scatter():
    assert _one(A, [[1, 1], [1, 1]], padding=1).tolist() == [[10]]
    assert _one(A, K, stride=2, padding=1).tolist() == [[4, 6], [6, 4]]


def test_output_padding_adds_a_row_and_column_at_the_bottom_right():
    out = _one(A, K, stride=2, output_padding=1)
    assert out.shape == (5, 5)
    assert out[:4, :4].tolist() == [[1, 2, 2, 4], [3, 4, 6, 8], [3, 6, 4, 8], [9, 12, 12, 16]]
    assert not out[4].any() and not out[:, 4].any()
    # with padding 1: (2-1)*2 - 2 + 1 + 1 + 1 = 3 rows, rows 1..3 of the 4x4 scatter (the crop at the
    # bottom is one row smaller: output_padding gives back the row the padding took there)
    assert _one(A, K, stride=2, padding=1, output_padding=1).tolist() == [[4, 6, 8], [6, 4, 8], [12, 12, 16]]


def test_dilation_spreads_the_copy():
    assert _one([[2.0]], K, dilation=2).tolist() == [[2, 0, 4], [0, 0, 0], [6, 0, 8]]


def test_bias_and_several_channels():
    # two input channels, two filters: out[f] = sum_c x[c] * W[c, f] (1x1 kernel), plus b[f]
    x = np.array([[[1.0]], [[2.0]]])
    w = np.array([[[[1.0]], [[10.0]]], [[[100.0]], [[1000.0]]]])  # (C=2, F=2, 1, 1)
    out, _, _ = conv_transpose2d_trace(x, w, bias=[0.5, -0.5])
    assert out[:, 0, 0].tolist() == [1 + 200 + 0.5, 10 + 2000 - 0.5]


# -- shapes: PyTorch's formula and Dumoulin & Visin (2016), figures 4.1 to 4.7 -------------------


@pytest.mark.parametrize(
    "size,kernel,stride,padding,output_padding,expected",
    [
        (2, 3, 1, 0, 0, 4),  # fig. 4.1: no padding, unit strides
        (6, 4, 1, 2, 0, 5),  # fig. 4.2: arbitrary padding
        (5, 3, 1, 1, 0, 5),  # fig. 4.3: half (same) padding
        (7, 3, 1, 2, 0, 5),  # fig. 4.4: full padding
        (2, 3, 2, 0, 0, 5),  # fig. 4.5: no padding, strides
        (3, 3, 2, 1, 0, 5),  # fig. 4.6: padding, strides
        (3, 3, 2, 1, 1, 6),  # fig. 4.7: padding, strides, odd (output_padding)
        (3, 3, 2, 0, 0, 7),
        (7, 4, 2, 1, 0, 14),  # DCGAN's up-sampling step: 4x4 kernel, stride 2, padding 1 doubles the size
    ],
)
def test_output_sizes(size, kernel, stride, padding, output_padding, expected):
    assert output_shape(size, size, kernel, kernel, stride, padding, output_padding) == (expected, expected)
    out, _, _ = conv_transpose2d_trace(
        np.ones((1, size, size)), np.ones((1, 1, kernel, kernel)), 0, stride, padding, output_padding
    )
    assert out.shape == (1, expected, expected)


def test_it_undoes_the_shape_of_the_convolution_it_transposes():
    """A convolution i -> o and the transposed convolution with the same settings o -> i (output_padding
    gives back the row the floor dropped): Dumoulin & Visin's relationship 14."""
    for i in range(3, 12):
        for k, s, p in ((3, 1, 0), (3, 2, 1), (4, 2, 1), (5, 3, 2)):
            o = (i + 2 * p - k) // s + 1
            if o < 1:
                continue
            op = (i + 2 * p - k) % s
            assert output_shape(o, o, k, k, s, p, op) == (i, i)


# -- the fast path against the loops -------------------------------------------------------------


@st.composite
def cases(draw):
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    oph, opw = draw(st.integers(0, max(sh, dh) - 1)), draw(st.integers(0, max(sw, dw) - 1))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    # any padding that leaves at least one row and column
    ph = draw(st.integers(0, max(0, ((h - 1) * sh + dh * (kh - 1) + oph) // 2)))
    pw = draw(st.integers(0, max(0, ((w - 1) * sw + dw * (kw - 1) + opw) // 2)))
    return dict(
        n=n,
        c=c,
        f=f,
        k=(kh, kw),
        s=(sh, sw),
        p=(ph, pw),
        op=(oph, opw),
        d=(dh, dw),
        hw=(h, w),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def _arrays(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["n"], case["c"], *case["hw"]))
    w = rng.standard_normal((case["c"], case["f"], *case["k"]))
    return rng, x, w, rng.standard_normal(case["f"])


@settings(max_examples=80, deadline=None)
@given(cases())
def test_fast_equals_reference(case):
    rng, x, w, b = _arrays(case)
    args = dict(stride=case["s"], padding=case["p"], output_padding=case["op"], dilation=case["d"])
    expected = conv_transpose2d_reference(x, w, b, **args)
    assert expected.shape[2:] == output_shape(*case["hw"], *case["k"], **args)
    np.testing.assert_allclose(conv_transpose2d(x, w, b, **args), expected, rtol=1e-12, atol=1e-12)
    layer = ConvTranspose2D(case["f"], case["k"], **args, name="conv_transpose1")
    assert layer.build(x.shape[1:], rng, np.float64) == expected.shape[1:]
    layer.params["W"][...] = w
    layer.params["b"][...] = b
    got = layer.forward(np.ascontiguousarray(x.transpose(1, 2, 3, 0))).transpose(3, 0, 1, 2)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    # the trace: its last partial scatter, cropped and biased, is the output
    _, steps, full = conv_transpose2d_trace(x[0], w, b, **args)
    assert len(steps) == case["c"] * case["hw"][0] * case["hw"][1]
    np.testing.assert_array_equal(steps[-1]["partial"], full)
    (ph, pw), (oh, ow) = case["p"], expected.shape[2:]
    np.testing.assert_allclose(
        full[:, ph : ph + oh, pw : pw + ow] + b[:, None, None], expected[0], rtol=1e-12, atol=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(cases())
def test_transposed_convolution_is_the_adjoint_of_convolution(case):
    """<conv(z; W), x> = <z, conv_transpose(x; W)> with the same kernel, W (C, F, kh, kw) read by the
    convolution as F input channels -> C filters. The convolution here is the reference loops of the
    convolution lab, an independent implementation."""
    # (an output_padding of at least the stride, allowed with a larger dilation, changes conv's output size)
    assume(case["op"][0] < case["s"][0] and case["op"][1] < case["s"][1])
    rng, x, w, _ = _arrays(case)
    args = dict(stride=case["s"], padding=case["p"], dilation=case["d"])
    y = conv_transpose2d(x, w, None, output_padding=case["op"], **args)
    z = rng.standard_normal(y.shape)
    cz = reference.conv2d_reference(z, w, 0.0, **args)
    assert cz.shape == x.shape
    assert np.isclose(np.sum(cz * x), np.sum(z * y), rtol=1e-10, atol=1e-10)


def test_its_input_gradient_is_a_convolution():
    """backward's dx is the convolution of the incoming gradient with the same kernel."""
    rng = np.random.default_rng(3)
    layer = ConvTranspose2D(3, 3, stride=2, padding=1, output_padding=1, name="ct")
    layer.build((2, 4, 5), rng, np.float64)
    x = rng.standard_normal((2, 4, 5, 2))
    out = layer.forward(x)
    g = rng.standard_normal(out.shape)
    dx = layer.backward(g).transpose(3, 0, 1, 2)
    expected = reference.conv2d_reference(g.transpose(3, 0, 1, 2), layer.params["W"], 0.0, stride=2, padding=1)
    np.testing.assert_allclose(dx, expected, rtol=1e-12, atol=1e-12)


def test_a_convolutions_input_gradient_is_the_transposed_convolution():
    """Conv2D.backward's dx (im2col's adjoint, col2im) equals conv_transpose2d of the output gradient with
    the same weights, output_padding giving back the row the stride's floor dropped (6 -> 3 -> 6)."""
    rng = np.random.default_rng(4)
    from engine.layers import Conv2D

    conv = Conv2D(3, 3, stride=2, padding=1, name="conv1")
    conv.build((2, 6, 6), rng, np.float64)
    x = rng.standard_normal((2, 6, 6, 2))
    g = rng.standard_normal(conv.forward(x).shape)  # (3, 3, 3, 2)
    dx = conv.backward(g).transpose(3, 0, 1, 2)
    expected = conv_transpose2d(g.transpose(3, 0, 1, 2), conv.params["W"], None, stride=2, padding=1, output_padding=1)
    np.testing.assert_allclose(dx, expected, rtol=1e-12, atol=1e-12)


# -- gradients -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,hw",
    [
        (dict(filters=3, kernel=3), (4, 4)),
        (dict(filters=2, kernel=(3, 2), stride=(2, 1), padding=1), (4, 5)),
        (dict(filters=2, kernel=3, stride=2, padding=1, output_padding=1), (3, 4)),
        (dict(filters=2, kernel=2, stride=1, padding=(1, 0), output_padding=(1, 0), dilation=2), (4, 3)),
        (dict(filters=2, kernel=3, stride=(2, 3), bias=False), (3, 3)),
    ],
)
def test_gradients(kwargs, hw):
    layer = ConvTranspose2D(**kwargs, name="conv_transpose1")
    layer.build((2, *hw), np.random.default_rng(0), np.float64)
    for v in layer.params.values():
        v += np.random.default_rng(1).standard_normal(v.shape) * 0.1
    x = np.random.default_rng(2).standard_normal((2, *hw, 3))  # (C, H, W, N)
    errors = check_layer(layer, x, eps=1e-4)  # linear: a larger step has no truncation error
    assert set(errors) == {"x", *layer.params}
    assert max(errors.values()) < 1e-6, errors


# -- refusals ------------------------------------------------------------------------------------


def test_output_padding_must_be_smaller_than_stride_or_dilation():
    with pytest.raises(EngineError) as e:
        output_shape(3, 3, 3, 3, stride=2, output_padding=2)
    assert e.value.code == "bad_output_padding"
    assert e.value.params == {"output_padding": 2, "stride": 2, "dilation": 1}
    assert "smaller than the stride or the dilation" in str(e.value)
    assert output_shape(3, 3, 3, 3, stride=1, output_padding=1, dilation=2) == (8, 8)  # allowed: OP < D
    with pytest.raises(EngineError, match="output_padding"):
        output_shape(3, 3, 3, 3, output_padding=-1)


def test_padding_that_crops_everything_is_refused_with_the_arithmetic():
    with pytest.raises(EngineError) as e:
        output_shape(2, 2, 2, 2, padding=2)
    assert e.value.code == "transposed_output_too_small"
    assert "OH = (2 \u2212 1)\u00b71 \u2212 2\u00b72 + 1\u00b7(2 \u2212 1) + 0 + 1 = \u22121" in str(e.value)


@pytest.mark.parametrize(
    "entry,code",
    [
        ({"type": "conv_transpose", "filters": 2, "kernel": 3, "stride": 2, "output_padding": 2}, "bad_output_padding"),
        ({"type": "conv_transpose", "filters": 0, "kernel": 3}, "bad_setting"),
        ({"type": "conv_transpose", "filters": 2, "kernel": 3, "bias": 1}, "bad_flag"),
        ({"type": "conv_transpose", "kernel": 3}, "missing_setting"),
        ({"type": "conv_transpose", "filters": 2, "groups": 2}, "unknown_setting"),
        ({"type": "conv_transpose", "filters": 2, "kernel": 3, "stride": 0}, "bad_stride"),
    ],
)
def test_bad_layers_are_refused(entry, code):
    with pytest.raises(EngineError) as e:
        Sequential.from_spec({"input": [1, 6, 6], "layers": [entry, {"type": "flatten"}]})
    assert e.value.code == code


def test_bad_layer_message_names_the_layer():
    with pytest.raises(EngineError, match="^conv_transpose1: output_padding"):
        Sequential.from_spec(
            {
                "input": [1, 6, 6],
                "layers": [{"type": "conv_transpose", "filters": 2, "kernel": 3, "stride": 2, "output_padding": 3}],
            }
        )


# -- a network with it ---------------------------------------------------------------------------

SPEC = {
    "input": [1, 28, 28],
    "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "stride": 2},  # 28 -> 13
        {"type": "relu"},
        {"type": "conv_transpose", "filters": 2, "kernel": 3, "stride": 2, "output_padding": 1},  # 13 -> 28
        {"type": "relu"},
        {"type": "maxpool", "size": 4},
        {"type": "flatten"},
        {"type": "dense", "units": 10},
    ],
}


def test_a_network_with_it_builds_names_counts_trains_saves_and_loads(tmp_path):
    model = Sequential.from_spec(SPEC, seed=0)
    assert model.shapes[2] == (2, 28, 28)
    layer = model.layer("conv_transpose1")
    assert layer.params["W"].shape == (4, 2, 3, 3) and layer.params["b"].shape == (2,)
    assert model.summary()[2]["params"] == 4 * 2 * 9 + 2
    # PyTorch's initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = F*kh*kw = 18
    assert np.abs(layer.params["W"]).max() <= 1 / np.sqrt(18)
    sample = mnist.load("sample")
    data = mnist.Mnist(
        sample.train_images[:256],
        sample.train_labels[:256],
        sample.test_images[:64],
        sample.test_labels[:64],
        source="test slice",
        name="sample",
    )
    losses = [
        e["loss"]
        for e in train(
            model, data, epochs=4, batch_size=32, optimizer="adam", lr=0.01, progress_every=1, snapshot_every=0
        )
        if e["type"] == "progress"
    ]
    assert np.mean(losses[-8:]) < np.mean(losses[:8]) - 0.2, losses
    path = model.save(tmp_path / "ct.npz")
    loaded = Sequential.load(path)
    assert loaded.spec == model.spec
    assert loaded.spec["layers"][2] == {
        "type": "conv_transpose",
        "name": "conv_transpose1",
        "filters": 2,
        "kernel": 3,
        "stride": 2,
        "padding": 0,
        "output_padding": 1,
        "dilation": 1,
        "bias": True,
        "init": "lecun",
    }
    images = sample.test_images[:5, None].astype(np.float32) / 255
    np.testing.assert_array_equal(loaded.forward(images), model.forward(images))


def test_memory_estimate_is_close_above_the_measured_peak():
    sample = mnist.load("sample")
    n = 32
    data = mnist.Mnist(
        sample.train_images[: 3 * n],
        sample.train_labels[: 3 * n],
        sample.test_images[:n],
        sample.test_labels[:n],
        source="test slice",
        name="sample",
    )
    Sequential.from_spec(SPEC)  # (first-use allocations out of the measurement)
    tracemalloc.start()
    try:
        model = Sequential.from_spec(SPEC, seed=0)
        events = train(model, data, epochs=1, batch_size=n, optimizer="momentum", progress_every=1, snapshot_every=0)
        for event in events:
            if event["type"] == "progress" and event["step"] == 2:
                break
        _, measured = tracemalloc.get_traced_memory()
        events.close()
    finally:
        tracemalloc.stop()
    estimated = estimate(model, n, "momentum").train_bytes
    assert measured <= estimated <= 1.5 * measured, (measured, estimated)
