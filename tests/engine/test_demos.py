"""engine.demos: the im2col matrix is the same convolution as the reference loops; the shift demo counts."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.demos import SHIFT_DEMO_INPUT, im2col_matrix, pool_translation, shift_image
from engine.errors import EngineError
from engine.reference import conv2d_trace, pool2d_trace


@st.composite
def configurations(draw):
    c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    oh, ow = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    # choose the input size so that the stride fits exactly
    h = (oh - 1) * sh + dh * (kh - 1) + 1 - 2 * ph
    w = (ow - 1) * sw + dw * (kw - 1) + 1 - 2 * pw
    if h < 1 or w < 1:
        h, w, ph, pw = h + 2 * ph, w + 2 * pw, 0, 0
    seed = draw(st.integers(0, 2**32 - 1))
    return c, f, h, w, kh, kw, (sh, sw), (ph, pw), (dh, dw), seed


@settings(max_examples=60, deadline=None)
@given(configurations())
def test_im2col_product_equals_the_reference_convolution(config):
    c, f, h, w, kh, kw, stride, padding, dilation, seed = config
    rng = np.random.default_rng(seed)
    x = rng.integers(-5, 6, size=(c, h, w)).astype(float)
    k = rng.integers(-3, 4, size=(f, c, kh, kw)).astype(float)
    b = rng.integers(-2, 3, size=f).astype(float)
    out, steps = conv2d_trace(x, k, b, stride, padding, dilation)
    m = im2col_matrix(x, k, b, stride, padding, dilation)
    assert m.output_shape == out.shape
    np.testing.assert_array_equal(m.product.reshape(out.shape), out)
    # column j holds the window of step j, in the trace's window order
    for j, step in enumerate(steps[: out.shape[1] * out.shape[2]]):
        assert m.columns[:, j].tolist() == step["inputs"]
    assert m.kernel_rows.shape == (f, c * kh * kw) and len(m.row_offsets) == c * kh * kw


def test_im2col_refuses_what_the_reference_refuses():
    with pytest.raises(EngineError) as e:
        im2col_matrix(np.ones((1, 2, 2)), np.ones((1, 1, 3, 3)))
    assert e.value.code == "kernel_too_big"


def test_shift_image_moves_one_pixel_and_fills_with_zeros():
    x = np.arange(1, 10, dtype=float).reshape(1, 3, 3)
    assert shift_image(x, "right")[0].tolist() == [[0, 1, 2], [0, 4, 5], [0, 7, 8]]
    assert shift_image(x, "left")[0].tolist() == [[2, 3, 0], [5, 6, 0], [8, 9, 0]]
    assert shift_image(x, "down")[0].tolist() == [[0, 0, 0], [1, 2, 3], [4, 5, 6]]
    assert shift_image(x, "up")[0].tolist() == [[4, 5, 6], [7, 8, 9], [0, 0, 0]]
    with pytest.raises(EngineError) as e:
        shift_image(x, "sideways")
    assert e.value.code == "bad_shift"


def test_pool_translation_counts_cells_that_changed():
    x = np.array([[[9, 0, 7, 0], [0, 0, 0, 0], [5, 0, 0, 0], [0, 0, 0, 6]]], dtype=float)
    demo = pool_translation(x, size=2, mode="max", direction="right")
    assert demo.shifted[0].tolist() == [[0, 9, 0, 7], [0, 0, 0, 0], [0, 5, 0, 0], [0, 0, 0, 0]]
    np.testing.assert_array_equal(demo.pooled, pool2d_trace(x, 2)[0])
    np.testing.assert_array_equal(demo.shifted_pooled, pool2d_trace(demo.shifted, 2)[0])
    # 9, 7 and 5 stay inside their 2x2 windows; the 6 leaves the map
    assert demo.pooled[0].tolist() == [[9, 7], [5, 6]] and demo.shifted_pooled[0].tolist() == [[9, 7], [5, 0]]
    assert demo.output_changed_count == 1 and demo.output_changed_fraction == 0.25
    assert demo.input_changed_count == int((demo.shifted != x).sum()) == 7
    assert demo.input_changed_fraction == 7 / 16


def _max_pool_2x2(x):
    """An independent 2x2, stride-2 max pooling of an (H, W) map with even sides."""
    h, w = x.shape
    return x.reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3))


@pytest.mark.parametrize("direction", ["right", "left", "down", "up"])
def test_the_demo_input_teaches_that_max_pooling_tolerates_a_shift(direction):
    """On the demo's map, any one-pixel shift changes a smaller share of the pooled outputs than of the
    input cells (counted here with np.roll and a reshape, not with the engine's loops)."""
    x = np.array(SHIFT_DEMO_INPUT, dtype=float)
    dy, dx = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}[direction]
    moved = np.roll(x, (dy, dx), axis=(0, 1))
    if dy:
        moved[0 if dy > 0 else -1, :] = 0
    if dx:
        moved[:, 0 if dx > 0 else -1] = 0
    inputs = int((moved != x).sum())
    outputs = int((_max_pool_2x2(moved) != _max_pool_2x2(x)).sum())
    assert inputs / 64 >= 0.9 and outputs / 16 <= 0.25, (inputs, outputs)
    demo = pool_translation(x[None], size=2, mode="max", direction=direction)
    assert (demo.input_changed_count, demo.output_changed_count) == (inputs, outputs)
    assert demo.verdict == "fewer"
    pooled, counts = np.unique(_max_pool_2x2(x), return_counts=True)
    assert len(pooled) >= 6 and counts.max() <= 4  # a varied map, not one of equal maxima


def test_the_verdict_says_when_pooling_hides_nothing():
    """The notes' 4x4 example shifted right: 13 of 16 cells and all 4 pooled outputs change."""
    notes = np.array([[[1, 2, 3, 3], [0, 1, 1, 5], [3, 0, 1, 0], [1, 4, 1, 2]]], dtype=float)
    demo = pool_translation(notes, size=2, mode="max", direction="right")
    assert (demo.input_changed_count, demo.output_changed_count) == (13, 4) and demo.verdict == "all"
    left = pool_translation(notes, size=2, mode="max", direction="left")  # only the 2 in the corner moves
    assert left.output_changed_count == 1 and left.verdict == "fewer"
    down = pool_translation(notes, size=2, mode="max", direction="down")  # 3 of 4 outputs, 14 of 16 cells
    assert (down.input_changed_count, down.output_changed_count, down.verdict) == (14, 3, "fewer")
    dot = np.zeros((1, 4, 4))
    dot[0, 1, 1] = 9  # moves into the next window: 2 of 16 cells, but 2 of 4 outputs
    spot = pool_translation(dot, size=2, mode="max", direction="right")
    assert (spot.input_changed_count, spot.output_changed_count, spot.verdict) == (2, 2, "not_fewer")
    assert pool_translation(np.zeros((1, 4, 4)), size=2, direction="up").verdict == "unchanged"
