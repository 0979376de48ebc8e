"""POST /api/pool: the notes' pooling examples, the traces, the translation demo, and bad input."""

import re

import numpy as np
import pytest

PRESET_OF = {"max pooling 2x2 stride 2": "max", "average pooling 2x2 stride 2": "avg"}
FIELDS = ("input", "mode", "size", "stride", "padding")


def pool(client, lang="en", **body):
    return client.post(f"/api/pool?lang={lang}", json=body)


def test_every_textbook_pooling_has_a_preset(client, textbook):
    presets = client.get("/api/pool/presets").json()
    assert {c["name"] for c in textbook["pooling"]} == set(PRESET_OF)
    for case in textbook["pooling"]:
        preset = presets[PRESET_OF[case["name"]]]
        assert {k: preset[k] for k in FIELDS} == {k: case[k] for k in FIELDS}
        assert client.get(f"/pool?preset={PRESET_OF[case['name']]}").status_code == 200


@pytest.mark.parametrize("name", sorted(PRESET_OF))
def test_textbook_outputs(client, textbook, name):
    case = next(c for c in textbook["pooling"] if c["name"] == name)
    data = pool(client, **{k: case[k] for k in FIELDS}).json()
    assert data["output"] == case["output"]
    assert data["output_shape"] == [len(case["output"]), len(case["output"][0])]
    x = np.array(case["input"])
    for s in data["steps"]:
        window = x[s["top"] : s["top"] + 2, s["left"] : s["left"] + 2].ravel().tolist()
        assert s["values"] == window
        assert s["value"] == case["output"][s["row"]][s["col"]]
        if case["mode"] == "max":
            assert s["values"][s["winner"]] == s["value"] == max(window)
            assert s["winner"] == window.index(max(window))  # the first maximum wins
        else:
            assert s["sum"] == sum(window) and s["count"] == 4 and s["value"] == s["sum"] / 4


def test_stride_defaults_to_the_window_and_channels_are_kept(client):
    x = np.arange(2 * 4 * 6).reshape(2, 4, 6).tolist()
    data = pool(client, input=x, size=2).json()
    assert data["stride"] == [2, 2] and data["output_shape"] == [2, 2, 3]
    assert [s["channel"] for s in data["steps"]] == [0] * 6 + [1] * 6
    assert data["formula"] == [
        "OH = ⌊(4 + 2·0 − 1·(2 − 1) − 1) / 2⌋ + 1 = ⌊1⌋ + 1 = 2",
        "OW = ⌊(6 + 2·0 − 1·(2 − 1) − 1) / 2⌋ + 1 = ⌊2⌋ + 1 = 3",
    ]
    assert data["unread"] == {"rows": [], "cols": []} and data["ceil_mode"] is False


def test_padding_never_wins_a_max_and_counts_in_an_average(client):
    x = [[-1, -2], [-3, -4]]
    data = pool(client, input=x, mode="max", size=2, stride=1, padding=1).json()
    first = data["steps"][0]
    assert first["values"] == [None, None, None, -1] and first["value"] == -1 and first["winner"] == 3
    data = pool(client, input=x, mode="avg", size=2, stride=1, padding=1).json()
    assert data["steps"][0]["values"] == [0, 0, 0, -1] and data["steps"][0]["value"] == -0.25
    assert data["padded_shape"] == [1, 4, 4]


def test_translation_demo_counts_what_changes(client):
    presets = client.get("/api/pool/presets").json()
    p = presets["shift"]
    data = pool(client, **{k: p[k] for k in FIELDS}, shift=p["shift"]).json()
    demo = data["translation"]
    x, shifted = np.array(p["input"]), np.array(demo["shifted_input"])
    assert shifted[:, 1:].tolist() == x[:, :-1].tolist() and shifted[:, 0].tolist() == [0] * 8  # moved right
    assert demo["input_changed"] == (shifted != x).tolist()
    assert demo["input_changed_count"] == int((shifted != x).sum()) and demo["input_total"] == 64
    again = pool(client, input=demo["shifted_input"], mode="max", size=2, stride=2).json()["output"]
    assert demo["shifted_output"] == again
    changed = np.array(again) != np.array(data["output"])
    assert demo["output_changed"] == changed.tolist()
    assert demo["output_changed_count"] == int(changed.sum()) and demo["output_total"] == 16
    assert demo["input_changed_percent"] == round(100 * demo["input_changed_count"] / 64, 1)
    # the point of the demo: far fewer pooled outputs change than cells of the map
    assert demo["output_changed_count"] / 16 < demo["input_changed_count"] / 64 / 2
    assert demo["verdict"] == "fewer"
    for direction, (dy, dx) in {"left": (0, -1), "down": (1, 0), "up": (-1, 0)}.items():
        moved = np.array(pool(client, input=p["input"], size=2, shift=direction).json()["translation"]["shifted_input"])
        assert np.array_equal(moved, np.roll(x, (dy, dx), axis=(0, 1)) * _inside(dy, dx))
    assert pool(client, input=p["input"], size=2).json()["translation"] is None


def test_translation_demo_on_the_notes_example_says_every_pooled_value_changed(client):
    """Shifted right, the notes' 4x4 example changes 13 of 16 cells and all 4 max-pooled outputs:
    the answer says so (verdict "all"), so the page does not claim "but only 4 of 4"."""
    notes = client.get("/api/pool/presets").json()["max"]
    demo = pool(client, input=notes["input"], mode="max", size=2, stride=2, shift="right").json()["translation"]
    assert (demo["input_changed_count"], demo["output_changed_count"], demo["output_total"]) == (13, 4, 4)
    assert demo["verdict"] == "all"
    demo = pool(client, input=notes["input"], mode="max", size=2, stride=2, shift="left").json()["translation"]
    assert (demo["output_changed_count"], demo["verdict"]) == (1, "fewer")


def _inside(dy, dx):
    mask = np.ones((8, 8))
    if dy == 1:
        mask[0] = 0
    if dy == -1:
        mask[-1] = 0
    if dx == -1:
        mask[:, -1] = 0
    return mask


GOOD = {"input": [[1, 2, 3, 3], [0, 1, 1, 5], [3, 0, 1, 0], [1, 4, 1, 2]]}
BAD = {
    "unknown mode": ({"mode": "median"}, "invalid_request", "max"),
    "ragged rows": ({"input": [[1, 2], [3]]}, "ragged", "row 2"),
    "text": ({"input": [["a", 2], [3, 4]]}, "not_number", "row 1, column 1"),
    "empty": ({"input": [[]]}, "empty", "empty"),
    "zero size": ({"size": 0}, "bad_window", "at least 1"),
    "negative size": ({"size": -3}, "bad_window", "got -3"),  # not "padding 0 is more than half the window"
    "too many window cells to trace": (
        {"input": np.ones((16, 64, 64)).tolist(), "size": 16, "stride": 1, "padding": 8},
        "pool_trace_too_long",
        "17,305,600",
    ),
    "zero stride": ({"stride": 0}, "bad_stride", "at least 1"),
    "negative padding": ({"padding": -1}, "bad_padding", "negative"),
    "padding over half the window": ({"padding": 2}, "pool_padding_too_big", "half"),
    "window larger than the input": (
        {"input": [[1]], "size": 3},
        "window_too_big",
        "⌊(1 + 2·0 − 1·(3 − 1) − 1) / 3⌋ + 1 = ⌊−0.6667⌋ + 1 = 0",
    ),
    "ceil_mode as a number": ({"ceil_mode": 1}, "invalid_request", "ceil_mode"),
    "count_include_pad as text": (
        {"mode": "avg", "count_include_pad": "false"},
        "invalid_request",
        "count_include_pad",
    ),
    "count_include_pad for max pooling": (
        {"mode": "max", "count_include_pad": False},
        "count_include_pad_max",
        "average pooling",
    ),
    "oversize input": ({"input": np.ones((10, 70)).tolist()}, "too_big", "at most 64"),
    "huge window": ({"size": 30}, "too_large_value", "at most 16"),
    "unknown shift": ({"shift": "diagonal"}, "invalid_request", "right"),
    "size as text": ({"size": "big"}, "invalid_request", "whole number"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_input_is_explained(client, kind):
    change, code, words = BAD[kind]
    r = pool(client, **{**GOOD, **change})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    assert words in r.json()["detail"], r.json()["detail"]
    assert not re.search(r"\{\w+\}|error\.", r.json()["detail"])


def test_messages_in_chinese(client):
    r = pool(client, "zh", input=[[1]], size=3)
    assert r.json()["detail"].startswith("3×3 的池化窗口放不进")
    assert "池化方式" in pool(client, "zh", **GOOD, mode="median").json()["detail"]
    assert "平均池化" in pool(client, "zh", **GOOD, count_include_pad=True).json()["detail"]


# PyTorch's answers, worked out by hand from its documented rules (torch.nn.MaxPool2d / AvgPool2d):
# out = floor((H + 2P - K) / S) + 1, or with ceil_mode ceil(...) + 1 less a last window that would start
# at (out - 1) * S >= H + P; an average divides by the window's cells in the padded input, or with
# count_include_pad false by its cells in the input.
def test_count_include_pad_false_as_in_the_issue(client):
    """The issue's request: 2x2 windows, stride 2, padding 1 on [[1, 2], [3, 4]]. Each window holds one
    input cell and three padding zeros: divided by 4 (the default) 0.25, 0.5, ...; by 1, the input."""
    body = {"input": [[1, 2], [3, 4]], "mode": "avg", "size": 2, "stride": 2, "padding": 1}
    assert pool(client, **body).json()["output"] == [[0.25, 0.5], [0.75, 1.0]]
    data = pool(client, **body, count_include_pad=False).json()
    assert data["output"] == [[1, 2], [3, 4]] and data["count_include_pad"] is False
    assert [s["count"] for s in data["steps"]] == [1, 1, 1, 1]


def test_a_stride_that_leaves_a_remainder_rounds_down_and_ceil_mode_rounds_up(client):
    x = np.arange(1, 50).reshape(7, 7).tolist()  # row r, column c holds 7r + c + 1
    data = pool(client, input=x, size=2).json()  # floor((7 - 2) / 2) + 1 = 3: row 7 and column 7 unread
    assert data["output_shape"] == [3, 3] and data["unread"] == {"rows": [6], "cols": [6]}
    assert data["output"][0] == [9, 11, 13]
    assert "⌊2.5⌋ + 1 = 3" in data["formula"][0]
    data = pool(client, input=x, size=2, ceil_mode=True).json()  # ceil(2.5) + 1 = 4; the 4th starts at 6 < 7
    assert data["output_shape"] == [4, 4] and data["unread"] == {"rows": [], "cols": []}
    assert data["output"][0] == [9, 11, 13, 14] and data["output"][3] == [44, 46, 48, 49]
    last = data["steps"][-1]
    assert last["cells"] == [[0, 6, 6]] and last["value"] == 49  # the window cut to its one cell inside
    assert "⌈2.5⌉ + 1 = 4" in data["formula"][1]
    data = pool(client, input=x, size=2, padding=1).json()  # floor((7 + 2 - 2) / 2) + 1 = 4
    assert data["output_shape"] == [4, 4]
    # 5x5, padding 1, ceil_mode: ceil((5 + 2 - 2) / 2) + 1 = 4, but the 4th window would start at 6 >= 5 + 1
    data = pool(client, input=np.ones((5, 5)).tolist(), size=2, padding=1, ceil_mode=True).json()
    assert data["output_shape"] == [3, 3] and data["formula"][0].endswith("= 4 → 3")


def test_ceil_mode_average_divides_by_the_cells_inside_the_padded_input(client):
    """3x3 input 1..9, 2x2 windows, stride 2, ceil_mode: PyTorch gives [[3, 4.5], [7.5, 9]] (the
    last windows hold 2, 2 and 1 cells of the input and are divided by that many)."""
    x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    for count_include_pad in (True, False):
        data = pool(client, input=x, mode="avg", size=2, ceil_mode=True, count_include_pad=count_include_pad).json()
        assert data["output"] == [[3, 4.5], [7.5, 9]]
        assert [s["count"] for s in data["steps"]] == [4, 2, 2, 1]


def test_the_translation_demo_pools_with_the_same_options(client):
    x = [[1, 2], [3, 4]]
    data = pool(client, input=x, mode="avg", size=2, padding=1, count_include_pad=False, shift="right").json()
    assert data["translation"]["shifted_output"] == [[0, 1], [0, 3]]  # each window holds one cell: the shifted input


def test_answers_match_the_documented_models(client):
    from app.schemas.pool import PoolTraceResponse

    for body in ({**GOOD, "mode": "max", "shift": "down"}, {**GOOD, "mode": "avg", "padding": 1, "stride": 1}):
        PoolTraceResponse.model_validate(pool(client, **body).json(), strict=True)
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"PoolTraceRequest", "PoolTraceResponse", "PoolStep", "PoolTranslation"} <= set(schema)
