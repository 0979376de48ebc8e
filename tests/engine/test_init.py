"""Initialisers: the spread each promises, on large draws, and determinism from the generator."""

import math

import numpy as np
import pytest

from engine.errors import EngineError
from engine.init import he_normal, he_uniform, initialise, lecun_uniform, xavier_normal, xavier_uniform

SHAPE = (400, 500)  # 200,000 draws: a sample std is within about 0.3% of the true one


def rng(seed=0):
    return np.random.default_rng(seed)


def test_he_normal_std_is_sqrt_2_over_fan_in():
    w = he_normal(rng(), SHAPE, fan_in=50)
    assert w.shape == SHAPE and w.dtype == np.float32
    assert w.std() == pytest.approx(math.sqrt(2 / 50), rel=0.01)
    assert abs(w.mean()) < 0.01 * math.sqrt(2 / 50)


@pytest.mark.parametrize(
    "make,limit",
    [
        (lambda r: he_uniform(r, SHAPE, 24), math.sqrt(6 / 24)),
        (lambda r: xavier_uniform(r, SHAPE, 30, 70), math.sqrt(6 / 100)),
        (lambda r: lecun_uniform(r, SHAPE, 25), 1 / 5),
    ],
)
def test_uniform_initialisers_fill_their_interval(make, limit):
    w = make(rng())
    assert -limit <= w.min() < -0.99 * limit and 0.99 * limit < w.max() <= limit
    assert w.std() == pytest.approx(limit / math.sqrt(3), rel=0.01)  # the std of U(-l, l)


def test_xavier_normal_std():
    w = xavier_normal(rng(), SHAPE, 30, 70)
    assert w.std() == pytest.approx(math.sqrt(2 / 100), rel=0.01)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("he", "he_normal"),
        ("xavier", "xavier_uniform"),
        ("lecun", "lecun_uniform"),
        ("he_uniform", "he_uniform"),
        ("xavier_normal", "xavier_normal"),
    ],
)
def test_initialise_dispatches_by_name(name, expected):
    functions = {
        "he_normal": lambda r: he_normal(r, (6, 3, 5, 5), 75),
        "he_uniform": lambda r: he_uniform(r, (6, 3, 5, 5), 75),
        "xavier_uniform": lambda r: xavier_uniform(r, (6, 3, 5, 5), 75, 150),
        "xavier_normal": lambda r: xavier_normal(r, (6, 3, 5, 5), 75, 150),
        "lecun_uniform": lambda r: lecun_uniform(r, (6, 3, 5, 5), 75),
    }
    got = initialise(name, rng(4), (6, 3, 5, 5), 75, 150)
    np.testing.assert_array_equal(got, functions[expected](rng(4)))


@pytest.mark.parametrize("name", ["he", "xavier", "lecun"])
def test_same_seed_same_weights_and_dtype(name):
    a = initialise(name, rng(7), (8, 9), 9, 8)
    b = initialise(name, rng(7), (8, 9), 9, 8)
    c = initialise(name, rng(8), (8, 9), 9, 8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert initialise(name, rng(7), (8, 9), 9, 8, np.float64).dtype == np.float64


def test_all_randomness_comes_from_the_generator():
    np.random.seed(0)
    a = initialise("he", rng(1), (5, 5), 5, 5)
    np.random.seed(99)
    b = initialise("he", rng(1), (5, 5), 5, 5)
    np.testing.assert_array_equal(a, b)


def test_unknown_initialiser():
    with pytest.raises(EngineError) as info:
        initialise("glorot", rng(), (2, 2), 2, 2)
    assert info.value.code == "unknown_init" and "he, he_normal" in str(info.value)


@pytest.mark.parametrize("fan_in,fan_out", [(0, 3), (-2, 3), (2.5, 3), (3, None), (3, 0)])
def test_bad_fans(fan_in, fan_out):
    with pytest.raises(EngineError) as info:
        initialise("xavier", rng(), (2, 2), fan_in, fan_out)
    assert info.value.code == "bad_fan"


@pytest.mark.parametrize("layer", [{"type": "dense", "units": 400}, {"type": "conv", "filters": 400, "kernel": 3}])
def test_lecun_and_its_alias_lecun_uniform_initialise_biases_alike(layer):
    """PyTorch's default (Linear and Conv2d reset_parameters): the bias is U(-1/sqrt(fan_in),
    1/sqrt(fan_in)) as the weights; "lecun_uniform" is the same initialiser under its full name."""
    from engine.model import Sequential

    spec = {"input": [2, 5, 5] if layer["type"] == "conv" else [50], "layers": [layer]}
    short = Sequential.from_spec({**spec, "layers": [{**layer, "init": "lecun"}]}, seed=3)
    full = Sequential.from_spec({**spec, "layers": [{**layer, "init": "lecun_uniform"}]}, seed=3)
    fan_in = 2 * 3 * 3 if layer["type"] == "conv" else 50
    for model in (short, full):
        b = next(v for k, v in model.params.items() if k.endswith(".b"))
        assert np.abs(b).max() <= 1 / math.sqrt(fan_in)
        assert np.abs(b).max() > 0.9 / math.sqrt(fan_in)  # 400 draws reach near the bound, not zeros
    for name, value in short.params.items():
        np.testing.assert_array_equal(value, full.params[name])
