"""Padding per side, "same"/"valid" and padding modes through POST /api/conv and POST /api/filter:
the answers (checked by hand), and every bad value refused in English and Chinese with the field named."""

import re

import pytest

X3 = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
CJK = re.compile(r"[\u4e00-\u9fff]")


def conv(client, lang="en", **body):
    return client.post(f"/api/conv?lang={lang}", json={"input": X3, "kernel": [[1, 1], [1, 1]], **body})


def test_same_with_an_even_kernel_puts_the_extra_row_and_column_last(client):
    data = conv(client, padding="same").json()
    assert data["padding"] == {"top": 0, "bottom": 1, "left": 0, "right": 1}
    assert data["padded_shape"] == [1, 4, 4] and data["output_shape"] == [3, 3]
    # sums of the 2x2 blocks of [1 2 3 0 / 4 5 6 0 / 7 8 9 0 / 0 0 0 0], worked out by hand
    assert data["output"] == [[12, 16, 9], [24, 28, 15], [15, 17, 9]]
    # 3 + 0 + 1 - 1*(2 - 1) - 1 = 2; / 1 = 2; + 1 = 3
    assert (
        data["formula"][0]
        == "OH = \u230a(3 + 0 + 1 \u2212 1\u00b7(2 \u2212 1) \u2212 1) / 1\u230b + 1 = \u230a2\u230b + 1 = 3"
    )
    assert data["padding_mode"] == "zeros"
    assert data["padding_source"] == {"rows": [0, 1, 2, None], "cols": [0, 1, 2, None]}


def test_reflect_padding_answer_shows_the_copies(client):
    data = conv(client, padding=1, padding_mode="reflect", kernel=[[1]]).json()
    # reflect by 1: row -1 is row 1, row 3 is row 1; the same for columns
    assert data["padding_source"] == {"rows": [1, 0, 1, 2, 1], "cols": [1, 0, 1, 2, 1]}
    assert data["padded_input"] == [
        [[5, 4, 5, 6, 5], [2, 1, 2, 3, 2], [5, 4, 5, 6, 5], [8, 7, 8, 9, 8], [5, 4, 5, 6, 5]]
    ]
    assert data["output"] == data["padded_input"][0]  # a 1x1 kernel of weight 1 shows the padded input
    assert data["im2col"]["columns"][0] == [v for row in data["padded_input"][0] for v in row]


@pytest.mark.parametrize(
    "mode,last_row", [("replicate", [7, 7, 8, 9, 9]), ("circular", [3, 1, 2, 3, 1]), ("zeros", [0, 0, 0, 0, 0])]
)
def test_other_modes(client, mode, last_row):
    data = conv(client, padding=1, padding_mode=mode, kernel=[[1]]).json()
    assert data["output"][-1] == last_row


def test_per_side_padding(client):
    data = conv(client, padding={"top": 2, "bottom": 0, "left": 0, "right": 1}, kernel=[[1]]).json()
    assert data["output_shape"] == [5, 4] and data["padded_shape"] == [1, 5, 4]
    assert data["output"][0] == [0, 0, 0, 0] and data["output"][2] == [1, 2, 3, 0]
    assert data["formula"][0].startswith("OH = \u230a(3 + 2 + 0 \u2212")
    assert data["formula"][1].startswith("OW = \u230a(3 + 0 + 1 \u2212")


def test_valid_and_a_pair(client):
    assert conv(client, padding="valid").json()["output_shape"] == [2, 2]
    assert conv(client, padding=[1, 0]).json()["padding"] == {"top": 1, "bottom": 1, "left": 0, "right": 0}


BAD = {
    "negative side": (
        {"padding": {"top": 0, "bottom": -1, "left": 0, "right": 0}},
        "bad_padding_side",
        "bottom padding cannot be negative",
        "下边的填充不能为负数",
    ),
    "missing side": ({"padding": {"top": 1, "left": 1}}, "padding_side_missing", "bottom, right", "bottom, right"),
    "unknown side": (
        {"padding": {"top": 1, "bottom": 1, "left": 1, "right": 1, "up": 1}},
        "padding_side_unknown",
        "up",
        "up",
    ),
    "side not a whole number": (
        {"padding": {"top": 1.5, "bottom": 0, "left": 0, "right": 0}},
        "not_integer",
        "The top padding must be a whole number",
        "上边的填充必须是整数",
    ),
    "unknown name": ({"padding": "full"}, "bad_padding_name", "“full”", "“full”"),
    "same with stride 2": ({"padding": "same", "stride": 2}, "same_padding_stride", "stride is 2", "步幅是 2"),
    "unknown mode": ({"padding_mode": "mirror"}, "bad_padding_mode", "“mirror”", "“mirror”"),
    "mode not text": ({"padding_mode": 3}, "invalid_request", "padding_mode", "padding_mode"),
    "reflect too big": (
        {"padding": 3, "padding_mode": "reflect"},
        "reflect_padding_too_big",
        "the top padding is 3, but the input has only 3 rows",
        "上边的填充是 3，而输入只有 3 行",
    ),
    "circular too big": (
        {"padding": [0, 4], "padding_mode": "circular"},
        "circular_padding_too_big",
        "the left padding is 4, but the input has only 3 columns",
        "左边的填充是 4，而输入只有 3 列",
    ),
    "a triple": ({"padding": [1, 2, 3]}, "invalid_request", "“valid” or “same”", "“same”"),
    "a boolean": ({"padding": True}, "invalid_request", "padding", "填充"),
    "a side beyond the limit": (
        {"padding": {"top": 40, "bottom": 0, "left": 0, "right": 0}},
        "too_large_value",
        "at most 16",
        "16",
    ),
    "kernel too big per side": (
        {"kernel": [[1] * 5] * 5, "padding": {"top": 0, "bottom": 1, "left": 0, "right": 1}},
        "kernel_too_big",
        "top 0, bottom 1, left 0, right 1",
        "上 0、下 1、左 0、右 1",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_bad_padding_is_refused_in_both_languages(client, kind, lang):
    change, code, english, chinese = BAD[kind]
    r = conv(client, lang, **change)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == code, body
    assert (english if lang == "en" else chinese) in body["detail"], body["detail"]
    assert not re.search(r"\{\w+\}|error\.|padding\.", body["detail"]), body["detail"]
    if lang == "zh" and code != "invalid_request":
        assert CJK.search(body["detail"]), body["detail"]


def test_filters_padding_mode_changes_only_the_border(client):
    image = [[100.0] * 6 for _ in range(5)]
    body = {"image": image, "kernel": [[-1, 1]], "padding": {"top": 0, "bottom": 0, "left": 0, "right": 1}}
    zeros = client.post("/api/filter", json=body).json()
    reflect = client.post("/api/filter", json={**body, "padding_mode": "reflect"}).json()
    replicate = client.post("/api/filter", json={**body, "padding_mode": "replicate"}).json()
    # a flat picture: every difference is 0 except where the kernel meets the padding, the last column:
    # zeros: 0 - 100 = -100 (a dark frame); reflect and replicate: 100 - 100 = 0 (no frame)
    assert zeros["output_shape"] == [5, 6] and zeros["padding_mode"] == "zeros"
    assert [row[-1] for row in zeros["output"]] == [-100] * 5
    assert [row[-1] for row in reflect["output"]] == [0] * 5 == [row[-1] for row in replicate["output"]]
    assert all(v == 0 for row in zeros["output"] for v in row[:-1])
    assert reflect["padding"] == {"top": 0, "bottom": 0, "left": 0, "right": 1}


def test_filters_trace_uses_the_padding_mode(client):
    image = [[float(10 * r + c) for c in range(5)] for r in range(4)]
    body = {
        "image": image,
        "kernel": [[1.0]],
        "padding": 1,
        "padding_mode": "circular",
        "trace": {"row": 0, "col": 0, "size": 2},
    }
    trace = client.post("/api/filter", json=body).json()["trace"]
    # circular: padded row -1 is row 3 (30..34), padded column -1 is column 4
    assert trace["input"] == [[34, 30], [4, 0]] and trace["output"] == [[34, 30], [4, 0]]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_filters_refuse_a_bad_mode(client, lang):
    r = client.post(
        f"/api/filter?lang={lang}", json={"image": "camera", "kernel": [[1]], "padding": 400, "padding_mode": "reflect"}
    )
    assert r.status_code == 422 and r.json()["code"] == "too_large_value"
    r = client.post(f"/api/filter?lang={lang}", json={"image": "camera", "kernel": [[1]], "padding_mode": "wrap"})
    assert r.status_code == 422 and r.json()["code"] == "bad_padding_mode"
    assert "padding_mode" in r.json()["detail"]


def test_a_network_with_the_new_paddings_checks(client):
    layers = [
        {"type": "conv", "filters": 2, "kernel": 4, "padding": "same", "padding_mode": "reflect"},
        {
            "type": "conv",
            "filters": 2,
            "kernel": 3,
            "padding": {"top": 0, "bottom": 2, "left": 1, "right": 1},
            "padding_mode": "circular",
        },
        {"type": "flatten"},
        {"type": "dense", "units": 10},
    ]
    r = client.post("/api/networks/check", json={"layers": layers})
    data = r.json()
    assert r.status_code == 200 and data["ok"], r.text
    # same keeps 28x28; per side: H 28 + 0 + 2 - 3 + 1 = 28, W 28 + 1 + 1 - 3 + 1 = 28
    assert [row["output_shape"] for row in data["layers"][:2]] == [[2, 28, 28], [2, 28, 28]]
    assert data["spec"]["layers"][1]["padding"] == {"top": 0, "bottom": 2, "left": 1, "right": 1}
    bad = [
        {"type": "conv", "filters": 2, "kernel": 3, "padding": "same", "stride": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 10},
    ]
    error = client.post("/api/networks/check?lang=zh", json={"layers": bad}).json()["error"]
    assert error["code"] == "same_padding_stride" and "步幅" in error["detail"], error
    bad[0] = {"type": "conv", "filters": 2, "kernel": 3, "padding_mode": "mirror"}
    error = client.post("/api/networks/check", json={"layers": bad}).json()["error"]
    assert error["code"] == "bad_padding_mode" and "mirror" in error["detail"], error
