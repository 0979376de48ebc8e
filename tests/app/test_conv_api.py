"""POST /api/conv: the notes' worked examples, the trace's shape, and every kind of bad input."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

# textbook_cases.json names -> the preset names the lab serves them under
PRESET_OF = {
    "basic 3x3 * 2x2": "basic",
    "with bias 2": "bias",
    "zero padding 1": "padding",
    "stride 2": "stride",
    "5x5 image, 3x3 filter, ReLU": "relu5x5",
    "5x5 image, 3x3 filter, stride 2": "relu5x5-stride2",
}
FIELDS = ("input", "kernel", "bias", "stride", "padding")


def conv(client, lang="en", **body):
    return client.post(f"/api/conv?lang={lang}", json=body)


def case_body(case):
    body = {k: case[k] for k in FIELDS}
    if "activation" in case:
        body["activation"] = case["activation"]
    return body


@pytest.fixture(scope="module")
def presets():
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app()) as c:
        return c.get("/api/conv/presets").json()


def test_every_textbook_convolution_has_a_preset_with_its_numbers(textbook, presets):
    assert {case["name"] for case in textbook["convolution"]} == set(PRESET_OF)
    for case in textbook["convolution"]:
        preset = presets[PRESET_OF[case["name"]]]
        for key in FIELDS:
            assert preset[key] == case[key], (case["name"], key)
        assert preset.get("activation") == case.get("activation")


@pytest.mark.parametrize("name", sorted(PRESET_OF))
def test_textbook_outputs(client, textbook, name):
    case = next(c for c in textbook["convolution"] if c["name"] == name)
    r = conv(client, **case_body(case))
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["output"] == case["output"]
    oh, ow = len(case["output"]), len(case["output"][0])
    assert data["output_shape"] == [oh, ow]
    assert len(data["steps"]) == oh * ow
    assert [s["value"] for s in data["steps"]] == [v for row in case["output"] for v in row]
    if "output_size" in case:  # "OH = (3 + 2*1 - 2)/1 + 1 = 4" or "W2 = (5 - 3 + 2*0)/2 + 1 = 2"
        assert data["formula"][0].endswith(f"= {oh}") and data["formula"][1].endswith(f"= {ow}")
        h, k, p, s = len(case["input"]), len(case["kernel"]), case["padding"], case["stride"]
        # the notes' (H + 2P - K)/S + 1 as PyTorch writes it: floor((H + 2P - 1*(K - 1) - 1) / S) + 1
        assert data["formula"][0].startswith(f"OH = ⌊({h} + 2·{p} − 1·({k} − 1) − 1) / {s}⌋ + 1 = ")


def test_first_steps_are_the_notes_arithmetic(client, textbook):
    cases = {c["name"]: c for c in textbook["convolution"]}
    basic = cases["basic 3x3 * 2x2"]  # "0*0 + 1*1 + 3*2 + 4*3 = 19"
    step = conv(client, **case_body(basic)).json()["steps"][0]
    pairs, total = basic["first_step"].split(" = ")
    expected = [tuple(float(v) for v in p.split("*")) for p in pairs.split(" + ")]
    assert list(zip(step["inputs"], step["weights"])) == expected
    assert step["sum"] == step["value"] == float(total)
    assert step["products"] == [a * b for a, b in expected]
    relu = cases["5x5 image, 3x3 filter, ReLU"]  # "relu(1+0+1+0+1+0+0+0+1+0) = relu(4) = 4"
    step = conv(client, **case_body(relu)).json()["steps"][0]
    m = re.match(r"relu\(([\d+]+)\) = relu\((\d+)\) = (\d+)", relu["first_step"])
    products = [float(v) for v in m.group(1).split("+")]
    # the notes write the products of the 3x3 window (and one extra 0); ours are in window order
    assert sum(step["products"]) == sum(products) == step["z"] == float(m.group(2))
    assert step["value"] == float(m.group(3))


def test_trace_fields_and_order(client):
    x = [[1, -2, 3, 0], [4, 5, -6, 1], [7, 8, 9, -1]]
    k = [[[[1, 0], [0, -1]]], [[[2, 1], [1, 0]]]]  # 2 filters, 1 channel
    data = conv(client, input=x, kernel=k, bias=[1, -1], stride=1, padding=1).json()
    assert data["output_shape"] == [2, 4, 5]
    assert data["padded_shape"] == [1, 5, 6] and data["kernel_shape"] == [2, 1, 2, 2]
    order = [(s["filter"], s["row"], s["col"]) for s in data["steps"]]
    assert order == sorted(order) and len(order) == 2 * 4 * 5
    for s in data["steps"]:
        assert s["products"] == [a * b for a, b in zip(s["inputs"], s["weights"])]
        assert s["z"] == pytest.approx(s["sum"] + s["bias"]) and s["value"] == s["z"]
        assert s["bias"] == [1, -1][s["filter"]]
        assert data["output"][s["filter"]][s["row"]][s["col"]] == s["value"]
        assert s["cells"][0] == [0, s["top"], s["left"]]


def test_multichannel_is_the_sum_of_the_channels_plus_one_bias(client, presets):
    p = presets["multichannel"]
    assert np.array(p["input"]).shape == (3, 4, 4) and np.array(p["kernel"]).shape == (1, 3, 3, 3)
    data = conv(client, **{k: p[k] for k in FIELDS}).json()
    assert data["output_shape"] == [1, 2, 2]
    per_channel = [
        np.array(conv(client, input=p["input"][c], kernel=p["kernel"][0][c]).json()["output"]) for c in range(3)
    ]
    assert np.array(data["output"][0]).tolist() == (sum(per_channel) + p["bias"][0]).tolist()
    assert len(data["steps"][0]["products"]) == 27


def test_im2col_is_the_same_convolution(client):
    x = [[[1, 2, 0, 3], [4, 1, 1, 0], [2, 2, 5, 1]], [[0, 1, 1, 1], [3, 0, 2, 2], [1, 4, 0, 1]]]
    k = [[[[1, -1], [0, 2]], [[1, 0], [1, 1]]], [[[0, 1], [1, 0]], [[2, 0], [0, -1]]]]
    data = conv(client, input=x, kernel=k, bias=[0.5, -2], padding=1, stride=[1, 2]).json()
    m = data["im2col"]
    f, oh, ow = data["output_shape"]
    assert np.array(m["columns"]).shape == (2 * 2 * 2, oh * ow)
    assert np.array(m["kernel_rows"]).shape == (2, 8)
    assert np.array(m["product"]).reshape(f, oh, ow).tolist() == data["output"]
    for j, step in enumerate(data["steps"][: oh * ow]):  # column j is the window of step j
        assert [row[j] for row in m["columns"]] == step["inputs"]
    assert m["row_offsets"][:3] == [[0, 0, 0], [0, 0, 1], [0, 1, 0]]


def test_im2col_is_left_out_when_too_large(client):
    data = conv(client, input=np.ones((40, 40)).tolist(), kernel=np.ones((3, 3)).tolist()).json()
    assert data["im2col"] is None and data["output_shape"] == [38, 38]
    assert conv(client, input=[[1, 2], [3, 4]], kernel=[[1]], im2col=False).json()["im2col"] is None


def test_dilation_stride_pairs_and_activation(client):
    x = np.arange(25).reshape(5, 5).tolist()
    data = conv(client, input=x, kernel=[[1, 0], [0, -1]], dilation=2).json()
    assert data["output_shape"] == [3, 3] and data["dilation"] == [2, 2]
    assert data["steps"][0]["cells"] == [[0, 0, 0], [0, 0, 2], [0, 2, 0], [0, 2, 2]]
    data = conv(client, input=x, kernel=[[1]], stride=[2, 1]).json()
    assert data["output_shape"] == [3, 5] and data["stride"] == [2, 1]
    data = conv(client, input=x, kernel=[[-1]], activation="relu").json()
    assert all(s["value"] == max(0.0, s["z"]) for s in data["steps"]) and data["activation"] == "relu"


def test_a_traced_16x16_input_is_accepted_and_64x64_is_the_limit(client):
    assert conv(client, input=np.ones((64, 64)).tolist(), kernel=[[1, 1], [1, 1]]).status_code == 200
    r = conv(client, input=np.ones((65, 64)).tolist(), kernel=[[1]])
    assert r.status_code == 422 and r.json()["code"] == "too_big" and "64" in r.json()["detail"]


def test_presets_page_links(client, presets):
    assert set(presets) >= {"basic", "bias", "padding", "stride", "relu5x5", "relu5x5-stride2", "multichannel"}
    for name in presets:
        assert client.get(f"/conv?preset={name}").status_code == 200


# ---- bad input: 4xx with a message a student can act on, never a 500 ----

GOOD = {"input": [[0, 1, 2], [3, 4, 5], [6, 7, 8]], "kernel": [[0, 1], [2, 3]]}
BAD = {
    "ragged rows": ({"input": [[1, 2, 3], [4, 5]]}, "ragged", "row 2 has 2 number(s) but row 1 has 3"),
    "text": ({"input": [[1, "x"], [3, 4]]}, "not_number", "row 1, column 2"),
    "boolean": ({"kernel": [[True, 1]]}, "not_number", "kernel"),
    "blank cell": ({"input": [[1, " "]]}, "blank_cell", "row 1, column 2: the cell is empty"),
    "null": ({"input": [[1, None]]}, "not_number", "row 1, column 2"),
    "empty": ({"input": []}, "empty", "empty"),
    "empty rows": ({"input": [[], []]}, "empty", "empty"),
    "not a grid": ({"input": "1 2 3"}, "not_grid", "grid"),
    "one dimension": ({"input": [1, 2, 3]}, "bad_grid_ndim", "2 or 3"),
    "mixed nesting": ({"input": [[1, 2], 3]}, "bad_nesting", "row 2"),
    "ragged channels": ({"input": [[[1, 2], [3, 4]], [[1, 2]]]}, "ragged_shape", "channel 2 is 1×2"),
    "zero stride": ({"stride": 0}, "bad_stride", "at least 1"),
    "negative stride": ({"stride": -1}, "bad_stride", "-1"),
    "negative padding": ({"padding": -1}, "bad_padding", "negative"),
    "zero dilation": ({"dilation": 0}, "bad_dilation", "at least 1"),
    "channel mismatch": ({"kernel": [[[1]], [[1]]]}, "channel_mismatch", "2 channel(s) but the input has 1"),
    "kernel larger than padded input": (
        {"input": [[1, 2], [3, 4]], "kernel": np.ones((3, 3)).tolist()},
        "kernel_too_big",
        "OH = ⌊(2 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = ⌊−1⌋ + 1 = 0",
    ),
    "oversize input": ({"input": np.ones((80, 80)).tolist()}, "too_big", "at most 64"),
    "too many channels": ({"input": np.ones((17, 2, 2)).tolist(), "kernel": [[[1]]]}, "too_big", "channels"),
    "too many filters": ({"kernel": np.ones((17, 1, 1, 1)).tolist()}, "too_big", "filters"),
    "kernel beyond the limit": (
        {"input": np.ones((20, 20)).tolist(), "kernel": np.ones((17, 17)).tolist()},
        "too_big",
        "at most 16",
    ),
    "huge padding": ({"padding": 40}, "too_large_value", "at most 16"),
    "huge number": ({"input": [[1e300, 1]]}, "number_too_large", "too large"),
    "bias per filter mismatch": ({"bias": [1, 2]}, "bias_mismatch", "1 filter(s) but 2 bias"),
    "text bias": ({"bias": "abc"}, "bad_number", "The bias: “abc” is not a usable number."),
    "text in a bias list": ({"bias": [1, "b"]}, "not_number", "The bias, value 2: “b” is not a number."),
    "unknown activation": ({"activation": "swish2"}, "unknown_activation", "swish2"),
    "stride as text": ({"stride": "two"}, "invalid_request", "whole number"),
    "stride triple": ({"stride": [1, 2, 3]}, "invalid_request", "pair"),
    "fractional padding": ({"padding": 0.5}, "invalid_request", "whole number"),
    "trace too long": (
        {"input": np.ones((64, 64)).tolist(), "kernel": np.ones((16, 1, 9, 9)).tolist()},
        "trace_too_long",
        "products",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_input_is_explained(client, kind):
    change, code, words = BAD[kind]
    r = conv(client, **{**GOOD, **change})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == code
    assert words in body["detail"], body["detail"]
    assert not re.search(r"\{\w+\}|error\.", body["detail"]), body["detail"]  # filled in and translated


def test_nan_and_infinity_in_raw_json(client):
    for text in ('{"input": [[1, NaN]], "kernel": [[1]]}', '{"input": [[1, Infinity]], "kernel": [[1]]}'):
        r = client.post("/api/conv", content=text, headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["code"] == "not_finite_at"
        assert "row 1, column 2" in r.json()["detail"]


# Found by tests/app/test_fuzz.py: an integer beyond the float range (JSON allows any length) made
# float() overflow in the bridge (500).
@pytest.mark.parametrize(
    "change, code, where",
    [
        ({"bias": 10**400}, "bad_number", "1e+400"),
        ({"bias": -(10**30)}, "bad_number", "-1e+30"),
        ({"input": [[0, 1, 2], [3, 10**400, 5], [6, 7, 8]]}, "number_too_large", "row 2, column 2: 1e+400"),
        ({"kernel": [[0, 1], [2, -(10**309)]]}, "number_too_large", "-1e+309"),
    ],
)
def test_integers_too_large_for_a_float(client, change, code, where):
    for lang in ("en", "zh"):
        r = conv(client, lang, **{**GOOD, **change})
        assert r.status_code == 422 and r.json()["code"] == code, r.text
        assert where.split(": ")[-1] in r.json()["detail"]
    assert where in conv(client, **{**GOOD, **change}).json()["detail"]


def test_a_stride_beyond_its_limit_is_refused_by_the_limit_first(client):
    r = conv(client, **{**GOOD, "stride": 10**30})  # not a giant formula
    assert r.status_code == 422 and r.json()["code"] == "too_large_value"
    assert r.json()["detail"] == "The stride is 1e+30; at most 64 is allowed."
    r = conv(client, "zh", **{**GOOD, "padding": [0, -(10**400)]})  # was a 500: the formula's float overflowed
    assert r.status_code == 422 and r.json()["code"] == "setting_too_large" and "-1e+400" in r.json()["detail"]


# Found by tests/app/test_fuzz.py: the convolution's activation parameters reached the engine as keyword
# arguments ("name" clashed: 500), and their errors kept the engine's one code, so Chinese pages got English.
@pytest.mark.parametrize(
    "activation, params, code, chinese",
    [
        ("leaky_relu", {"name": "x"}, "activation_param_unknown", "没有参数"),
        ("leaky_relu", {"a": "x"}, "activation_param_not_number", "必须是有限的数"),
        ("elu", {"alpha": 9}, "activation_param_range", "必须在"),
        ("maxout", {"weights": [1, 2], "biases": [1]}, "maxout_count_mismatch", "偏置"),
    ],
)
def test_activation_parameter_errors_have_their_own_codes(client, activation, params, code, chinese):
    body = {**GOOD, "activation": activation, "activation_params": params}
    r = conv(client, **body)
    assert r.status_code == 422 and r.json()["code"] == code, r.text
    r = conv(client, "zh", **body)
    assert r.status_code == 422 and r.json()["code"] == code and chinese in r.json()["detail"], r.text


def test_malformed_requests(client):
    r = client.post("/api/conv", content="{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"] == "The request is not valid JSON."
    r = client.post("/api/conv", json={"kernel": [[1]]})
    assert r.status_code == 422 and "input is missing" in r.json()["detail"].lower()
    r = client.post("/api/conv", json=[1, 2])
    assert r.status_code == 422 and "JSON object" in r.json()["detail"]


def test_messages_in_chinese(client):
    r = conv(client, "zh", input=[[1, 2], [3, 4]], kernel=np.ones((3, 3)).tolist())
    assert (
        r.json()["detail"]
        == "3×3 的卷积核放不进填充为 0 的 2×2 输入：OH = ⌊(2 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = ⌊−1⌋ + 1 = 0"
    )
    r = conv(client, "zh", **{**GOOD, "stride": 0})
    assert "步幅" in r.json()["detail"]
    r = conv(client, "zh", **{**GOOD, "input": [[1, "x"]]})
    assert r.json()["detail"] == "输入，第 1 行，第 2 列：“x”不是数字。"
    r = conv(client, "zh", **{**GOOD, "stride": "abc"})
    assert r.json()["detail"].startswith("步幅必须是") and "abc" in r.json()["detail"]
    r = conv(client, "zh", **{**GOOD, "kernel": [[[1]], [[1]]]})
    assert "通道" in r.json()["detail"] and "卷积核" in r.json()["detail"]
    r = conv(client, "zh", **{**GOOD, "bias": [1, 2]})
    assert "偏置" in r.json()["detail"]


def test_language_from_cookie_and_accept_language(client):
    body = {**GOOD, "padding": -1}
    assert "填充" in client.post("/api/conv", json=body, headers={"Accept-Language": "zh-CN,zh;q=0.9"}).json()["detail"]
    client.cookies.set("lang", "zh")
    assert "填充" in client.post("/api/conv", json=body).json()["detail"]
    assert "padding" in client.post("/api/conv?lang=en", json=body).json()["detail"]


def test_every_engine_and_bridge_code_is_in_both_catalogues():
    from app.i18n import catalogue

    root = Path(__file__).resolve().parents[2]
    sources = ("engine/shapes.py", "engine/reference.py", "engine/demos.py", "app/arrays.py", "app/routers/conv.py")
    codes = set(re.findall(r'EngineError\(\s*"(\w+)"', "".join((root / p).read_text("utf-8") for p in sources)))
    codes |= {"window_too_big", "body_too_large"}
    for lang in ("en", "zh"):
        missing = {c for c in codes if f"error.{c}" not in catalogue(lang)}
        assert not missing, (lang, missing)


def test_too_large_bodies_get_413(client):
    big = json.dumps({"input": [[0] * 64] * 64, "kernel": [[1]], "pad": "x" * 2_100_000})
    r = client.post("/api/conv", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "body_too_large" and "2,000,000" in r.json()["detail"]
    r = client.post("/api/conv?lang=zh", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "请求太大" in r.json()["detail"]

    def chunks():  # no Content-Length: the limit counts what arrives
        for _ in range(30):
            yield b" " * 100_000

    r = client.post("/api/conv", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert client.get("/health").status_code == 200  # and the server goes on serving


def test_answers_match_the_documented_models(client, presets):
    from app.schemas.conv import ConvTraceResponse

    for p in presets.values():
        body = {k: p[k] for k in FIELDS} | ({"activation": p["activation"]} if "activation" in p else {})
        ConvTraceResponse.model_validate(conv(client, **body).json(), strict=True)
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"ConvTraceRequest", "ConvTraceResponse", "ConvStep", "Im2colView", "ErrorResponse"} <= set(schema)


def test_traces_are_computed_in_a_worker_process(client):
    """A traced convolution runs its loops in app/compute.py's workers, not in the web process's threads
    (where they held the interpreter lock the event loop needs)."""
    import os

    from app import compute

    compute.shutdown()  # no workers: the request below must start them
    r = client.post("/api/conv", json={"input": [[1, 2], [3, 4]], "kernel": [[1]]})
    assert r.status_code == 200 and r.json()["output"] == [[1.0, 2.0], [3.0, 4.0]]
    started = compute._state["pool"]
    assert started is not None and started._processes and os.getpid() not in started._processes
    assert compute.pool().submit(os.getpid).result(timeout=30) != os.getpid()


def test_a_stride_that_leaves_a_remainder_rounds_down_and_says_what_is_never_read(client):
    """PyTorch's floor((H + 2P - D(K - 1) - 1) / S) + 1, worked by hand: a 4x4 input, a 2x2 kernel,
    stride 3 gives floor((4 - 1 - 1) / 3) + 1 = 1 (the engine used to refuse it); windows start at
    row 0 only and read rows 0 and 1: rows and columns 3 and 4 (1-based) are never read."""
    x = np.arange(16).reshape(4, 4).tolist()
    data = conv(client, input=x, kernel=[[1, 1], [1, 1]], stride=3).json()
    assert data["output"] == [[0 + 1 + 4 + 5]] and data["output_shape"] == [1, 1]
    assert data["unread"] == {"rows": [2, 3], "cols": [2, 3]}
    assert data["formula"][0] == "OH = ⌊(4 + 2·0 − 1·(2 − 1) − 1) / 3⌋ + 1 = ⌊0.6667⌋ + 1 = 1"
    # 7 columns, a 3-wide kernel, stride 2, dilation 1: floor(4 / 2) + 1 = 3 windows at 0, 2, 4: all read
    data = conv(client, input=np.ones((3, 7)).tolist(), kernel=np.ones((3, 3)).tolist(), stride=2).json()
    assert data["output_shape"] == [1, 3] and data["unread"] == {"rows": [], "cols": []}
    # a 1-wide kernel with stride 2 skips every other column: 1-based columns 2 and 4 are never read
    data = conv(client, input=np.ones((1, 5)).tolist(), kernel=[[1]], stride=2).json()
    assert data["output_shape"] == [1, 3] and data["unread"] == {"rows": [], "cols": [1, 3]}


def test_with_no_engine_workers_traces_are_computed_in_a_thread(client, monkeypatch):
    """CNN_PLAYGROUND_ENGINE_WORKERS=0 (a one-core machine): the same answers, no worker process."""
    from app import compute

    compute.shutdown()
    monkeypatch.setenv("CNN_PLAYGROUND_ENGINE_WORKERS", "0")
    r = client.post("/api/conv", json={"input": [[1, 2], [3, 4]], "kernel": [[2]]})
    assert r.status_code == 200 and r.json()["output"] == [[2.0, 4.0], [6.0, 8.0]]
    assert compute._state["pool"] is None
    r = client.post("/api/conv?lang=zh", json={"input": [[1, 2], [3, 4]], "kernel": [[1, 1, 1]]})
    assert r.status_code == 422 and r.json()["code"] == "kernel_too_big"
    monkeypatch.delenv("CNN_PLAYGROUND_ENGINE_WORKERS")
    compute.shutdown()
