"""The fast im2col path equals the reference loops on random shapes, strides, paddings and
dilations; the traces' values equal the fast path's output."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import fast, reference
from engine.errors import EngineError
from engine.layers import AvgPool2D, Conv2D, MaxPool2D
from engine.shapes import length


@st.composite
def conv_cases(draw):
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    # any input the dilated kernel fits: the stride need not divide the room left (the output rounds down)
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 9))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 9))
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
    np.testing.assert_allclose(
        layer.forward(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2), expected, rtol=1e-12, atol=1e-12
    )
    # every trace step's value is the fast path's output cell
    _, steps = reference.conv2d_trace(x[0], w, b, case["s"], case["p"], case["d"])
    np.testing.assert_allclose([s["value"] for s in steps], got[0].ravel(), rtol=1e-12, atol=1e-12)


@st.composite
def pool_cases(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    ceil_mode = draw(st.booleans())
    # any input size: with ceil_mode a window may even be larger than the padded input
    h = draw(st.integers(1 if ceil_mode else max(1, kh - 2 * ph), 8))
    w = draw(st.integers(1 if ceil_mode else max(1, kw - 2 * pw), 8))
    return dict(
        k=(kh, kw),
        s=(sh, sw),
        p=(ph, pw),
        hw=(h, w),
        c=draw(st.integers(1, 3)),
        mode=draw(st.sampled_from(["max", "avg"])),
        seed=draw(st.integers(0, 2**32 - 1)),
        ties=draw(st.booleans()),
        ceil_mode=ceil_mode,
        count_include_pad=draw(st.booleans()),
    )


@settings(max_examples=100, deadline=None)
@given(pool_cases())
def test_pool_fast_equals_reference(case):
    rng = np.random.default_rng(case["seed"])
    shape = (2, case["c"], *case["hw"])
    x = rng.integers(-2, 3, shape).astype(float) if case["ties"] else rng.standard_normal(shape)
    options = {"ceil_mode": case["ceil_mode"], "count_include_pad": case["count_include_pad"]}
    try:
        expected = reference.pool2d_reference(x, case["k"], case["s"], case["p"], case["mode"], **options)
    except EngineError as e:  # only when not one window fits, as PyTorch ("Output size is too small")
        assert e.code == "window_too_big"
        assert any(
            length(n, k, p, s, 1, case["ceil_mode"]) < 1
            for n, k, p, s in zip(case["hw"], case["k"], case["p"], case["s"])
        )
        return
    np.testing.assert_allclose(
        fast.pool2d(x, case["k"], case["s"], case["p"], case["mode"], **options), expected, rtol=1e-12
    )
    layer = (
        MaxPool2D(case["k"], case["s"], case["p"], case["ceil_mode"], name="pool1")
        if case["mode"] == "max"
        else AvgPool2D(case["k"], case["s"], case["p"], **options, name="pool1")
    )
    layer.build(x.shape[1:], rng, np.float64)
    got = layer.forward(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    _, steps = reference.pool2d_trace(x[0], case["k"], case["s"], case["p"], case["mode"], **options)
    np.testing.assert_allclose([s["value"] for s in steps], expected[0].ravel(), rtol=1e-12)
    # the output size is PyTorch's: floor, or ceil with the last window starting inside the input or
    # its left padding (written out here, not taken from engine.shapes)
    for axis, (n, k, p, s) in enumerate(zip(case["hw"], case["k"], case["p"], case["s"])):
        room = n + 2 * p - k
        size = (-(-room // s) if case["ceil_mode"] else room // s) + 1
        if case["ceil_mode"] and (size - 1) * s >= n + p:
            size -= 1
        assert expected.shape[2 + axis] == size
    # the backward pass is the adjoint of the forward pass: <dy, f(x)> = <f^T(dy), x> for the linear
    # average; the max routes each gradient to one input cell of its window
    dy = rng.standard_normal(got.shape)
    dx = layer.backward(dy.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    assert dx.shape == x.shape
    if case["mode"] == "avg":
        np.testing.assert_allclose(np.sum(dy * got), np.sum(dx * x), rtol=1e-9, atol=1e-9)
    else:
        np.testing.assert_allclose(dx.sum(), dy.sum(), rtol=1e-9, atol=1e-9)


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
    for call, code in (
        (lambda: fast.conv2d(x, np.zeros((1, 1, 3, 3))), "kernel_too_big"),
        (lambda: fast.pool2d(np.zeros((1, 1, 1, 5)), 2, 2), "window_too_big"),
    ):
        try:
            call()
        except EngineError as e:
            assert e.code == code and "=" in str(e)
        else:
            raise AssertionError("an impossible configuration was not reported")


def test_a_stride_that_leaves_a_remainder_rounds_down_on_the_fast_path():
    """5x5, 2x2 window, stride 2: PyTorch gives 2x2 and never reads the last row and column."""
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    x[0, 0, 4, :] = x[0, 0, :, 4] = 100  # the cells no window reads: if read, a maximum would be 100
    assert fast.pool2d(x, 2, 2)[0, 0].tolist() == [[6, 8], [16, 18]]
