"""Padding per side, the names "valid" and "same", and the padding modes zeros, reflect, replicate
and circular (PyTorch's Conv2d ``padding`` and ``padding_mode``).

Golden values are worked out by hand in the comments (not by running the code); the fast path and
the layer are checked against the reference loops on random cases, and every mode's gradient
against finite differences.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import fast, reference
from engine.errors import EngineError
from engine.gradcheck import check_layer
from engine.layers import Conv2D
from engine.model import Sequential
from engine.shapes import (
    PADDING_MODES,
    check_padding_mode,
    conv_output_shape,
    formula,
    length,
    padding_by_side,
    resolve_padding,
)

X3 = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]


def identity_padded(x, padding, mode):
    """The padded input itself: a 1x1 kernel of weight 1 copies every cell of the padded grid it
    sees, so a 1x1 convolution of the padding shows the padding."""
    x = np.asarray(x, float)[None]
    return reference.conv2d_trace(x, [[[[1.0]]]], 0.0, 1, padding, 1, padding_mode=mode)[0][0]


# ---- names and sides ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "padding,kernel,dilation,sides",
    [
        (0, 3, 1, (0, 0, 0, 0)),
        (2, 3, 1, (2, 2, 2, 2)),
        ([1, 2], 3, 1, (1, 1, 2, 2)),
        ({"top": 1, "bottom": 0, "left": 3, "right": 2}, 3, 1, (1, 0, 3, 2)),
        ("valid", 5, 1, (0, 0, 0, 0)),
        ("same", 3, 1, (1, 1, 1, 1)),  # total 2: one on each side
        ("same", 2, 1, (0, 1, 0, 1)),  # total 1: the extra row at the bottom, column at the right
        ("same", 4, 1, (1, 2, 1, 2)),  # total 3: top 1, bottom 2
        ("same", (2, 5), 1, (0, 1, 2, 2)),
        ("same", 2, 3, (1, 2, 1, 2)),  # dilated span 4: total D(K-1) = 3
        ("same", 3, 2, (2, 2, 2, 2)),  # total 4
    ],
)
def test_resolve_padding(padding, kernel, dilation, sides):
    assert resolve_padding(padding, kernel, 1, dilation) == sides


@pytest.mark.parametrize("h,w,k,d", [(5, 5, 2, 1), (6, 4, 4, 1), (7, 3, 3, 2), (4, 9, 2, 3), (1, 1, 1, 1)])
def test_same_keeps_the_size(h, w, k, d):
    assert conv_output_shape(h, w, k, k, "same", 1, d) == (h, w)


def test_valid_is_no_padding():
    assert conv_output_shape(5, 6, 3, 2, "valid") == (3, 5) == conv_output_shape(5, 6, 3, 2, 0)


def test_per_side_output_size():
    # H: 5 + 0 + 2 - 3 = 4 -> 4 // 1 + 1 = 5; W: 6 + 3 + 1 - 3 = 7 -> 7 // 2 + 1 = 4
    assert conv_output_shape(5, 6, 3, 3, {"top": 0, "bottom": 2, "left": 3, "right": 1}, (1, 2)) == (5, 4)
    assert length(5, 3, (0, 2)) == 5


def test_formula_shows_each_side():
    # 5 + 0 + 1 - 1*(2 - 1) - 1 = 4; / 1 -> 4; + 1 = 5
    assert (
        formula(5, 2, (0, 1), 1, 1, "H")
        == "OH = \u230a(5 + 0 + 1 \u2212 1\u00b7(2 \u2212 1) \u2212 1) / 1\u230b + 1 = \u230a4\u230b + 1 = 5"
    )
    assert formula(5, 3, (1, 1), 1, 1, "W").startswith("OW = \u230a(5 + 2\u00b71 ")  # equal sides: 2·P as before


def test_padding_by_side_round_trips():
    assert resolve_padding(padding_by_side((1, 2, 3, 4))) == (1, 2, 3, 4)


@pytest.mark.parametrize(
    "padding,stride,code,params",
    [
        (-1, 1, "bad_padding", {"padding": -1}),
        ({"top": 0, "bottom": -2, "left": 0, "right": 0}, 1, "bad_padding_side", {"side": "bottom", "value": -2}),
        ({"top": 1, "left": 1}, 1, "padding_side_missing", {"names": ["bottom", "right"]}),
        ({"top": 1, "bottom": 1, "left": 1, "right": 1, "up": 1}, 1, "padding_side_unknown", {"names": ["up"]}),
        ({"top": 1.5, "bottom": 1, "left": 1, "right": 1}, 1, "not_integer", {"what": "padding top"}),
        ("full", 1, "bad_padding_name", {"value": "full"}),
        ("same", 2, "same_padding_stride", {"stride": [2, 2]}),
        ("same", (1, 3), "same_padding_stride", {"stride": [1, 3]}),
    ],
)
def test_bad_padding_is_refused_with_the_field_named(padding, stride, code, params):
    with pytest.raises(EngineError) as e:
        conv_output_shape(6, 6, 3, 3, padding, stride)
    assert e.value.code == code
    assert params.items() <= e.value.params.items()


@pytest.mark.parametrize(
    "mode,sides,h,w,code,side",
    [
        ("reflect", (3, 0, 0, 0), 3, 5, "reflect_padding_too_big", "top"),  # reflect: each side < size
        ("reflect", (0, 0, 0, 5), 3, 5, "reflect_padding_too_big", "right"),
        ("circular", (0, 4, 0, 0), 3, 5, "circular_padding_too_big", "bottom"),  # circular: each side <= size
        ("circular", (0, 0, 6, 0), 3, 5, "circular_padding_too_big", "left"),
    ],
)
def test_mode_limits_are_pytorchs(mode, sides, h, w, code, side):
    with pytest.raises(EngineError) as e:
        check_padding_mode(mode, sides, h, w)
    assert e.value.code == code and e.value.params["side"] == side
    # one less is allowed
    smaller = tuple(max(v - 1, 0) for v in sides)
    assert check_padding_mode(mode, smaller, h, w) == mode


def test_limits_at_the_edge():
    assert check_padding_mode("reflect", (2, 2, 4, 4), 3, 5) == "reflect"
    assert check_padding_mode("circular", (3, 3, 5, 5), 3, 5) == "circular"
    assert check_padding_mode("replicate", (9, 9, 9, 9), 1, 1) == "replicate"


@pytest.mark.parametrize("mode", ["Reflect", "zero", "", None, 0, "same"])
def test_unknown_mode_is_refused(mode):
    with pytest.raises(EngineError) as e:
        check_padding_mode(mode, (0, 0, 0, 0), 3, 3)
    assert e.value.code == "bad_padding_mode"
    with pytest.raises(EngineError):
        Conv2D(2, 3, padding_mode=mode)


# ---- golden values, by hand ---------------------------------------------------------------------------


def test_padded_grids_of_each_mode():
    x = [[1, 2, 3], [4, 5, 6]]
    # zeros
    np.testing.assert_array_equal(
        identity_padded(x, 1, "zeros"), [[0, 0, 0, 0, 0], [0, 1, 2, 3, 0], [0, 4, 5, 6, 0], [0, 0, 0, 0, 0]]
    )
    # reflect: mirrored at the edge, the edge not repeated (row -1 is row 1, column -1 is column 1)
    np.testing.assert_array_equal(
        identity_padded(x, 1, "reflect"), [[5, 4, 5, 6, 5], [2, 1, 2, 3, 2], [5, 4, 5, 6, 5], [2, 1, 2, 3, 2]]
    )
    # replicate: the edge repeated
    np.testing.assert_array_equal(
        identity_padded(x, 1, "replicate"), [[1, 1, 2, 3, 3], [1, 1, 2, 3, 3], [4, 4, 5, 6, 6], [4, 4, 5, 6, 6]]
    )
    # circular: wrapped around (row -1 is the last row, column -1 the last column)
    np.testing.assert_array_equal(
        identity_padded(x, 1, "circular"), [[6, 4, 5, 6, 4], [3, 1, 2, 3, 1], [6, 4, 5, 6, 4], [3, 1, 2, 3, 1]]
    )


def test_one_row_padded_by_two_per_mode():
    # [1 2 3] padded by 2 on the left and right: PyTorch's own examples of the modes
    pad = {"top": 0, "bottom": 0, "left": 2, "right": 2}
    row = [[1, 2, 3]]
    assert identity_padded(row, pad, "reflect").tolist() == [[3, 2, 1, 2, 3, 2, 1]]
    assert identity_padded(row, pad, "replicate").tolist() == [[1, 1, 1, 2, 3, 3, 3]]
    assert identity_padded(row, pad, "circular").tolist() == [[2, 3, 1, 2, 3, 1, 2]]
    assert identity_padded(row, pad, "zeros").tolist() == [[0, 0, 1, 2, 3, 0, 0]]


# A 2x2 kernel of ones over X3 with padding "same": top 0, bottom 1, left 0, right 1. Each output
# cell is the sum of the 2x2 block of the padded grid whose top-left corner it is.
SAME_2X2 = {
    # padded: [1 2 3 0 / 4 5 6 0 / 7 8 9 0 / 0 0 0 0]
    "zeros": [[12, 16, 9], [24, 28, 15], [15, 17, 9]],
    # padded: [1 2 3 2 / 4 5 6 5 / 7 8 9 8 / 4 5 6 5] (row 3 reflects row 1, column 3 column 1)
    "reflect": [[12, 16, 16], [24, 28, 28], [24, 28, 28]],
    # padded: [1 2 3 3 / 4 5 6 6 / 7 8 9 9 / 7 8 9 9]
    "replicate": [[12, 16, 18], [24, 28, 30], [30, 34, 36]],
    # padded: [1 2 3 1 / 4 5 6 4 / 7 8 9 7 / 1 2 3 1]
    "circular": [[12, 16, 14], [24, 28, 26], [18, 22, 20]],
}


@pytest.mark.parametrize("mode", PADDING_MODES)
def test_same_with_an_even_kernel_by_hand(mode):
    ones = np.ones((1, 1, 2, 2))
    out, steps = reference.conv2d_trace(np.array([X3]), ones, 0.0, 1, "same", 1, padding_mode=mode)
    np.testing.assert_array_equal(out[0], SAME_2X2[mode])
    got = fast.conv2d(np.array([[X3]]), ones, None, 1, "same", 1, mode)
    np.testing.assert_allclose(got[0, 0], SAME_2X2[mode], rtol=1e-12)
    assert steps[0]["cells"][:4] == [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1]]  # no padding above or left


# ---- the fast path and the layer against the reference loops ------------------------------------------


@st.composite
def padded_conv_cases(draw):
    c, f = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    form = draw(st.sampled_from(["int", "pair", "sides", "same", "valid"]))
    stride = (1, 1) if form == "same" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = {
        "int": st.integers(0, 3),
        "pair": st.lists(st.integers(0, 3), min_size=2, max_size=2),
        "sides": st.fixed_dictionaries({s: st.integers(0, 3) for s in ("top", "bottom", "left", "right")}),
        "same": st.just("same"),
        "valid": st.just("valid"),
    }[form]
    return dict(
        c=c,
        f=f,
        k=(kh, kw),
        s=stride,
        d=(dh, dw),
        padding=draw(padding),
        mode=draw(st.sampled_from(PADDING_MODES)),
        hw=(draw(st.integers(1, 7)), draw(st.integers(1, 7))),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


@settings(max_examples=150, deadline=None)
@given(padded_conv_cases())
def test_fast_and_layer_equal_the_reference_for_every_mode(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((2, case["c"], *case["hw"]))
    w = rng.standard_normal((case["f"], case["c"], *case["k"]))
    b = rng.standard_normal(case["f"])
    args = (case["s"], case["padding"], case["d"])
    try:
        expected = reference.conv2d_reference(x, w, b, *args, case["mode"])
    except EngineError as e:  # the kernel does not fit, or the mode's limit (PyTorch's) is passed
        assert e.code in ("kernel_too_big", "reflect_padding_too_big", "circular_padding_too_big"), e
        with pytest.raises(EngineError) as again:
            fast.conv2d(x, w, b, *args, case["mode"])
        assert again.value.code == e.code
        return
    np.testing.assert_allclose(fast.conv2d(x, w, b, *args, case["mode"]), expected, rtol=1e-12, atol=1e-12)
    layer = Conv2D(case["f"], case["k"], case["s"], case["padding"], case["d"], padding_mode=case["mode"], name="c")
    layer.build(x.shape[1:], rng, np.float64)
    layer.params["W"][...] = w
    layer.params["b"][...] = b
    for _ in range(2):  # twice: the zero-padded buffer is reused
        got = layer.forward(np.ascontiguousarray(x.transpose(1, 2, 3, 0)))
        np.testing.assert_allclose(got.transpose(3, 0, 1, 2), expected, rtol=1e-12, atol=1e-12)
    # backward is the adjoint of forward: <forward(x), g> = <x, backward(g)> (the bias aside)
    g = rng.standard_normal(got.shape)
    dx = layer.backward(g)
    lhs = float(np.sum((got - b[:, None, None, None]) * g))
    rhs = float(np.sum(np.ascontiguousarray(x.transpose(1, 2, 3, 0)) * dx))
    assert abs(lhs - rhs) <= 1e-9 * (1 + abs(lhs))


@pytest.mark.parametrize("mode", PADDING_MODES)
@pytest.mark.parametrize(
    "padding,kernel,stride",
    [
        ({"top": 2, "bottom": 0, "left": 1, "right": 3}, 3, 1),
        ("same", (2, 4), 1),
        ([1, 2], (3, 2), (2, 1)),
    ],
)
def test_gradients_of_each_mode(mode, padding, kernel, stride):
    layer = Conv2D(2, kernel, stride, padding, padding_mode=mode, name="conv")
    layer.build((2, 5, 4), np.random.default_rng(0), np.float64)
    layer.params["b"] += 0.1
    x = np.random.default_rng(1).standard_normal((2, 5, 4, 3))
    errors = check_layer(layer, x, eps=1e-4)  # linear in x and W: a central difference is exact
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize(
    "mode,padding,expected",
    [
        # sum of a 1x1 identity convolution: each input cell's gradient counts its copies in the padded row
        ("zeros", {"top": 0, "bottom": 0, "left": 2, "right": 0}, [1, 1, 1]),
        ("replicate", {"top": 0, "bottom": 0, "left": 2, "right": 0}, [3, 1, 1]),  # a a [a b c]
        ("reflect", {"top": 0, "bottom": 0, "left": 1, "right": 0}, [1, 2, 1]),  # b [a b c]
        ("reflect", {"top": 0, "bottom": 0, "left": 2, "right": 2}, [2, 3, 2]),  # c b [a b c] b a
        ("circular", {"top": 0, "bottom": 0, "left": 1, "right": 0}, [1, 1, 2]),  # c [a b c]
        ("circular", {"top": 0, "bottom": 0, "left": 2, "right": 1}, [2, 2, 2]),  # b c [a b c] a
    ],
)
def test_border_gradient_folds_back_by_hand(mode, padding, expected):
    layer = Conv2D(1, 1, 1, padding, padding_mode=mode, bias=False, name="conv")
    layer.build((1, 1, 3), np.random.default_rng(0), np.float64)
    layer.params["W"][...] = 1.0
    out = layer.forward(np.array([[[[1.0], [2.0], [3.0]]]]))
    dx = layer.backward(np.ones_like(out))
    assert dx[0, 0, :, 0].tolist() == expected


def test_a_corner_cell_folds_from_both_axes():
    # replicate by 1 on every side of a 2x2 input: the top-left cell fills itself, the padding cell
    # above, the one to its left and the corner: 4 copies; every cell of a 2x2 is a corner.
    layer = Conv2D(1, 1, 1, 1, padding_mode="replicate", bias=False, name="conv")
    layer.build((1, 2, 2), np.random.default_rng(0), np.float64)
    layer.params["W"][...] = 1.0
    out = layer.forward(np.ones((1, 2, 2, 1)))
    assert out.shape == (1, 4, 4, 1)
    assert layer.backward(np.ones_like(out))[0, :, :, 0].tolist() == [[4, 4], [4, 4]]


# ---- networks: the spec keeps the padding as given ----------------------------------------------------

SPEC = {
    "input": [1, 8, 8],
    "layers": [
        {"type": "conv", "filters": 2, "kernel": 4, "padding": "same", "padding_mode": "reflect"},
        {"type": "relu"},
        {
            "type": "conv",
            "filters": 3,
            "kernel": 3,
            "padding": {"top": 0, "bottom": 2, "left": 1, "right": 1},
            "padding_mode": "circular",
        },
        {"type": "conv", "filters": 2, "kernel": 3, "padding": "valid", "padding_mode": "replicate"},
        {"type": "flatten"},
        {"type": "dense", "units": 3},
    ],
}


def test_spec_round_trips_and_the_model_saves(tmp_path):
    model = Sequential.from_spec(SPEC, seed=1)
    # 8 -> same: 8x8; per side: H 8 + 0 + 2 - 3 + 1 = 8, W 8 + 1 + 1 - 3 + 1 = 8; valid: 6x6
    assert [s for s in model.shapes[:4]] == [(2, 8, 8), (2, 8, 8), (3, 8, 8), (2, 6, 6)]
    layers = model.spec["layers"]
    assert layers[0]["padding"] == "same" and layers[0]["padding_mode"] == "reflect"
    assert layers[2]["padding"] == {"top": 0, "bottom": 2, "left": 1, "right": 1}
    assert layers[3]["padding_mode"] == "replicate"
    x = np.random.default_rng(0).standard_normal((2, 1, 8, 8))
    again = Sequential.load(model.save(tmp_path / "m.npz"))
    assert again.spec == model.spec
    np.testing.assert_array_equal(again.forward(x), model.forward(x))


def test_a_network_refuses_a_bad_padding_naming_the_layer():
    bad = {
        "input": [1, 4, 4],
        "layers": [{"type": "conv", "filters": 1, "kernel": 3, "padding": 4, "padding_mode": "reflect"}],
    }
    with pytest.raises(EngineError) as e:
        Sequential.from_spec(bad)
    assert e.value.code == "reflect_padding_too_big" and str(e.value).startswith("conv1: ")
    with pytest.raises(EngineError) as e:
        Sequential.from_spec({"layers": [{"type": "conv", "filters": 1, "padding": "same", "stride": 2}]})
    assert e.value.code == "same_padding_stride" and str(e.value).startswith("conv1: ")
