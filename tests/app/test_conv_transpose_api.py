"""POST /api/conv_transpose and the /transposed page: a hand-computed trace, the presets' sizes
(Dumoulin & Visin's figures 4.1 to 4.7), every kind of bad input refused in English and Chinese
(never a 500), and a network with a transposed convolution in the network check and a run."""

import pytest

from tests.runs_support import make_registry, runs_client, wait_for

# Dumoulin & Visin (2016), chapter 4: preset -> (input side, output side) of the figure
FIGURES = {
    "fig4_1": (2, 4),
    "fig4_2": (6, 5),
    "fig4_3": (5, 5),
    "fig4_4": (7, 5),
    "fig4_5": (2, 5),
    "fig4_6": (3, 5),
    "fig4_7": (3, 6),
    "stride2": (3, 7),
    "dilation": (2, 4),
}
FIELDS = ("input", "kernel", "stride", "padding", "output_padding", "dilation")


def trace(client, lang="en", **body):
    return client.post(f"/api/conv_transpose?lang={lang}", json=body)


def test_a_hand_computed_trace(client):
    r = trace(client, input=[[1, 2], [3, 4]], kernel=[[1, 2], [3, 4]], stride=2, padding=1, bias=0.5)
    assert r.status_code == 200, r.text
    a = r.json()
    # the 4x4 scatter: each cell's copy value * K placed at (2i, 2j), no overlap
    assert a["scatter"] == [[1, 2, 2, 4], [3, 4, 6, 8], [3, 6, 4, 8], [9, 12, 12, 16]]
    assert a["output"] == [[4.5, 6.5], [6.5, 4.5]]  # the centre 2x2, plus the bias
    assert a["output_shape"] == [2, 2] and a["scatter_shape"] == [1, 4, 4] and a["crop"] == [1, 1, 2, 2]
    assert a["formula"][0] == "OH = (2 \u2212 1)\u00b72 \u2212 2\u00b71 + 1\u00b7(2 \u2212 1) + 0 + 1 = 2"
    # the convolution with the same settings takes 2 back to 2: floor((2 + 2 - 1 - 1) / 2) + 1
    assert a["conv_formula"][0].endswith("= 2")
    assert len(a["steps"]) == 4
    step = a["steps"][1]  # input row 0, column 1 (value 2)
    assert (step["row"], step["col"], step["input"], step["top"], step["left"]) == (0, 1, 2.0, 0, 2)
    assert step["cells"] == [[0, 0, 2], [0, 0, 3], [0, 1, 2], [0, 1, 3]]
    assert step["products"] == [2, 4, 6, 8]
    assert step["inside"] == [False, False, True, False]
    assert step["output_cells"] == [None, None, [0, 0, 1], None]
    assert not any(any(s["overlaps"]) for s in a["steps"])  # stride 2 with a 2x2 kernel: the copies tile
    assert step["partial"] == [[1, 2, 2, 4], [3, 4, 6, 8], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert a["steps"][-1]["partial"] == a["scatter"]


def test_channels_and_filters_in_pytorchs_weight_layout(client):
    # input 2 channels, kernel (C=2, F=3, 1, 1): out[f] = sum_c x[c] * W[c, f]
    r = trace(client, input=[[[1]], [[2]]], kernel=[[[[1]], [[2]], [[3]]], [[[10]], [[20]], [[30]]]], bias=[0, 1, 2])
    assert r.status_code == 200, r.text
    assert r.json()["output"] == [[[21]], [[43]], [[65]]] and r.json()["kernel_shape"] == [2, 3, 1, 1]


def test_presets_have_the_figures_sizes(client):
    presets = client.get("/api/conv_transpose/presets").json()
    assert set(presets) == set(FIGURES)
    for name, (side, out) in FIGURES.items():
        p = presets[name]
        assert len(p["input"]) == len(p["input"][0]) == side, name
        a = trace(client, **{k: p[k] for k in FIELDS}).json()
        assert a["output_shape"] == [out, out], name


def test_the_page_and_the_links(client):
    page = client.get("/transposed?lang=en")
    assert page.status_code == 200
    assert "Dumoulin" in page.text and "ConvTranspose2d" in page.text and "/static/js/transposed_lab.js" in page.text
    assert 'href="/transposed?lang=en"' in client.get("/conv?lang=en").text  # the nav and the conv lab's link
    assert client.get("/conv?lang=en").text.count('href="/transposed?lang=en"') == 2
    assert '<option value="conv_transpose">transposed convolution</option>' in client.get("/learn?lang=en").text
    zh = client.get("/transposed?lang=zh").text
    assert "转置卷积实验室" in zh and "反卷积" in zh


@pytest.mark.parametrize(
    "body,code,en,zh",
    [
        (
            dict(stride=2, output_padding=2),
            "bad_output_padding",
            (
                "output_padding must be smaller than the stride or the dilation (PyTorch's rule), got output_padding 2 with "
                "stride 2 and dilation 1."
            ),
            "output_padding 必须小于步幅或扩张率",
        ),
        (
            dict(padding=3),
            "transposed_output_too_small",
            (
                "The padding crops away the whole output of a transposed convolution of a 2×2 input with a 2×2 kernel: "
                "OH = (2 \u2212 1)\u00b71 \u2212 2\u00b73 + 1\u00b7(2 \u2212 1) + 0 + 1 = \u22123. Use less padding."
            ),
            "请减小填充",
        ),
        (
            dict(input=[[1] * 16] * 16, kernel=[[1] * 8] * 8, stride=8),
            "transposed_trace_too_long",
            "This trace would send 4,194,304 numbers",
            "最多只能显示 100,000 个",
        ),
        (dict(stride=0), "bad_stride", "The stride must be at least 1, got 0.", "步幅"),
        (dict(padding=-1), "bad_padding", "The padding cannot be negative, got -1.", "填充"),
        (dict(dilation=0), "bad_dilation", "The dilation must be at least 1, got 0.", "扩张率"),
        (dict(output_padding=-1), "bad_output_padding", "got output_padding -1", "output_padding"),
        (dict(output_padding=99), "too_large_value", "output_padding is 99; at most 64 is allowed", "64"),
        (dict(kernel=[[[1]]]), "bad_grid_ndim", "The kernel must have 2 or 4 dimensions, got 3.", "卷积核"),
        (dict(input=[[1, "x"]]), "not_number", "The input, row 1, column 2: “x” is not a number.", "不是数字"),
        (dict(input=[[[1]], [[2]]]), "channel_mismatch", "The kernel has 1 channel(s) but the input has 2", "通道"),
        (dict(bias=[1, 2]), "bias_mismatch", "There are 1 filter(s) but 2 bias value(s)", "偏置"),
        (dict(groups=2), "invalid_request", "Unknown field “groups”", "groups"),
        (dict(output_padding=True), "invalid_request", "output_padding must be a whole number", "output_padding"),
        (dict(stride=1.5), "invalid_request", "the stride must be a whole number", "步幅"),
    ],
)
def test_bad_input_is_refused_in_both_languages(client, body, code, en, zh):
    base = {"input": [[1, 2], [3, 4]], "kernel": [[1, 1], [1, 1]]}
    answers = {}
    for lang in ("en", "zh"):
        r = trace(client, lang, **{**base, **body})
        assert r.status_code == 422, r.text
        assert r.json()["code"] == code
        answers[lang] = r.json()["detail"]
    assert en.lower() in answers["en"].lower(), answers["en"]
    assert zh in answers["zh"], answers["zh"]
    assert answers["en"] != answers["zh"]


# ---- a network with a transposed convolution: the builder's check and a run -------------------------

LAYERS = [
    {"type": "conv", "filters": 4, "kernel": 3, "stride": 2},
    {"type": "relu"},
    {"type": "conv_transpose", "filters": 2, "kernel": 3, "stride": 2, "output_padding": 1},
    {"type": "relu"},
    {"type": "maxpool", "size": 4},
    {"type": "flatten"},
    {"type": "dense", "units": 10},
]


@pytest.fixture()
def runs():
    with runs_client(make_registry()) as c:
        yield c


def test_the_network_check_and_a_run(runs):
    answer = runs.post("/api/networks/check", json={"layers": LAYERS}).json()
    assert answer["ok"], answer["error"]
    row = answer["layers"][2]
    assert row["name"] == "conv_transpose1" and row["type"] == "conv_transpose"
    assert row["output_shape"] == [2, 28, 28] and row["params"] == 4 * 2 * 3 * 3 + 2
    assert row["train_bytes"] > 0 and answer["memory"]["train_mb"] > 0
    bad = [*LAYERS[:2], {**LAYERS[2], "output_padding": 2}, *LAYERS[3:]]
    for lang, words in (("en", "output_padding must be smaller"), ("zh", "output_padding 必须小于步幅或扩张率")):
        answer = runs.post(f"/api/networks/check?lang={lang}", json={"layers": bad}).json()
        assert not answer["ok"] and answer["error"]["index"] == 2 and answer["error"]["code"] == "bad_output_padding"
        assert words in answer["error"]["detail"]
    r = runs.post("/api/runs", json={"layers": LAYERS, "batch_size": 32, "epochs": 1})
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    done = wait_for(lambda: (run := runs.get(f"/api/runs/{run_id}").json())["state"] == "done" and run)
    assert done["result"]["reason"] == "finished" and done["progress"]["step"] == 16
