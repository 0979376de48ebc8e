"""/api/activations: the list, every activation's curve and derivative, saturation regions, the
captions' facts, the vanishing gradient, and every kind of bad input (422 with a message, never 500)."""

import math

import numpy as np
import pytest

from engine.activations import ACTIVATIONS

NAMES = list(ACTIVATIONS)


def curve(client, lang="en", **body):
    return client.post(f"/api/activations?lang={lang}", json=body)


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def assert_refused(r, code, *fragments, status=422):
    assert r.status_code == status, r.text
    data = r.json()
    assert data["code"] == code, data
    for fragment in fragments:
        assert fragment in data["detail"], (fragment, data["detail"])
    assert "Traceback" not in data["detail"] and "{" not in data["detail"], data["detail"]
    return data


# -- the list ------------------------------------------------------------------------------------------


def test_list_names_every_activation_of_the_notes_with_slider_ranges(client, textbook):
    data = client.get("/api/activations").json()
    names = [a["name"] for a in data["activations"]]
    assert names == NAMES
    assert set(textbook["activations"]) <= set(names)
    specs = {a["name"]: {p["name"]: p for p in a["params"]} for a in data["activations"]}
    assert set(specs["leaky_relu"]) == {"a"} and set(specs["elu"]) == {"alpha"}
    assert set(specs["rrelu"]) == {"lower", "upper"} and set(specs["maxout"]) == {"k"} and set(specs["prelu"]) == {"a"}
    assert specs["maxout"]["k"]["integer"] is True
    assert set(specs["softplus"]) == {"beta", "threshold"} and set(specs["gelu"]) == {"approximate"}
    assert specs["gelu"]["approximate"]["choices"] == ["none", "tanh"]
    assert specs["gelu"]["approximate"]["default"] == "none"
    for params in specs.values():
        for p in params.values():
            if p["choices"] is not None:
                assert p["default"] in p["choices"] and p["min"] is None
                continue
            assert p["min"] <= p["default"] <= p["max"] and p["step"] > 0
    assert data["saturation_threshold"] == 0.05 and data["max_depth"] == 20
    assert data["xmin"] < 0 < data["xmax"]


# -- every activation, its curve and derivative ---------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_activation_answers_a_curve_whose_derivative_matches_its_slope(client, name):
    r = curve(client, name=name, xmin=-3, xmax=3, n=601)
    assert r.status_code == 200, r.text
    d = r.json()
    x, f, df = (np.array(d[k]) for k in ("x", "f", "df"))
    assert len(x) == len(f) == len(df) == 601 and x[0] == -3 and x[-1] == 3
    assert np.all(np.diff(x) > 0)
    # the analytic derivative against the slope of the sampled curve, away from kinks
    slope = (f[2:] - f[:-2]) / (x[2:] - x[:-2])
    smooth = np.abs(np.diff(df, 2)) < 1e-3
    assert np.allclose(slope[smooth], df[1:-1][smooth], atol=2e-4)
    assert d["formula"] == ACTIVATIONS[name]["formula"]
    assert set(d["params"]) >= {p["name"] for p in ACTIVATIONS[name]["params"]}


def test_sigmoid_and_tanh_values_and_the_notes_facts(client):
    d = curve(client, name="sigmoid").json()
    for x, f, df in zip(d["x"][::20], d["f"][::20], d["df"][::20]):
        assert f == pytest.approx(sigmoid(x), abs=1e-12)
        assert df == pytest.approx(sigmoid(x) * (1 - sigmoid(x)), abs=1e-12)
    facts = d["facts"]
    assert facts["max_df"] == pytest.approx(0.25) and facts["argmax_df"] == 0 and facts["df_0"] == 0.25
    t = curve(client, name="tanh").json()
    assert t["facts"]["identity_error"] < 1e-12  # tanh(z) = 2 sigmoid(2z) - 1
    for x, f in zip(t["x"][::30], t["f"][::30]):
        assert f == pytest.approx(2 * sigmoid(2 * x) - 1, abs=1e-12)
    assert t["facts"]["df_0"] == 1


def test_relu_derivative_is_one_for_positive_z_and_zero_otherwise(client):
    d = curve(client, name="relu").json()
    assert all(df == (1.0 if x > 0 else 0.0) for x, df in zip(d["x"], d["df"]))
    assert (d["facts"]["df_1"], d["facts"]["df_0"], d["facts"]["df_m1"]) == (1, 0, 0)


@pytest.mark.parametrize("name,param,value", [("leaky_relu", "a", 0.2), ("prelu", "a", -0.5), ("elu", "alpha", 0.4)])
def test_the_slider_parameter_changes_the_negative_side(client, name, param, value):
    d = curve(client, name=name, params={param: value}).json()
    assert d["params"][param] == value
    x, f = np.array(d["x"]), np.array(d["f"])
    neg = x < 0
    expected = value * x[neg] if name != "elu" else value * np.expm1(x[neg])
    assert np.allclose(f[neg], expected)
    assert np.allclose(f[~neg], x[~neg])


def test_rrelu_band_and_test_time_slope(client):
    d = curve(client, name="rrelu", params={"lower": 0.1, "upper": 0.3}).json()
    x = np.array(d["x"])
    assert np.allclose(d["f_lower"], np.where(x > 0, x, 0.1 * x))
    assert np.allclose(d["f_upper"], np.where(x > 0, x, 0.3 * x))
    assert d["facts"]["test_slope"] == pytest.approx(0.2)  # (l + u)/2
    assert np.allclose(d["f"], np.where(x > 0, x, 0.2 * x))
    assert "f_lower" not in curve(client, name="relu").json() or curve(client, name="relu").json()["f_lower"] is None


@pytest.mark.parametrize("k", [1, 2, 5, 10])
def test_maxout_has_k_pieces(client, k):
    d = curve(client, name="maxout", params={"k": k}).json()
    assert d["params"]["k"] == k and len(d["params"]["weights"]) == k
    assert len(set(d["df"])) <= k  # the slope is one of the k lines' slopes
    w, b = np.array(d["params"]["weights"]), np.array(d["params"]["biases"])
    assert np.allclose(d["f"], np.max(np.array(d["x"])[:, None] * w + b, axis=1))


def test_maxout_explicit_lines(client):
    d = curve(client, name="maxout", params={"weights": [-1, 0.5], "biases": [0, 1]}, xmin=-2, xmax=2, n=5).json()
    assert d["f"] == [2, 1, 1, 1.5, 2]


@pytest.mark.parametrize("name", [n for n in NAMES if ACTIVATIONS[n]["params"]])
def test_every_parameter_at_both_ends_of_its_slider(client, name):
    for p in ACTIVATIONS[name]["params"]:
        for value in p.get("choices") or (p["min"], p["max"]):
            params = {p["name"]: value}
            if name == "rrelu":  # keep lower <= upper
                params = {"lower": value, "upper": 1.0} if p["name"] == "lower" else {"lower": 0.0, "upper": value}
            r = curve(client, name=name, params=params)
            assert r.status_code == 200, (name, params, r.text)


@pytest.mark.parametrize("name", [n for n in NAMES if ACTIVATIONS[n]["params"]])
def test_every_parameter_beyond_its_slider_is_refused_with_the_numbers(client, name):
    for p in ACTIVATIONS[name]["params"]:
        if "choices" in p:  # a name, not a number: tested below (test_gelu_approximate_is_one_of_pytorchs_names)
            continue
        for value in (p["min"] - 1, p["max"] + 1):
            data = assert_refused(
                curve(client, name=name, params={p["name"]: value}),
                "activation_param_range",
                p["name"],
                f"{p['min']:g}",
                f"{p['max']:g}",
            )
            assert data["params"]["param"] == p["name"]


# -- GELU and softplus as PyTorch has them ------------------------------------------------------------


def test_gelu_is_exact_by_default_and_tanh_on_request(client):
    z = np.linspace(-4, 4, 81)
    exact = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in z]
    exact_d = [0.5 * (1 + math.erf(v / math.sqrt(2))) + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi) for v in z]
    d = curve(client, name="gelu", xmin=-4, xmax=4, n=81).json()
    assert d["params"] == {"approximate": "none"} and "erf" in d["formula"]
    np.testing.assert_allclose(d["f"], exact, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(d["df"], exact_d, rtol=1e-14, atol=1e-15)
    t = curve(client, name="gelu", params={"approximate": "tanh"}, xmin=-4, xmax=4, n=81).json()
    assert t["params"] == {"approximate": "tanh"} and "tanh" in t["formula"]
    c = math.sqrt(2 / math.pi)
    np.testing.assert_allclose(
        t["f"], [0.5 * v * (1 + math.tanh(c * (v + 0.044715 * v**3))) for v in z], rtol=1e-13, atol=1e-15
    )
    gap = max(abs(a - b) for a, b in zip(t["f"], exact))
    assert d["facts"]["approximation_gap"] == t["facts"]["approximation_gap"] == pytest.approx(gap, rel=1e-9)
    got = client.get("/api/activations/gelu?approximate=tanh&xmin=-4&xmax=4&n=81").json()
    assert got == curve(client, name="gelu", params={"approximate": "tanh"}, xmin=-4, xmax=4, n=81, depth=20).json()


def test_softplus_beta_and_threshold(client):
    d = curve(client, name="softplus", params={"beta": 2, "threshold": 3}, xmin=-3, xmax=3, n=61).json()
    assert d["params"] == {"beta": 2.0, "threshold": 3.0}
    for x, f, df in zip(d["x"], d["f"], d["df"]):
        if 2 * x > 3:  # PyTorch: the identity past the threshold
            assert f == x and df == 1.0
        else:
            assert f == pytest.approx(math.log1p(math.exp(2 * x)) / 2, rel=1e-14)
            assert df == pytest.approx(sigmoid(2 * x), rel=1e-14)
    assert d["facts"]["switch_z"] == 1.5
    assert d["facts"]["switch_jump"] == pytest.approx(math.log1p(math.exp(-3)) / 2, rel=1e-12)
    # the request's own threshold (saturation) and softplus's are separate
    both = curve(client, name="softplus", params={"threshold": 2}, threshold=0.2).json()
    assert both["threshold"] == 0.2 and both["params"]["threshold"] == 2.0
    assert client.get("/api/activations/softplus?beta=0.5").json()["params"] == {"beta": 0.5, "threshold": 20.0}


@pytest.mark.parametrize("value", ["Tanh", "exact", "", None, 1, True, ["tanh"]])
def test_gelu_approximate_is_one_of_pytorchs_names(client, value):
    data = assert_refused(
        curve(client, name="gelu", params={"approximate": value}),
        "activation_param_choice",
        "gelu",
        "approximate",
        "none, tanh",
        "PyTorch",
    )
    assert data["params"]["choices"] == ["none", "tanh"]
    assert_refused(
        curve(client, "zh", name="gelu", params={"approximate": value}),
        "activation_param_choice",
        "参数 approximate 必须是 none, tanh 之一",
    )


def test_bad_softplus_settings_in_both_languages(client):
    assert_refused(curve(client, name="softplus", params={"beta": 0}), "activation_param_range", "beta", "0.1", "10")
    assert_refused(curve(client, "zh", name="softplus", params={"beta": -2}), "activation_param_range", "beta", "之间")
    assert_refused(
        curve(client, name="softplus", params={"threshold": 51}), "activation_param_range", "threshold", "50"
    )
    assert_refused(curve(client, name="softplus", params={"beta": "2"}), "activation_param_not_number", "beta")
    assert_refused(curve(client, name="softplus", params={"alpha": 1}), "activation_param_unknown", "beta, threshold")
    assert_refused(client.get("/api/activations/gelu?approximate=sigmoid&lang=zh"), "activation_param_choice", "之一")


# -- saturation -----------------------------------------------------------------------------------------


def test_sigmoid_saturates_beyond_about_2_9(client):
    d = curve(client, name="sigmoid", xmin=-6, xmax=6, n=241).json()
    assert d["threshold"] == 0.05
    (a0, a1), (b0, b1) = d["saturation"]
    # sigmoid'(z) = 0.05 where sigmoid(z) = (1 - sqrt(0.8))/2, i.e. |z| = 2.887; samples are 0.05 apart
    edge = -math.log((1 + math.sqrt(0.8)) / (1 - math.sqrt(0.8)))
    assert a0 == -6 and edge - 0.05 <= a1 <= edge and b1 == 6 and -edge <= b0 <= -edge + 0.05
    x, df = np.array(d["x"]), np.array(d["df"])
    inside = ((x >= a0) & (x <= a1)) | ((x >= b0) & (x <= b1))
    assert np.all(np.abs(df[inside]) < 0.05) and np.all(np.abs(df[~inside]) >= 0.05)


def test_saturation_of_relu_leaky_relu_and_a_custom_threshold(client):
    assert curve(client, name="relu").json()["saturation"] == [[-6, 0]]  # ReLU'(0) = 0, as in the notes
    assert curve(client, name="leaky_relu", params={"a": 0.01}).json()["saturation"] == [[-6, 0]]
    assert curve(client, name="leaky_relu", params={"a": 0.1}).json()["saturation"] == []
    assert curve(client, name="relu", threshold=1).json()["saturation"] == [[-6, 0]]
    wide = curve(client, name="sigmoid", threshold=0.2).json()["saturation"]
    narrow = curve(client, name="sigmoid", threshold=0.01).json()["saturation"]
    assert wide[0][1] > narrow[0][1]


# -- the vanishing gradient -----------------------------------------------------------------------------


def test_sigmoid_passes_at_most_a_quarter_per_layer(client):
    g = curve(client, name="sigmoid", z=0, depth=20).json()["gradient"]
    assert g["layers"] == list(range(1, 21)) and g["factor"] == [0.25] * 20
    for n in range(1, 21):
        assert g["gradient"][n - 1] == pytest.approx(0.25**n, rel=1e-12)
    assert g["size"] == g["gradient"]
    steep = curve(client, name="sigmoid", z_mode="steepest").json()["gradient"]
    assert steep["z"] == 0 and steep["gradient"][-1] == pytest.approx(0.25**20)


def test_relu_passes_everything_for_positive_z_and_nothing_at_zero(client):
    steep = curve(client, name="relu", z_mode="steepest").json()
    assert steep["steepest_z"] > 0 and steep["gradient"]["gradient"] == [1.0] * 20
    assert curve(client, name="relu", z=2.5).json()["gradient"]["gradient"] == [1.0] * 20
    assert curve(client, name="relu", z=0).json()["gradient"]["gradient"] == [0.0] * 20


def test_gradient_at_another_z_and_depth(client):
    g = curve(client, name="sigmoid", z=2, depth=7).json()["gradient"]
    factor = sigmoid(2) * (1 - sigmoid(2))
    assert g["depth"] == 7 and len(g["gradient"]) == 7
    assert g["gradient"][-1] == pytest.approx(factor**7, rel=1e-12)
    m = curve(client, name="maxout", params={"k": 2}, z_mode="steepest", depth=5).json()["gradient"]
    assert [abs(v) for v in m["gradient"]] == m["size"] and m["size"][-1] == pytest.approx(2**5)


# -- GET with query parameters ----------------------------------------------------------------------------


def test_get_with_query_parameters_answers_like_post(client):
    got = client.get("/api/activations/leaky_relu?a=0.2&xmin=-2&xmax=2&n=9&depth=3&z=-1").json()
    posted = curve(client, name="leaky_relu", params={"a": 0.2}, xmin=-2, xmax=2, n=9, depth=3, z=-1).json()
    assert got == posted
    assert got["gradient"]["gradient"][-1] == pytest.approx(0.2**3)
    assert client.get("/api/activations/rrelu?lower=0.1&upper=0.3&lang=zh").json()["facts"][
        "test_slope"
    ] == pytest.approx(0.2)


# -- bad input ------------------------------------------------------------------------------------------------


def test_unknown_activation_in_both_languages(client):
    data = assert_refused(curve(client, name="swishy"), "unknown_activation", "swishy", "sigmoid")
    assert data["params"]["known"] == NAMES
    assert_refused(curve(client, "zh", name="swishy"), "unknown_activation", "未知的激活函数", "swishy")
    assert_refused(client.get("/api/activations/nope"), "unknown_activation", "nope")
    long = assert_refused(curve(client, name="x" * 5000), "unknown_activation")
    assert len(long["detail"]) < 400


@pytest.mark.parametrize(
    "body,code,fragments",
    [
        ({"name": "relu", "params": {"a": 0.1}}, "activation_takes_no_params", ["relu", "a"]),
        ({"name": "elu", "params": {"beta": 1}}, "activation_param_unknown", ["beta", "alpha"]),
        ({"name": "elu", "params": {"alpha": "big"}}, "activation_param_not_number", ["alpha", "big"]),
        ({"name": "leaky_relu", "params": {"a": [0.1]}}, "activation_param_not_number", ["a"]),
        ({"name": "maxout", "params": {"k": 2.5}}, "activation_param_not_integer", ["k", "2.5"]),
        ({"name": "rrelu", "params": {"lower": 0.5, "upper": 0.2}}, "rrelu_order", ["0.5", "0.2"]),
        ({"name": "sigmoid", "xmin": 3, "xmax": 1}, "curve_range_order", ["3", "1"]),
        ({"name": "sigmoid", "xmin": 2, "xmax": 2}, "curve_range_order", ["2"]),
        ({"name": "sigmoid", "xmin": -1e7}, "curve_range_limit", ["1e+06"]),
        ({"name": "sigmoid", "threshold": 0}, "bad_threshold", ["0"]),
        ({"name": "sigmoid", "threshold": 1.5}, "bad_threshold", ["1.5"]),
        ({"name": "maxout", "params": {"weights": [1e300, 1], "biases": [0, 0]}, "z": 1}, "overflow", []),
        ({"name": "maxout", "params": {"weights": [1e308, 1], "biases": [0, 0]}}, "overflow", []),
    ],
)
def test_bad_parameters_are_explained(client, body, code, fragments):
    assert_refused(curve(client, **body), code, *fragments)


# Found by tests/app/test_fuzz.py: a parameter named like an argument of the engine's functions
# ("name", "z", "xmin", "depth") was passed on as that argument (500: multiple values); maxout's
# list errors had no catalogue message (English in Chinese).
@pytest.mark.parametrize(
    "body,code,fragments,chinese",
    [
        (
            {"name": "leaky_relu", "params": {"a": 0.1, "name": None}},
            "activation_param_unknown",
            ["name", "a"],
            "没有参数",
        ),
        ({"name": "sigmoid", "params": {"z": 1}}, "activation_takes_no_params", ["z"], "没有参数"),
        ({"name": "elu", "params": {"xmin": 0, "depth": 3}}, "activation_param_unknown", ["depth"], "没有参数"),
        ({"name": "maxout", "params": {"weights": ""}}, "activation_param_list", ["weights", "1 to 32"], "列表"),
        ({"name": "maxout", "params": {"weights": [1] * 33}}, "activation_param_list", ["32"], "列表"),
        (
            {"name": "maxout", "params": {"biases": [1, 2]}},
            "maxout_biases_without_weights",
            ["without weights"],
            "没有权重",
        ),
        ({"name": "maxout", "params": {"weights": [1, 2], "biases": [0]}}, "maxout_count_mismatch", ["2", "1"], "偏置"),
        ({"name": "maxout", "params": {"k": 3, "weights": [1, 2]}}, "maxout_k_mismatch", ["k = 3", "2"], "权重"),
        # integers too large for a float (float() overflowed: 500)
        (
            {"name": "leaky_relu", "params": {"a": 10**400}},
            "activation_param_range",
            ["between 0 and 1", "1e+400"],
            "之间",
        ),
        ({"name": "maxout", "params": {"k": -(10**400)}}, "activation_param_range", ["-1e+400"], "之间"),
        (
            {"name": "maxout", "params": {"weights": [1, 10**309]}},
            "activation_param_not_number",
            ["1e+309"],
            "有限的数",
        ),
    ],
)
def test_parameters_named_like_arguments_and_maxout_lists(client, body, code, fragments, chinese):
    assert_refused(curve(client, **body), code, *fragments)
    assert_refused(curve(client, "zh", **body), code, chinese)


def test_a_query_parameter_named_like_an_argument(client):
    assert_refused(client.get("/api/activations/leaky_relu?name=x"), "activation_param_unknown", "name")
    assert_refused(client.get("/api/activations/relu?rng=1&lang=zh"), "activation_takes_no_params", "没有参数")


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({"name": "sigmoid", "n": 1}, "at least 2"),
        ({"name": "sigmoid", "n": 100000}, "at most 2001"),
        ({"name": "sigmoid", "depth": 0}, "at least 1"),
        ({"name": "sigmoid", "depth": 101}, "at most 100"),
        ({"name": "sigmoid", "xmin": "left"}, "number"),
        ({"name": "sigmoid", "z_mode": "worst"}, "steepest"),
        ({"name": 5}, "text"),
        ({"name": "elu", "params": [1]}, "object"),
        ({}, "missing"),
    ],
)
def test_malformed_requests_are_explained(client, body, fragment):
    assert_refused(curve(client, **body), "invalid_request", fragment)


@pytest.mark.parametrize(
    "raw,code",
    [
        (b'{"name": "sigmoid", "z": NaN}', "activation_param_not_number"),
        (b'{"name": "sigmoid", "xmin": NaN}', "curve_range_not_finite"),
        (b'{"name": "sigmoid", "xmax": Infinity}', "curve_range_not_finite"),
        (b'{"name": "elu", "params": {"alpha": NaN}}', "activation_param_not_number"),
        (b'{"name": "sigmoid"', "invalid_request"),
        (b"not json", "invalid_request"),
    ],
)
def test_nan_infinity_and_broken_json(client, raw, code):
    r = client.post("/api/activations", content=raw, headers={"content-type": "application/json"})
    assert_refused(r, code)


def test_nan_and_text_in_query_parameters(client):
    assert_refused(client.get("/api/activations/elu?alpha=nan"), "activation_param_not_number", "alpha")
    assert_refused(client.get("/api/activations/elu?alpha=wide"), "activation_param_not_number", "wide")
    assert_refused(client.get("/api/activations/elu?alpha=9"), "activation_param_range", "9")
    assert_refused(client.get("/api/activations/elu?xmin=nan"), "curve_range_not_finite")
    assert_refused(client.get("/api/activations/elu?n=1"), "invalid_request")


def test_messages_in_chinese(client):
    assert_refused(curve(client, "zh", name="leaky_relu", params={"a": 2}), "activation_param_range", "必须在", "2")
    assert_refused(curve(client, "zh", name="rrelu", params={"lower": 0.5, "upper": 0.2}), "rrelu_order", "下界")
    assert_refused(curve(client, "zh", name="sigmoid", xmin=3, xmax=1), "curve_range_order", "从小到大")
    assert_refused(curve(client, "zh", name="sigmoid", depth=0), "invalid_request", "层数")


def test_the_page_is_served_in_both_languages(client):
    for lang, title in (("en", "Activation lab"), ("zh", "激活函数实验室")):
        r = client.get(f"/activations?lang={lang}")
        assert r.status_code == 200 and title in r.text
        assert "/static/js/activation_lab.js" in r.text


def test_documented_at_docs(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/activations"]) and "get" in paths["/api/activations/{name}"]
    for path in ("/api/filter", "/api/filter/samples", "/api/filter/samples/{name}", "/api/filter/kernels"):
        assert path in paths
