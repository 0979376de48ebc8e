"""The fast im2col path equals the reference loops on random shapes, strides, paddings and
dilations; the traces' values equal the fast path's output."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import fast, reference
from engine.errors import EngineError
from engine.layers import AvgPool2D, Conv2D, MaxPool2D


@st.composite
def conv_cases(draw):
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    oh, ow = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    # choose the input size so that the configuration fits exactly
    h = (oh - 1) * sh + dh * (kh - 1) + 1 - 2 * ph
    w = (ow - 1) * sw + dw * (kw - 1) + 1 - 2 * pw
    if h < 1 or w < 1:
        h, w = h + 2 * ph, w + 2 * pw
        ph = pw = 0
    seed = draw(st.integers(0, 2**32 - 1))
    return dict(n=n, c=c, f=f, k=(kh, kw), s=(sh, sw), p=(ph, pw), d=(dh, dw), hw=(h, w), seed=seed)


@settings(max_examples=60, deadline=None)
@given(conv_cases())
def test_conv_fast_equals_reference(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["n"], case["c"], *case["hw"]))
    w = rng.standard_normal((case["f"], case["c"], *case["k"]))
    b = rng.standard_normal(case["f"])
    expected = reference.conv2d_reference(x, w, b, case["s"], case["p"], case["d"])
    got = fast.conv2d(x, w, b, case["s"], case["p"], case["d"])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    layer = Conv2D(case["f"], case["k"], case["s"], case["p"], case["d"], name="conv1")
    layer.build(x.shape[1:], rng, np.float64)
    layer.params["W"][...] = w
    layer.params["b"][...] = b
    np.testing.assert_allclose(layer.forward(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2), expected,
                               rtol=1e-12, atol=1e-12)
    # every trace step's value is the fast path's output cell
    _, steps = reference.conv2d_trace(x[0], w, b, case["s"], case["p"], case["d"])
    np.testing.assert_allclose([s["value"] for s in steps], got[0].ravel(), rtol=1e-12, atol=1e-12)


@st.composite
def pool_cases(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    oh, ow = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    h, w = (oh - 1) * sh + kh - 2 * ph, (ow - 1) * sw + kw - 2 * pw
    if h < 1 or w < 1:
        h, w, ph, pw = h + 2 * ph, w + 2 * pw, 0, 0
    return dict(k=(kh, kw), s=(sh, sw), p=(ph, pw), hw=(h, w), c=draw(st.integers(1, 3)),
                mode=draw(st.sampled_from(["max", "avg"])), seed=draw(st.integers(0, 2**32 - 1)),
                ties=draw(st.booleans()))


@settings(max_examples=60, deadline=None)
@given(pool_cases())
def test_pool_fast_equals_reference(case):
    rng = np.random.default_rng(case["seed"])
    shape = (2, case["c"], *case["hw"])
    x = rng.integers(-2, 3, shape).astype(float) if case["ties"] else rng.standard_normal(shape)
    expected = reference.pool2d_reference(x, case["k"], case["s"], case["p"], case["mode"])
    np.testing.assert_allclose(fast.pool2d(x, case["k"], case["s"], case["p"], case["mode"]), expected, rtol=1e-12)
    layer = (MaxPool2D if case["mode"] == "max" else AvgPool2D)(case["k"], case["s"], case["p"], name="pool1")
    layer.build(x.shape[1:], rng, np.float64)
    got = layer.forward(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    _, steps = reference.pool2d_trace(x[0], case["k"], case["s"], case["p"], case["mode"])
    np.testing.assert_allclose([s["value"] for s in steps], expected[0].ravel(), rtol=1e-12)


def test_max_pool_gradient_goes_to_the_first_maximum_only():
    """Flat regions (MNIST's background) tie; the gradient goes to one cell, the first in window order."""
    x = np.zeros((1, 1, 2, 4))
    x[0, 0, 1, 3] = 5.0
    layer = MaxPool2D(2, name="pool1")
    layer.build((1, 2, 4), np.random.default_rng(0), np.float64)
    layer.forward(x.transpose(1, 2, 3, 0))
    dx = layer.backward(np.ones((1, 1, 2, 1)))
    assert dx[0, :, :, 0].tolist() == [[1, 0, 0, 0], [0, 0, 0, 1]]


def test_fast_path_reports_impossible_configurations():
    x = np.zeros((1, 1, 2, 2))
    for call in (lambda: fast.conv2d(x, np.zeros((1, 1, 3, 3))),
                 lambda: fast.pool2d(np.zeros((1, 1, 5, 5)), 2, 2)):
        try:
            call()
        except EngineError as e:
            assert e.code in ("kernel_too_big", "stride_does_not_fit") and "=" in str(e)
        else:
            raise AssertionError("an impossible configuration was not reported")
