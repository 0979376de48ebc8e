"""Output-size arithmetic and its explanations."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import EngineError
from engine.reference import conv2d_trace, pool2d_trace
from engine.shapes import conv_output_shape, formula, output_size, pair, pool_output_shape, unread


@pytest.mark.parametrize(
    "h,k,p,s,d,expected",
    [
        (28, 5, 2, 1, 1, 28),
        (28, 5, 0, 1, 1, 24),
        (24, 2, 0, 2, 1, 12),
        (7, 3, 0, 2, 1, 3),
        (9, 3, 0, 1, 2, 5),
        (3, 2, 1, 1, 1, 4),
    ],
)
def test_output_size_matches_the_formula(h, k, p, s, d, expected):
    assert output_size(h, k, p, s, d) == expected == (h + 2 * p - d * (k - 1) - 1) // s + 1


def test_kernel_too_big_shows_the_arithmetic_as_in_the_issue():
    with pytest.raises(EngineError) as e:
        conv_output_shape(2, 2, 3, 3, 0, 1)
    assert e.value.code == "kernel_too_big"
    assert str(e.value) == (
        "a 3x3 kernel does not fit a 2x2 input with padding 0: OH = ⌊(2 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = ⌊−1⌋ + 1 = 0"
    )


def test_a_stride_that_leaves_a_remainder_rounds_down_as_pytorch():
    """5 + 2*0 - 2 = 3 is not a multiple of 2: PyTorch gives floor(3 / 2) + 1 = 2 and never reads
    the last row and column (the engine used to refuse this)."""
    assert conv_output_shape(5, 5, 2, 2, 0, 2) == (2, 2)
    assert formula(5, 2, 0, 2) == "OH = ⌊(5 + 2·0 − 1·(2 − 1) − 1) / 2⌋ + 1 = ⌊1.5⌋ + 1 = 2"
    assert unread(5, 2, 0, 2) == [4]


# Hand-computed with PyTorch's formula floor((H + 2P - D(K - 1) - 1) / S) + 1 (torch.nn.Conv2d docs),
# each written out: these are the issue's examples and the notes' AlexNet, not values read from the engine.
GOLDEN_CONV = [
    # H, K, P, S, D, expected, the arithmetic
    (28, 3, 0, 2, 1, 13, "(28 + 0 - 2 - 1) / 2 = 12.5 -> 12, + 1 = 13"),
    (224, 11, 2, 4, 1, 55, "(224 + 4 - 10 - 1) / 4 = 54.25 -> 54, + 1 = 55"),  # AlexNet conv1
    (28, 3, 1, 2, 1, 14, "(28 + 2 - 2 - 1) / 2 = 13.5 -> 13, + 1 = 14"),  # the issue's network check
    (227, 11, 0, 4, 1, 55, "(227 - 10 - 1) / 4 = 54, + 1 = 55"),  # AlexNet as often written
    (7, 3, 0, 3, 1, 2, "(7 - 2 - 1) / 3 = 1.33 -> 1, + 1 = 2"),
    (10, 3, 1, 4, 2, 2, "(10 + 2 - 2*2 - 1) / 4 = 1.75 -> 1, + 1 = 2"),
]


@pytest.mark.parametrize("h,k,p,s,d,expected,arithmetic", GOLDEN_CONV)
def test_golden_convolution_sizes(h, k, p, s, d, expected, arithmetic):
    assert conv_output_shape(h, h, k, k, p, s, d) == (expected, expected), arithmetic


# PyTorch's pooling (torch.nn.MaxPool2d docs; aten/src/ATen/native/Pool.h): floor, or with ceil_mode
# ceil((H + 2P - K) / S) + 1, less one if that last window would start at (OH - 1) * S >= H + P.
GOLDEN_POOL = [
    # H, K, P, S, ceil_mode, expected, the arithmetic
    (7, 2, 0, 2, False, 3, "(7 - 2) / 2 = 2.5 -> 2, + 1 = 3"),
    (7, 2, 1, 2, False, 4, "(7 + 2 - 2) / 2 = 3.5 -> 3, + 1 = 4"),
    (7, 2, 0, 2, True, 4, "(7 - 2) / 2 = 2.5 -> 3, + 1 = 4; the 4th window starts at 6 < 7 + 0: kept"),
    (7, 2, 1, 2, True, 4, "(7 + 2 - 2) / 2 = 3.5 -> 4, + 1 = 5; the 5th starts at 8 >= 7 + 1: dropped, 4"),
    (5, 2, 1, 2, True, 3, "(5 + 2 - 2) / 2 = 2.5 -> 3, + 1 = 4; the 4th starts at 6 >= 5 + 1: dropped, 3"),
    (6, 3, 0, 2, True, 3, "(6 - 3) / 2 = 1.5 -> 2, + 1 = 3; the 3rd starts at 4 < 6: kept"),
    (1, 2, 0, 2, True, 1, "(1 - 2) / 2 = -0.5 -> 0, + 1 = 1; it starts at 0 < 1: kept (a window past the input)"),
    (4, 2, 0, 2, True, 2, "(4 - 2) / 2 = 1 exactly: ceil changes nothing, 2"),
]


@pytest.mark.parametrize("h,k,p,s,ceil_mode,expected,arithmetic", GOLDEN_POOL)
def test_golden_pooling_sizes(h, k, p, s, ceil_mode, expected, arithmetic):
    assert pool_output_shape(h, h, k, s, p, ceil_mode=ceil_mode) == (expected, expected), arithmetic


def test_a_pooling_window_that_does_not_fit_without_ceil_mode_is_refused_with_the_numbers():
    with pytest.raises(EngineError) as e:  # PyTorch: "Output size is too small"
        pool_output_shape(1, 1, 2)
    assert e.value.code == "window_too_big" and "⌊−0.5⌋ + 1 = 0" in str(e.value)


def test_formulas_show_the_rounding():
    assert formula(28, 3, 0, 2) == "OH = ⌊(28 + 2·0 − 1·(3 − 1) − 1) / 2⌋ + 1 = ⌊12.5⌋ + 1 = 13"
    assert formula(7, 2, 0, 2, ceil_mode=True, axis="W") == "OW = ⌈(7 + 2·0 − 1·(2 − 1) − 1) / 2⌉ + 1 = ⌈2.5⌉ + 1 = 4"
    assert formula(5, 2, 1, 2, ceil_mode=True) == "OH = ⌈(5 + 2·1 − 1·(2 − 1) − 1) / 2⌉ + 1 = ⌈2.5⌉ + 1 = 4 → 3"


def test_unread_rows_and_columns():
    assert unread(28, 3, 0, 2) == [27]  # "PyTorch never reads this last column"
    assert unread(224, 11, 2, 4) == []  # AlexNet: the last window reaches padded column 54*4 + 10 = 226
    assert unread(224, 11, 0, 4) == [223]  # no padding: floor(213 / 4) = 53, the last window reads 53*4 + 10 = 222
    assert unread(7, 1, 0, 2) == [1, 3, 5]  # a 1-wide kernel with stride 2 skips every other column
    assert unread(9, 2, 0, 1, 2) == []  # dilation 2, stride 1: every column is read
    assert unread(7, 2, 0, 2) == [6] and unread(7, 2, 0, 2, ceil_mode=True) == []
    assert unread(6, 2, 0, 2) == []


@settings(max_examples=300, deadline=None)
@given(h=st.integers(1, 12), k=st.integers(1, 5), p=st.integers(0, 3), s=st.integers(1, 4), d=st.integers(1, 3))
def test_sizes_and_unread_cells_agree_with_the_reference_loops(h, k, p, s, d):
    """Random H, K, P, S, D: the size is PyTorch's floor formula (written out here), the reference loops
    produce that many cells, and the cells they read are exactly the ones not listed as unread."""
    span = d * (k - 1) + 1
    if h + 2 * p < span:
        with pytest.raises(EngineError) as e:
            conv_output_shape(h, 1, k, 1, (p, 0), (s, 1), (d, 1))
        assert e.value.code == "kernel_too_big"
        return
    expected = math.floor((h + 2 * p - d * (k - 1) - 1) / s) + 1
    assert output_size(h, k, p, s, d) == expected
    x = np.arange(1.0, h + 1)[None, :, None]  # (C, H, W): row r holds r + 1
    out, steps = conv2d_trace(x, np.ones((1, 1, k, 1)), 0, (s, 1), (p, 0), (d, 1))
    assert out.shape == (1, expected, 1)
    read = {r - p for step in steps for _, r, _ in step["cells"]}
    assert sorted(set(range(h)) - read) == unread(h, k, p, s, d)


@settings(max_examples=300, deadline=None)
@given(h=st.integers(1, 12), k=st.integers(1, 5), s=st.integers(1, 4), ceil_mode=st.booleans(), data=st.data())
def test_pooling_sizes_agree_with_pytorch_rule_and_the_reference_loops(h, k, s, ceil_mode, data):
    p = data.draw(st.integers(0, k // 2))
    room = h + 2 * p - k
    expected = (math.ceil(room / s) if ceil_mode else math.floor(room / s)) + 1
    if ceil_mode and (expected - 1) * s >= h + p:
        expected -= 1
    if expected < 1:
        with pytest.raises(EngineError) as e:
            pool_output_shape(h, 1, (k, 1), (s, 1), (p, 0), ceil_mode=ceil_mode)
        assert e.value.code == "window_too_big"
        return
    assert pool_output_shape(h, 1, (k, 1), (s, 1), (p, 0), ceil_mode=ceil_mode) == (expected, 1)
    out, steps = pool2d_trace(np.arange(1.0, h + 1)[None, :, None], (k, 1), (s, 1), (p, 0), "max", ceil_mode)
    assert out.shape == (1, expected, 1)
    read = {r - p for step in steps for _, r, _ in step["cells"]} & set(range(h))
    assert sorted(set(range(h)) - read) == unread(h, k, p, s, 1, ceil_mode)
    # every window starts inside the input or its left padding, and holds at least one input cell
    assert all(step["top"] < h + p and any(v is not None for v in step["values"]) for step in steps)


@pytest.mark.parametrize(
    "kwargs,code",
    [
        ({"stride": 0}, "bad_stride"),
        ({"stride": -1}, "bad_stride"),
        ({"padding": -1}, "bad_padding"),
        ({"dilation": 0}, "bad_dilation"),
        ({"stride": 1.5}, "not_integer"),
        ({"stride": [1, 2, 3]}, "bad_pair"),
    ],
)
def test_bad_settings(kwargs, code):
    args = {"padding": 0, "stride": 1, "dilation": 1, **kwargs}
    with pytest.raises(EngineError) as e:
        conv_output_shape(5, 5, 3, 3, args["padding"], args["stride"], args["dilation"])
    assert e.value.code == code


def test_pairs_and_pool_padding():
    assert pair(3) == (3, 3) and pair([1, 2]) == (1, 2)
    assert pool_output_shape(4, 4, 2) == (2, 2)
    assert pool_output_shape(5, 5, 3, 2, 1) == (3, 3)
    with pytest.raises(EngineError) as e:
        pool_output_shape(4, 4, 2, 2, 2)
    assert e.value.code == "pool_padding_too_big"


@pytest.mark.parametrize("value", [1_000_001, -(10**400), (1, 10**30)])
def test_a_setting_beyond_any_size_is_refused_in_short(value):
    with pytest.raises(EngineError) as e:
        conv_output_shape(28, 28, 3, 3, padding=value)
    assert e.value.code == "setting_too_large" and len(str(e.value)) < 80, str(e.value)


def test_a_pooling_window_under_1_is_said_to_be_one():
    for size in (0, -3, (2, -1)):  # not "padding 0 is more than half the window -3x-3"
        with pytest.raises(EngineError) as e:
            pool_output_shape(4, 4, size)
        assert e.value.code == "bad_window"


def test_formula_text():
    assert formula(3, 2, 1, 1) == "OH = ⌊(3 + 2·1 − 1·(2 − 1) − 1) / 1⌋ + 1 = ⌊3⌋ + 1 = 4"
    assert formula(4, 2, 0, 2, axis="W") == "OW = ⌊(4 + 2·0 − 1·(2 − 1) − 1) / 2⌋ + 1 = ⌊1⌋ + 1 = 2"


def test_an_engine_error_survives_pickling_whole():
    """Errors raised in the server's worker processes (app/compute.py) travel pickled."""
    import pickle

    from engine.errors import EngineError

    with pytest.raises(EngineError) as caught:
        conv_output_shape(3, 3, 5, 5, 0, 1, 1)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is EngineError and str(copy) == str(caught.value)
    assert (copy.code, copy.message, copy.params) == (caught.value.code, caught.value.message, caught.value.params)
    assert copy.params  # the numbers the message shows, for another language
