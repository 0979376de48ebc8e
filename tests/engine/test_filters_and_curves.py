"""engine.filters (feature maps, cost arithmetic, traced blocks) and engine.curves (saturation
regions, caption facts, the steepest pre-activation)."""

import math

import numpy as np
import pytest

from engine import curves, filters
from engine.errors import EngineError
from engine.reference import conv2d_reference


@pytest.mark.parametrize("seed", range(12))
def test_traced_blocks_agree_with_the_fast_feature_map(seed):
    rng = np.random.default_rng(seed)
    kh, kw = rng.integers(1, 4, 2)
    stride, padding, dilation = int(rng.integers(1, 3)), int(rng.integers(0, 3)), int(rng.integers(1, 3))
    # an image size that the stride divides exactly
    oh, ow = rng.integers(2, 7, 2)
    h = (oh - 1) * stride + dilation * (kh - 1) + 1 - 2 * padding
    w = (ow - 1) * stride + dilation * (kw - 1) + 1 - 2 * padding
    if h < 1 or w < 1:  # the padding alone would cover it: trace without padding instead
        h, w, padding = h + 2 * padding, w + 2 * padding, 0
    image = rng.integers(0, 256, (h, w)).astype(float)
    kernel = rng.integers(-3, 4, (kh, kw)).astype(float)
    bias = float(rng.integers(-2, 3))
    out = filters.apply(image, kernel, bias, stride, padding, dilation)
    reference = conv2d_reference(image[None, None], kernel[None, None], bias, stride, padding, dilation)[0, 0]
    assert out.dtype == np.float32 and np.allclose(out, reference, atol=1e-3)
    row, col = int(rng.integers(0, out.shape[0])), int(rng.integers(0, out.shape[1]))
    t = filters.trace_region(image, kernel, row, col, 3, bias, stride, padding, dilation)
    assert (t["rows"], t["cols"]) == (min(3, out.shape[0] - row), min(3, out.shape[1] - col))
    assert np.allclose(t["output"], reference[row : row + t["rows"], col : col + t["cols"]])
    assert [(s["row"], s["col"]) for s in t["steps"]] == [
        (r, c) for r in range(row, row + t["rows"]) for c in range(col, col + t["cols"])
    ]


def test_cost_of_the_notes_edge_example():
    c = filters.cost(280, 320, 1, 2)
    assert (c.output_height, c.output_width) == (280, 319)
    assert c.operations == 267_960 and c.ops_per_cell == 3
    assert c.dense_entries == 8_003_072_000 and c.dense_nonzero == 178_640
    assert c.as_dict()["dense_zero_percent"] == pytest.approx(99.9978, abs=1e-4)
    assert c.dense_per_operation == 29_867


def test_cost_with_padding_and_stride():
    c = filters.cost(11, 13, 3, 3, stride=2, padding=1)
    assert (c.output_height, c.output_width) == ((11 + 2 - 3) // 2 + 1, (13 + 2 - 3) // 2 + 1) == (6, 7)
    assert c.operations == 6 * 7 * 17 and c.dense_entries == 143 * 42


def test_filter_errors_show_the_arithmetic():
    with pytest.raises(EngineError) as e:
        filters.apply(np.zeros((2, 2)), np.ones((3, 3)))
    assert e.value.code == "kernel_too_big" and "= 0" in str(e.value)
    with pytest.raises(EngineError) as e:
        filters.trace_region(np.zeros((5, 5)), np.ones((2, 2)), 4, 0)
    assert e.value.code == "bad_trace_region" and e.value.params["shape"] == [4, 4] and e.value.params["row"] == 5
    with pytest.raises(EngineError) as e:
        filters.trace_region(np.zeros((5, 5)), np.ones((2, 2)), 0, 0, size=0)
    assert e.value.code == "bad_trace_size"


def test_saturation_regions_are_runs_of_small_derivatives():
    x = np.arange(8.0)
    df = np.array([0.0, 0.01, 0.5, 0.5, -0.02, 0.9, 0.049, 0.05])
    assert curves.saturation_regions(x, df, 0.05) == [[0, 1], [4, 4], [6, 6]]
    assert curves.saturation_regions(x, np.ones(8), 0.05) == []
    assert curves.saturation_regions(x, np.zeros(8), 0.05) == [[0, 7]]
    for bad in (0, -1, 1.5, float("nan"), "0.1", True):
        with pytest.raises(EngineError):
            curves.saturation_regions(x, df, bad)


def test_lab_curve_facts_and_steepest_z():
    s = curves.lab_curve("sigmoid", -4, 4, 161)
    assert s["facts"]["df_0"] == 0.25 and s["facts"]["max_df"] == 0.25 and s["steepest_z"] == 0
    r = curves.lab_curve("relu", -4, 4, 161)
    assert r["steepest_z"] == 1 and r["saturation"] == [[-4, 0]]
    elu = curves.lab_curve("elu", -4, 4, 161, alpha=2.0)
    assert elu["steepest_z"] == 0 and elu["facts"]["df_0"] == 2.0  # ELU'(0) = alpha (the left-hand piece)
    sp = curves.lab_curve("softplus", -4, 4, 161)
    assert sp["steepest_z"] == 4  # sigmoid, growing towards 1: the right end
    t = curves.lab_curve("tanh", -4, 4, 161)
    assert t["facts"]["identity_error"] < 1e-12
    assert curves.lab_curve("rrelu", lower=0.2, upper=0.4)["facts"]["test_slope"] == pytest.approx(0.3)


def test_gelu_and_softplus_facts():
    """GELU's caption quotes the largest gap between its exact and tanh forms (the same whichever is
    shown); softplus's where PyTorch switches to z and how far the curve drops there."""
    z = np.linspace(-6, 6, 241)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in z])
    c = math.sqrt(2 / math.pi)
    tanh_form = 0.5 * z * (1 + np.tanh(c * (z + 0.044715 * z**3)))
    gap = np.max(np.abs(tanh_form - exact))
    for approximate in ("none", "tanh"):
        lab = curves.lab_curve("gelu", -6, 6, 241, approximate=approximate)
        assert lab["params"] == {"approximate": approximate}
        assert lab["facts"]["approximation_gap"] == pytest.approx(gap, rel=1e-9)
    assert 4e-4 < gap < 5e-4
    # The saturation threshold (positional) and softplus's own threshold (a parameter) do not mix.
    sp = curves.lab_curve("softplus", -6, 6, 241, 0.1, beta=2.0, threshold=3.0)
    assert sp["threshold"] == 0.1 and sp["params"] == {"beta": 2.0, "threshold": 3.0}
    assert sp["facts"]["switch_z"] == 1.5
    assert sp["facts"]["switch_jump"] == pytest.approx(math.log1p(math.exp(-3.0)) / 2, rel=1e-12)
    past = sp["x"] > 1.5
    np.testing.assert_array_equal(sp["f"][past], sp["x"][past])
    np.testing.assert_array_equal(sp["df"][past], 1.0)


@pytest.mark.parametrize(
    "name", ["sigmoid", "tanh", "relu", "leaky_relu", "prelu", "rrelu", "elu", "maxout", "softplus", "gelu", "silu"]
)
def test_the_largest_derivative_is_marked_where_the_derivative_is_that_large(name):
    """The lab marks "largest f' = max_df" at argmax_df: f' there, and a little either side of it, is
    that large (ReLU's marker once sat at the first sample, z = 0.05, which looks like z = 0 where
    ReLU'(0) = 0, as the caption says)."""
    from engine import activations

    lab = curves.lab_curve(name)
    act, facts = activations.get(name), lab["facts"]
    z, top = facts["argmax_df"], facts["max_df"]
    assert float(act.df(z)) == pytest.approx(top, rel=1e-6)
    for side in (z - 0.1, z + 0.1):  # not on the edge of a jump: two sample steps away, f' is still close
        assert float(act.df(side)) == pytest.approx(top, abs=0.15), (name, side)
    if name == "relu":
        assert z == 1.0 and facts["df_0"] == 0.0
