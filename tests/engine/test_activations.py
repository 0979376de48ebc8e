"""Activations: the plotting API (values, analytic derivatives, parameter checks) and the layers
(finite-difference gradient checks in float64, shapes, dtypes, configs)."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import activations as A
from engine.errors import EngineError
from engine.gradcheck import check_layer

TOL = 1e-6
# Points where an activation's derivative is 0 (a relative error is meaningless there) or has a kink.
CRITICAL = {
    "relu": [0.0],
    "leaky_relu": [0.0],
    "prelu": [0.0],
    "rrelu": [0.0],
    "elu": [0.0],
    "gelu": [-0.7518],
    "silu": [-1.2785],
}


def sample(rng, shape, avoid=(), margin=0.1, scale=2.0):
    """Normal samples (std scale/2) within [-3.5, 3.5], pushed at least ``margin`` away from every
    point in ``avoid``. Beyond 3.5 the saturating derivatives are so small (tanh'(5) = 2e-4) that
    the central difference itself loses the digits the check asks for."""
    x = np.clip(rng.standard_normal(shape) * scale / 2, -3.5, 3.5)
    for point in avoid:
        near = np.abs(x - point) < margin
        x[near] = point + np.where(x[near] >= point, margin, -margin) * 2
    return x


def numerical_df(act, x, eps=1e-6):
    return (act.f(x + eps) - act.f(x - eps)) / (2 * eps)


def rel(a, b):
    return np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-300))


# -- the plotting API -------------------------------------------------------------------------------


def test_every_activation_of_the_notes_is_listed(textbook):
    names = list(A.ACTIVATIONS)
    assert set(textbook["activations"]) <= set(names)
    assert {"softplus", "gelu", "silu"} <= set(names)
    for name, entry in A.ACTIVATIONS.items():
        act = A.get(name)
        assert act.name == name
        for p in entry["params"]:
            if "choices" in p:
                assert p["default"] in p["choices"] and set(p) == {"name", "default", "choices"}
            else:
                assert p["min"] <= p["default"] <= p["max"] and p["step"] > 0
            assert act.params[p["name"]] == p["default"]


def test_default_parameters_are_the_notes_and_pytorch_ones():
    assert A.get("leaky_relu").params == {"a": 0.01}
    assert A.get("rrelu").params == {"lower": 1 / 8, "upper": 1 / 3}
    assert A.get("elu").params == {"alpha": 1.0}
    assert A.get("prelu").params == {"a": 0.25}
    assert A.get("gelu").params == {"approximate": "none"}  # torch.nn.GELU()
    assert A.get("softplus").params == {"beta": 1.0, "threshold": 20.0}  # torch.nn.Softplus()


# Parameter sets away from defaults, so that a parameter that is ignored shows up.
PARAM_CASES = [(name, {}) for name in A.ACTIVATIONS] + [
    ("leaky_relu", {"a": 0.2}),
    ("prelu", {"a": -0.3}),
    ("rrelu", {"lower": 0.1, "upper": 0.5}),
    ("elu", {"alpha": 0.4}),
    ("maxout", {"k": 5}),
    ("maxout", {"k": 1}),
    ("gelu", {"approximate": "tanh"}),
    ("softplus", {"beta": 2.5, "threshold": 50.0}),
    ("softplus", {"beta": 0.3, "threshold": 0.0}),
    ("maxout", {"weights": [-1.0, 0.5, 2.0], "biases": [0.0, 1.0, -3.0]}),
]


def _maxout_kinks(params):
    w, b = params["weights"], params["biases"]
    return [(b[j] - b[i]) / (w[i] - w[j]) for i in range(len(w)) for j in range(i) if w[i] != w[j]]


def _avoid(name, params):
    """Kinks and zeros of f' to keep samples away from: maxout's corners, softplus's switch."""
    if name == "maxout":
        return _maxout_kinks(params)
    if name == "softplus":
        return [params["threshold"] / params["beta"]]
    return CRITICAL.get(name, [])


@pytest.mark.parametrize("name,params", PARAM_CASES)
def test_df_matches_numerical_derivative_of_f(name, params):
    act = A.get(name, **params)
    avoid = _avoid(name, act.params)
    x = sample(np.random.default_rng(3), 60, avoid, scale=4.0)
    num = numerical_df(act, x)
    assert act.f(x).dtype == np.float64 and act.df(x).shape == x.shape
    if name == "maxout" and act.params["k"] == 1:
        np.testing.assert_array_equal(act.df(x), 0.0)
        np.testing.assert_allclose(num, 0.0, atol=1e-9)
    else:
        assert rel(act.df(x), num) < TOL


def test_sigmoid_derivative_is_at_most_a_quarter_at_zero():
    act = A.get("sigmoid")
    z = np.linspace(-10, 10, 2001)
    d = act.df(z)
    assert act.df(0.0) == 0.25
    assert d.max() == 0.25 and z[d.argmax()] == 0.0
    y = act.f(z)
    np.testing.assert_allclose(d, y * (1 - y), rtol=1e-12)
    np.testing.assert_allclose(y, [1 / (1 + math.exp(-v)) for v in z], rtol=1e-12)


def test_sigmoid_is_stable_for_huge_inputs():
    act = A.get("sigmoid")
    y = act.f(np.array([-1000.0, 1000.0]))  # filterwarnings=error: an overflow would fail here
    np.testing.assert_array_equal(y, [0.0, 1.0])


@pytest.mark.parametrize("name", list(A.ACTIVATIONS))
def test_huge_inputs_give_finite_values_without_warnings(name):
    z = np.array([-1e30, -1e6, 1e6, 1e30])
    act = A.get(name)
    assert np.all(np.isfinite(act.f(z))) and np.all(np.isfinite(act.df(z)))
    layer = A.LAYER_TYPES[name]()
    layer.build((4,), np.random.default_rng(0), np.float32)
    x = z.astype(np.float32)[None, :]
    y = layer.forward(x, True)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(layer.backward(np.ones_like(y))))


def test_tanh_is_a_scaled_sigmoid():
    z = np.linspace(-6, 6, 241)
    tanh, sig = A.get("tanh"), A.get("sigmoid")
    np.testing.assert_allclose(tanh.f(z), 2 * sig.f(2 * z) - 1, atol=1e-14)
    np.testing.assert_allclose(tanh.df(z), 1 - tanh.f(z) ** 2, atol=1e-14)
    np.testing.assert_allclose(
        tanh.f(z), [(math.exp(v) - math.exp(-v)) / (math.exp(v) + math.exp(-v)) for v in z], atol=1e-14
    )


def test_relu_derivative_is_one_above_zero_and_zero_at_or_below():
    act = A.get("relu")
    z = np.array([-3.0, -1e-9, 0.0, 1e-9, 2.0])
    np.testing.assert_array_equal(act.f(z), [0, 0, 0, 1e-9, 2.0])
    np.testing.assert_array_equal(act.df(z), [0, 0, 0, 1, 1])


def test_leaky_relu_and_the_notes_max_of_0_1x_and_x():
    act = A.get("leaky_relu", a=0.1)
    z = np.linspace(-5, 5, 101)
    np.testing.assert_allclose(act.f(z), np.maximum(0.1 * z, z), atol=1e-15)
    np.testing.assert_array_equal(act.df(np.array([-2.0, 0.0, 3.0])), [0.1, 0.1, 1.0])


def test_rrelu_evaluation_slope_is_the_middle_of_the_range_and_band_brackets_it():
    lower, upper = 0.2, 0.6
    data = A.curve("rrelu", -4, 4, 81, lower=lower, upper=upper)
    neg = data["x"] < 0
    np.testing.assert_allclose(data["f"][neg], (lower + upper) / 2 * data["x"][neg], rtol=1e-14)
    np.testing.assert_allclose(data["df"][neg], 0.4)
    np.testing.assert_allclose(data["f_lower"][neg], lower * data["x"][neg], rtol=1e-14)
    np.testing.assert_allclose(data["f_upper"][neg], upper * data["x"][neg], rtol=1e-14)
    assert np.all(data["f_upper"] <= data["f"]) and np.all(data["f"] <= data["f_lower"])
    assert A.get("relu").band(data["x"]) is None


@pytest.mark.parametrize("alpha", [1.0, 0.4])
def test_elu_formula(alpha):
    act = A.get("elu", alpha=alpha)
    for z in [-5.0, -1.0, -0.25, 0.0, 0.5, 3.0]:
        expected = z if z >= 0 else alpha * (math.exp(z) - 1)
        assert act.f(z) == pytest.approx(expected, abs=1e-15)
        slope = 1.0 if z > 0 else alpha * math.exp(z)
        assert act.df(z) == pytest.approx(slope, rel=1e-14)
    assert np.isfinite(act.f(np.array([1000.0]))).all()  # no overflow warning on the unused branch


def test_softplus_silu_and_gelu_formulas():
    z = np.linspace(-6, 6, 49)
    sig = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(A.get("softplus").f(z), np.log1p(np.exp(z)), rtol=1e-13)
    np.testing.assert_allclose(A.get("softplus").df(z), sig, rtol=1e-13)
    np.testing.assert_allclose(A.get("silu").f(z), z * sig, rtol=1e-13)
    # The tanh approximation is within 5e-4 of the exact z*Phi(z), computed with math.erf.
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in z])
    assert 1e-4 < np.max(np.abs(A.get("gelu", approximate="tanh").f(z) - exact)) < 5e-4
    for approximate in ("none", "tanh"):
        assert A.get("gelu", approximate=approximate).f(0.0) == 0.0
        assert A.get("gelu", approximate=approximate).df(0.0) == 0.5


def _gelu_golden(v):
    """GELU and its derivative at one point, from the definition with math.erf (independent of the
    engine's erf): z Phi(z) and Phi(z) + z phi(z)."""
    cdf = 0.5 * (1 + math.erf(v / math.sqrt(2)))
    return v * cdf, cdf + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi)


def _gelu_tanh_golden(v):
    """The tanh form and its derivative, written out from the formula with math.tanh."""
    c = math.sqrt(2 / math.pi)
    u = c * (v + 0.044715 * v**3)
    t = math.tanh(u)
    return 0.5 * v * (1 + t), 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v)


def _softplus_golden(v, beta, threshold):
    """PyTorch's rule, per element: z past the threshold, else log1p(exp(beta z)) / beta."""
    if beta * v > threshold:
        return v, 1.0
    x = beta * v  # the logistic function written so that neither exp overflows (x down to -800 here)
    slope = 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
    return math.log1p(math.exp(x)) / beta, slope


GOLDEN_Z = np.concatenate([np.linspace(-9, 9, 721), [-0.7517916, 1e-8, -1e-8, 0.0, 25.0, -30.0]])


def test_exact_gelu_is_z_times_the_normal_cdf_to_machine_precision():
    act = A.get("gelu")
    golden = np.array([_gelu_golden(v) for v in GOLDEN_Z])
    np.testing.assert_allclose(act.f(GOLDEN_Z), golden[:, 0], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(act.df(GOLDEN_Z), golden[:, 1], rtol=1e-14, atol=1e-15)
    # A few values to the digits printed in tables of the normal distribution: Phi(1) = 0.8413447460685429.
    assert act.f(1.0) == pytest.approx(0.8413447460685429, abs=2e-16)
    assert act.f(-1.0) == pytest.approx(-0.15865525393145707, abs=2e-16)
    # Its minimum: f'(z) = 0 near z = -0.75179 (Hendrycks and Gimpel's figure shows the dip).
    assert abs(act.df(-0.7517916)) < 1e-6 and act.f(-0.7517916) == pytest.approx(-0.169971, abs=1e-6)


def test_gelu_tanh_form_matches_its_formula():
    act = A.get("gelu", approximate="tanh")
    golden = np.array([_gelu_tanh_golden(v) for v in GOLDEN_Z])
    np.testing.assert_allclose(act.f(GOLDEN_Z), golden[:, 0], rtol=1e-13, atol=1e-15)
    # (1 - tanh^2 cancels in the tails, where f' is tiny: compared in absolute terms there)
    np.testing.assert_allclose(act.df(GOLDEN_Z), golden[:, 1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("beta,threshold", [(1.0, 20.0), (2.0, 3.0), (0.5, 1.5), (10.0, 50.0), (0.1, 0.0)])
def test_softplus_beta_and_threshold_as_pytorch(beta, threshold):
    act = A.get("softplus", beta=beta, threshold=threshold)
    z = np.concatenate([np.linspace(-8, 8, 321), [threshold / beta, threshold / beta + 1e-9]])
    golden = np.array([_softplus_golden(v, beta, threshold) for v in z])
    np.testing.assert_allclose(act.f(z), golden[:, 0], rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(act.df(z), golden[:, 1], rtol=1e-14)
    past = beta * z > threshold
    np.testing.assert_array_equal(act.f(z)[past], z[past])  # the identity, exactly
    np.testing.assert_array_equal(act.df(z)[past], 1.0)


def test_softplus_switch_is_where_pytorch_puts_it():
    # beta z = threshold is not past it (PyTorch's test is beta z > threshold).
    act = A.get("softplus", beta=2.0, threshold=4.0)
    assert act.f(2.0) == pytest.approx(math.log1p(math.exp(4.0)) / 2, rel=1e-15)
    assert act.f(2.0 + 1e-12) == 2.0 + 1e-12
    # The drop at the switch is log(1 + e^-threshold) / beta.
    assert act.f(2.0) - 2.0 == pytest.approx(math.log1p(math.exp(-4.0)) / 2, rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(z=st.floats(-60, 60, allow_nan=False), approximate=st.sampled_from(["none", "tanh"]))
def test_gelu_properties(z, approximate):
    """GELU(z) - GELU(-z) = z (Phi(z) + Phi(-z) = 1; the tanh form too, tanh being odd), it lies
    between min(z, 0) - 0.17 and max(z, 0), and the exact one agrees with math.erf's value."""
    act = A.get("gelu", approximate=approximate)
    f, g = float(act.f(z)), float(act.f(-z))
    assert f - g == pytest.approx(z, abs=1e-12 * max(1.0, abs(z)))
    assert min(z, 0.0) - 0.17 <= f <= max(z, 0.0) + 1e-15
    golden = _gelu_golden(z) if approximate == "none" else _gelu_tanh_golden(max(-10.0, min(10.0, z)))
    if approximate == "none" or abs(z) <= 10:
        assert f == pytest.approx(golden[0], rel=1e-13, abs=1e-15)
        assert float(act.df(z)) == pytest.approx(golden[1], rel=1e-12, abs=1e-14)


@settings(max_examples=200, deadline=None)
@given(z=st.floats(-80, 80, allow_nan=False), beta=st.floats(0.1, 10), threshold=st.floats(0, 50))
def test_softplus_properties(z, beta, threshold):
    """Above max(z, 0) by at most log(2)/beta, below it only past the switch (where it is z itself);
    f' is sigmoid(beta z) in (0, 1], and the values are PyTorch's rule computed with math."""
    act = A.get("softplus", beta=beta, threshold=threshold)
    f, df = float(act.f(z)), float(act.df(z))
    assert max(z, 0.0) - 1e-12 <= f <= max(z, 0.0) + math.log(2) / beta + 1e-12
    assert 0.0 <= df <= 1.0
    golden = _softplus_golden(z, beta, threshold)
    assert f == pytest.approx(golden[0], rel=1e-13, abs=1e-300)
    assert df == pytest.approx(golden[1], rel=1e-13, abs=1e-300)


def test_maxout_default_pieces_are_tangents_that_approach_a_parabola():
    z = np.linspace(-4, 4, 801)
    gaps = []
    for k in range(1, 9):
        act = A.get("maxout", k=k)
        assert act.params["k"] == k and len(act.params["weights"]) == k == len(act.params["biases"])
        assert np.all(act.f(z) <= z**2 / 4 + 1e-12)  # tangents of a convex curve lie below it
        gaps.append(np.max(z**2 / 4 - act.f(z)))
    assert all(later < earlier for earlier, later in zip(gaps[1:], gaps[2:]))
    assert gaps[-1] < 0.1 < gaps[1]
    np.testing.assert_array_equal(A.get("maxout", k=1).f(z), 0.0)
    # The default pieces are deterministic.
    assert A.get("maxout", k=4).params == A.get("maxout", k=4).params


def test_maxout_explicit_pieces_override_the_default():
    act = A.get("maxout", weights=[0, 1], biases=[0, 0])
    z = np.linspace(-3, 3, 61)
    np.testing.assert_array_equal(act.f(z), np.maximum(z, 0))  # two pieces can make a ReLU
    assert act.params["k"] == 2
    act = A.get("maxout", weights=[1, -1])  # biases default to 0: |z|
    np.testing.assert_array_equal(act.f(z), np.abs(z))
    # Ties go to the first piece: at 0 both lines give 0, the derivative is the first slope.
    assert act.df(0.0) == 1.0
    np.testing.assert_array_equal(act.df(np.array([-2.0, 2.0])), [-1.0, 1.0])


ACTIVATION_PARAM_CODES = {
    "activation_param_range",
    "activation_param_not_number",
    "activation_param_not_integer",
    "activation_param_list",
    "activation_param_unknown",
    "activation_takes_no_params",
    "rrelu_order",
    "maxout_biases_without_weights",
    "maxout_count_mismatch",
    "maxout_k_mismatch",
    "maxout_bad_k",
}


@pytest.mark.parametrize(
    "name,params,fragment",
    [
        ("leaky_relu", {"a": 2.0}, "between 0 and 1, got 2"),
        ("leaky_relu", {"a": float("nan")}, "finite number"),
        ("leaky_relu", {"a": "0.1"}, "finite number"),
        ("leaky_relu", {"a": True}, "finite number"),
        ("elu", {"alpha": -1}, "between 0 and 5, got -1"),
        ("sigmoid", {"a": 0.1}, "unknown parameter(s) a; it takes no parameters"),
        ("elu", {"a": 0.1}, "it takes alpha"),
        ("rrelu", {"lower": 0.5, "upper": 0.2}, "lower (0.5) must not be larger than upper (0.2)"),
        ("maxout", {"k": 2.5}, "whole number, got 2.5"),
        ("maxout", {"k": 11}, "between 1 and 10, got 11"),
        ("maxout", {"weights": [1, 2], "biases": [0]}, "2 weight(s) but 1 bias(es)"),
        ("maxout", {"weights": [1, 2], "k": 3}, "k = 3 but 2 weight(s)"),
        ("maxout", {"biases": [1, 2]}, "without weights"),
        ("maxout", {"weights": []}, "list of 1 to"),
        ("maxout", {"weights": [1, float("inf")]}, "finite number"),
        ("softplus", {"beta": 0}, "between 0.1 and 10, got 0"),
        ("softplus", {"beta": -1.0}, "between 0.1 and 10, got -1"),
        ("softplus", {"threshold": -1}, "between 0 and 50, got -1"),
        ("softplus", {"beta": float("inf")}, "finite number"),
        ("softplus", {"threshold": "20"}, "finite number"),
        ("gelu", {"exact": True}, "it takes approximate"),
    ],
)
def test_bad_parameters_are_explained(name, params, fragment):
    with pytest.raises(EngineError) as info:
        A.get(name, **params)
    assert info.value.code in ACTIVATION_PARAM_CODES  # (each kind of problem has its own code: tests/app)
    assert name in str(info.value) and fragment in str(info.value)


@pytest.mark.parametrize("value", ["Tanh", "erf", "exact", "", None, True, 1, ["tanh"]])
def test_gelu_approximate_takes_pytorchs_names_only(value):
    with pytest.raises(EngineError) as info:
        A.get("gelu", approximate=value)
    assert info.value.code == "activation_param_choice"
    assert "gelu: approximate must be one of 'none', 'tanh'" in str(info.value)
    assert info.value.params["choices"] == ["none", "tanh"]
    with pytest.raises(EngineError):
        A.GELU(approximate=value)


def test_formula_follows_the_parameters():
    assert A.formula("gelu", A.get("gelu").params) == "z Phi(z) = 0.5 z (1 + erf(z / sqrt(2)))"
    assert "tanh" in A.formula("gelu", {"approximate": "tanh"})
    assert A.formula("softplus", {"beta": 2.0, "threshold": 20.0}) == A.ACTIVATIONS["softplus"]["formula"]
    assert A.formula("relu") == "max(0, z)"


@pytest.mark.parametrize("name", ["swish", "", None, "ReLU"])
def test_unknown_activation(name):
    with pytest.raises(EngineError) as info:
        A.get(name)
    assert info.value.code == "unknown_activation"
    assert "known: sigmoid, tanh, relu" in str(info.value)


def test_integral_float_k_is_accepted():
    assert A.get("maxout", k=3.0).params["k"] == 3


def test_curve_shapes_and_errors():
    data = A.curve("tanh", -2, 3, 11)
    assert set(data) == {"x", "f", "df"}
    assert all(v.shape == (11,) and v.dtype == np.float64 for v in data.values())
    assert data["x"][0] == -2 and data["x"][-1] == 3
    for kwargs, code in [
        ({"xmin": 1, "xmax": 1}, "curve_range_order"),
        ({"xmin": 2, "xmax": 1}, "curve_range_order"),
        ({"xmin": float("nan")}, "curve_range_not_finite"),
        ({"xmin": -1e7}, "curve_range_limit"),
        ({"n": 1}, "bad_curve_points"),
        ({"n": 10**6}, "bad_curve_points"),
        ({"n": 5.5}, "bad_curve_points"),
    ]:
        with pytest.raises(EngineError) as info:
            A.curve("tanh", **kwargs)
        assert info.value.code == code


def test_gradient_through_sigmoid_layers_vanishes():
    result = A.gradient_through_layers("sigmoid", 10)
    np.testing.assert_array_equal(result["layers"], np.arange(1, 11))
    np.testing.assert_allclose(result["gradient"], 0.25 ** np.arange(1, 11), rtol=1e-15)
    assert result["gradient"][-1] < 1e-6
    sampled = A.gradient_through_layers("sigmoid", 20, z=None, rng=np.random.default_rng(0))
    assert np.all(sampled["factor"] <= 0.25) and np.all(sampled["factor"] > 0)
    assert np.all(sampled["gradient"] <= 0.25 ** np.arange(1, 21))
    assert not np.all(sampled["z"] == sampled["z"][0])
    again = A.gradient_through_layers("sigmoid", 20, z=None, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(sampled["gradient"], again["gradient"])


def test_gradient_through_relu_and_tanh_layers_does_not_vanish_in_the_good_region():
    np.testing.assert_array_equal(A.gradient_through_layers("relu", 30, z=1.0)["gradient"], 1.0)
    np.testing.assert_array_equal(A.gradient_through_layers("tanh", 30, z=0.0)["gradient"], 1.0)
    np.testing.assert_array_equal(A.gradient_through_layers("relu", 3, z=-1.0)["gradient"], 0.0)
    leaky = A.gradient_through_layers("leaky_relu", 3, z=[-1.0, 2.0, -3.0], a=0.1)
    np.testing.assert_allclose(leaky["gradient"], [0.1, 0.1, 0.01])


@pytest.mark.parametrize(
    "kwargs", [{"depth": 0}, {"depth": 1001}, {"depth": 2.0}, {"depth": 3, "z": [0.0, 1.0]}, {"depth": 3, "z": None}]
)
def test_gradient_through_layers_errors(kwargs):
    with pytest.raises(EngineError) as info:
        A.gradient_through_layers("sigmoid", **kwargs)
    assert info.value.code == "bad_depth"


# -- layers ---------------------------------------------------------------------------------------------


def test_layer_types_match_the_activations():
    assert list(A.LAYER_TYPES) == list(A.ACTIVATIONS)
    for name, cls in A.LAYER_TYPES.items():
        assert cls.type == name
        layer = cls(name="act1")
        config = layer.config()
        assert json.loads(json.dumps(layer.spec())) == {"type": name, "name": "act1", **config}
        assert cls(**config).config() == config


def test_layer_configs_carry_their_arguments():
    assert A.LAYER_TYPES["leaky_relu"](a=0.1).config() == {"a": 0.1}
    assert A.LAYER_TYPES["prelu"](mode="channel", a=0.1).config() == {"mode": "channel", "a": 0.1}
    assert A.LAYER_TYPES["rrelu"](lower=0.1, upper=0.2).config() == {"lower": 0.1, "upper": 0.2}
    assert A.LAYER_TYPES["elu"](alpha=0.4).config() == {"alpha": 0.4}
    assert A.LAYER_TYPES["maxout"](k=3).config() == {"k": 3}
    assert A.LAYER_TYPES["gelu"]().config() == {"approximate": "none"}
    assert A.LAYER_TYPES["gelu"](approximate="tanh").config() == {"approximate": "tanh"}
    assert A.LAYER_TYPES["softplus"]().config() == {"beta": 1.0, "threshold": 20.0}
    assert A.LAYER_TYPES["softplus"](beta=2, threshold=5).config() == {"beta": 2.0, "threshold": 5.0}


@pytest.mark.parametrize(
    "make,code",
    [
        (lambda: A.LeakyReLU(a=5), "activation_param_range"),
        (lambda: A.ELU(alpha=float("nan")), "activation_param_not_number"),
        (lambda: A.RReLU(lower=0.5, upper=0.1), "rrelu_order"),
        (lambda: A.PReLU(mode="pixel"), "bad_prelu_mode"),
        (lambda: A.Maxout(k=0), "maxout_bad_k"),
        (lambda: A.Maxout(k=1.5), "maxout_bad_k"),
        (lambda: A.Softplus(beta=0), "activation_param_range"),
        (lambda: A.Softplus(threshold=float("nan")), "activation_param_not_number"),
        (lambda: A.GELU(approximate="sigmoid"), "activation_param_choice"),
    ],
)
def test_bad_layer_arguments(make, code):
    with pytest.raises(EngineError) as info:
        make()
    assert info.value.code == code


def _built(cls, in_shape, **kwargs):
    layer = cls(**kwargs)
    layer.build(in_shape, np.random.default_rng(7), np.float64)
    return layer


SHAPES = {"image": (4, 5, 6, 3), "vector": (5, 8)}  # (C, H, W, N) and (N, D)


def _per_sample(shape):
    return shape[:-1] if len(shape) == 4 else (shape[1],)


@pytest.mark.parametrize("kind", SHAPES)
@pytest.mark.parametrize("name", [n for n in A.LAYER_TYPES if n not in ("prelu", "maxout")])
@pytest.mark.parametrize("train", [False, True])
def test_elementwise_layer_gradients(name, kind, train):
    shape = SHAPES[kind]
    x = sample(np.random.default_rng(11), shape, CRITICAL.get(name, []), scale=3.0)
    layer = _built(A.LAYER_TYPES[name], _per_sample(shape))
    errors = check_layer(layer, x, train=train)
    assert set(errors) == {"x"}
    assert errors["x"] < TOL, errors


NON_DEFAULT = [
    ("leaky_relu", {"a": 0.2}),
    ("elu", {"alpha": 0.4}),
    ("rrelu", {"lower": 0.1, "upper": 0.5}),
    ("prelu", {"a": -0.3}),
    ("gelu", {"approximate": "tanh"}),
    ("softplus", {"beta": 2.0, "threshold": 1.0}),
    ("softplus", {"beta": 0.5, "threshold": 0.5}),
]


@pytest.mark.parametrize("name,params", NON_DEFAULT)
@pytest.mark.parametrize("train", [False, True])
def test_layer_gradients_with_non_default_parameters(name, params, train):
    # (softplus with these settings switches to z at 0.5 and 1.0: some samples lie past the switch)
    avoid = [0.0, params["threshold"] / params["beta"]] if name == "softplus" else [0.0, -0.7518]
    x = sample(np.random.default_rng(12), (3, 4, 4, 2), avoid, scale=3.0)
    layer = _built(A.LAYER_TYPES[name], (3, 4, 4), **params)
    errors = check_layer(layer, x, train=train)
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("name,params", [(n, {}) for n in A.LAYER_TYPES if n != "maxout"] + NON_DEFAULT)
def test_layer_forward_and_backward_agree_with_the_plotting_functions(name, params):
    x = sample(np.random.default_rng(5), (3, 4, 4, 2), _avoid(name, A.get(name, **params).params))
    layer = _built(A.LAYER_TYPES[name], (3, 4, 4), **params)
    act = A.get(name, **params)
    np.testing.assert_allclose(layer.forward(x), act.f(x), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(layer.backward(np.ones_like(x)), act.df(x), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", list(A.LAYER_TYPES))
def test_float32_stays_float32_and_dout_is_untouched(name):
    x = np.random.default_rng(2).standard_normal((4, 6, 6, 3)).astype(np.float32)  # (C, H, W, N)
    layer = A.LAYER_TYPES[name]()
    out_shape = layer.build((4, 6, 6), np.random.default_rng(0), np.float32)
    for train in (False, True):
        y = layer.forward(x, train)
        assert y.dtype == np.float32 and y.shape == (*out_shape, 3)
        dout = np.random.default_rng(3).standard_normal(y.shape).astype(np.float32)
        kept = dout.copy()
        dx = layer.backward(dout)
        assert dx.dtype == np.float32 and dx.shape == x.shape
        np.testing.assert_array_equal(dout, kept)
        for grad in layer.grads.values():
            assert grad.dtype == np.float32


def test_relu_layer_values_and_mask():
    layer = A.ReLU()
    x = np.array([[-1.0, 0.0, 2.0, -0.0, 3.5]], dtype=np.float32)
    np.testing.assert_array_equal(layer.forward(x), [[0, 0, 2, 0, 3.5]])
    np.testing.assert_array_equal(layer.backward(np.full_like(x, 7)), [[0, 0, 7, 0, 7]])


@pytest.mark.parametrize("kind", SHAPES)
@pytest.mark.parametrize("mode", ["layer", "channel"])
def test_prelu_gradients_including_its_slope(mode, kind):
    shape = SHAPES[kind]
    layer = _built(A.PReLU, _per_sample(shape), mode=mode, a=0.3)
    channels = _per_sample(shape)[0]
    assert layer.params["a"].shape == ((1,) if mode == "layer" else (channels,))
    np.testing.assert_array_equal(layer.params["a"], 0.3)
    layer.params["a"][:] = np.linspace(-0.2, 0.7, layer.params["a"].size)  # distinct slopes per channel
    x = sample(np.random.default_rng(13), shape, [0.0], scale=3.0)
    errors = check_layer(layer, x)
    assert set(errors) == {"x", "a"}
    assert max(errors.values()) < TOL, errors


def test_prelu_per_channel_slopes_apply_along_the_channel_axis():
    layer = _built(A.PReLU, (2, 1, 1), mode="channel")
    layer.params["a"][:] = [0.1, 0.5]
    x = -np.ones((2, 1, 1, 3))  # (C, H, W, N)
    np.testing.assert_allclose(layer.forward(x)[:, 0, 0, :], [[-0.1] * 3, [-0.5] * 3])
    layer = _built(A.PReLU, (2,), mode="channel")
    layer.params["a"][:] = [0.1, 0.5]
    np.testing.assert_allclose(layer.forward(-np.ones((3, 2))), [[-0.1, -0.5]] * 3)  # (N, D)
    layer.backward(np.ones((3, 2)))
    np.testing.assert_allclose(layer.grads["a"], [-3.0, -3.0])
    with pytest.raises(EngineError) as info:
        layer.forward(np.ones((3, 5)))
    assert info.value.code == "prelu_channels"


def test_rrelu_trains_with_random_slopes_in_range_and_evaluates_with_the_middle():
    layer = _built(A.RReLU, (1000,), lower=0.1, upper=0.3)
    x = -np.ones((2, 1000))
    y = layer.forward(x, train=True)
    slopes = -y
    assert np.all((slopes >= 0.1) & (slopes <= 0.3))
    assert slopes.std() > 0.05  # U[0.1, 0.3] has std 0.058: really one draw per element
    assert not np.array_equal(layer.forward(x, train=True), y)  # a new draw each batch
    np.testing.assert_allclose(layer.forward(x, train=False), -0.2)
    np.testing.assert_array_equal(layer.forward(-x, train=True), 1.0)  # positive side untouched
    # The draw comes from the layer's generator: the same seed gives the same slopes.
    a, b = _built(A.RReLU, (50,)), _built(A.RReLU, (50,))
    np.testing.assert_array_equal(a.forward(-np.ones((1, 50)), True), b.forward(-np.ones((1, 50)), True))


def test_rrelu_backward_uses_the_same_draw_as_forward():
    layer = _built(A.RReLU, (20,))
    x = -np.ones((1, 20))
    y = layer.forward(x, train=True)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), -y)


def test_unbuilt_rrelu_cannot_train():
    with pytest.raises(EngineError) as info:
        A.RReLU().forward(np.ones((2, 2)), train=True)
    assert info.value.code == "not_built"


@pytest.mark.parametrize("kind", SHAPES)
@pytest.mark.parametrize("k", [2, 4])
def test_maxout_gradients(kind, k):
    shape = SHAPES[kind]
    layer = _built(A.Maxout, _per_sample(shape), k=k)
    x = np.random.default_rng(17).standard_normal(shape)
    errors = check_layer(layer, x)
    assert errors["x"] < TOL, errors


def test_maxout_groups_consecutive_channels_and_reduces_the_shape():
    layer = A.Maxout(k=2)
    assert layer.build((6, 5, 5), np.random.default_rng(0)) == (3, 5, 5)
    assert A.Maxout(k=3).build((12,), np.random.default_rng(0)) == (4,)
    x = np.arange(6, dtype=np.float64).reshape(6, 1, 1, 1) * np.array([1, -1]).reshape(1, 1, 1, 2)
    y = layer.forward(x)  # (C, H, W, N): channels 0..5, sample 1 negated
    assert y.shape == (3, 1, 1, 2)
    np.testing.assert_array_equal(y[:, 0, 0, 0], [1, 3, 5])
    np.testing.assert_array_equal(y[:, 0, 0, 1], [0, -2, -4])
    vec = np.array([[1.0, 5.0, 2.0, 0.0, 9.0, 3.0]])  # (N, D), k = 3: groups (1, 5, 2) and (0, 9, 3)
    layer3 = A.Maxout(k=3)
    np.testing.assert_array_equal(layer3.forward(vec), [[5.0, 9.0]])
    np.testing.assert_array_equal(layer3.backward(np.array([[10.0, 20.0]])), [[0, 10, 0, 0, 20, 0]])


def test_maxout_ties_send_the_gradient_to_the_first_maximum():
    layer = A.Maxout(k=3)
    x = np.array([[2.0, 2.0, 2.0, -1.0, 4.0, 4.0]])
    np.testing.assert_array_equal(layer.forward(x), [[2.0, 4.0]])
    np.testing.assert_array_equal(layer.backward(np.array([[1.0, 1.0]])), [[1, 0, 0, 0, 1, 0]])


def test_maxout_channels_must_divide_by_k():
    with pytest.raises(EngineError) as info:
        A.Maxout(k=4, name="max1").build((6, 5, 5), np.random.default_rng(0))
    assert info.value.code == "maxout_channels"
    assert "6 channel(s)" in str(info.value) and "k = 4" in str(info.value) and "max1" in str(info.value)
    assert info.value.params == {"channels": 6, "k": 4, "layer": "max1"}  # the layer, for the message


def test_a_wrong_backward_fails_the_check():
    class HalfSigmoid(A.Sigmoid):
        def backward(self, dout):
            return 0.5 * super().backward(dout)

    x = np.random.default_rng(0).standard_normal((3, 4))
    assert check_layer(_built(HalfSigmoid, (4,)), x)["x"] > 0.3


def test_the_gradient_trend_names_vanishing_exploding_passing_and_dying():
    """Maxout's default pieces have slopes -2 and 2: ten layers multiply the gradient by (-2)^10 = 1024,
    an exploding gradient, and the demo must not present that as vanishing."""
    assert A.gradient_through_layers("sigmoid", 3)["trend"] == ["vanishes"] * 3
    maxout = A.gradient_through_layers("maxout", 10, z=0.0)
    assert maxout["factor"][0] == -2 and maxout["gradient"][-1] == 1024 and maxout["trend"] == ["explodes"] * 10
    assert A.gradient_through_layers("relu", 4, z=1.0)["trend"] == ["passes"] * 4
    assert A.gradient_through_layers("relu", 2, z=-1.0)["trend"] == ["dies"] * 2
    mixed = A.gradient_through_layers("maxout", 3, z=[0.0, 0.0, 0.0], weights=[0.5, 3.0], biases=[0.0, -10.0])
    assert mixed["trend"] == ["vanishes"] * 3
