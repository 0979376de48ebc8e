"""engine.special.erf against Python's math.erf (the C library's), point by point."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.special import erf

_ERF = np.frompyfunc(math.erf, 1, 1)


def golden(x):
    return np.array(_ERF(np.asarray(x, dtype=np.float64)), dtype=np.float64)


def test_erf_agrees_with_math_erf_within_1e_15_on_a_dense_grid():
    rng = np.random.default_rng(0)
    # every piece and every seam between pieces (1, 2, 3.5, 6), both signs
    seams = np.array([1.0, 2.0, 3.5, 6.0])
    x = np.concatenate(
        [
            np.linspace(-8, 8, 80_001),
            rng.uniform(-7, 7, 20_000),
            np.ravel(seams[:, None] + np.array([-1e-12, 0.0, 1e-12])),
            -seams,
        ]
    )
    diff = np.abs(erf(x) - golden(x))
    assert diff.max() < 1e-15, x[diff.argmax()]


def test_small_arguments_are_precise_relative_to_their_size():
    x = np.concatenate([np.geomspace(1e-300, 0.999, 5_000), -np.geomspace(1e-12, 0.5, 1_000)])
    np.testing.assert_allclose(erf(x), golden(x), rtol=1e-15, atol=0)


def test_published_values_and_special_cases():
    # erf(0.5), erf(1), erf(2) to 16 digits (Abramowitz and Stegun, table 7.1, extended)
    assert erf(0.5) == pytest.approx(0.5204998778130465, abs=2e-16)
    assert erf(1.0) == pytest.approx(0.8427007929497149, abs=2e-16)
    assert erf(2.0) == pytest.approx(0.9953222650189527, abs=2e-16)
    out = erf(np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 6.0, 30.0, -1e300]))
    assert out[0] == 0.0 and math.copysign(1, out[1]) == -1.0
    np.testing.assert_array_equal(out[[2, 3, 5, 6, 7]], [1.0, -1.0, 1.0, 1.0, -1.0])
    assert np.isnan(out[4])
    assert erf(np.zeros((2, 3))).shape == (2, 3) and erf(np.zeros(0)).shape == (0,)
    assert erf(np.float32(0.5)).dtype == np.float64


@settings(max_examples=100, deadline=None)
@given(x=st.floats(-10, 10, allow_nan=False))
def test_erf_is_odd_bounded_and_matches_math_erf(x):
    y = float(erf(x))
    assert abs(y - math.erf(x)) <= 1e-15
    assert float(erf(-x)) == -y and -1.0 <= y <= 1.0
