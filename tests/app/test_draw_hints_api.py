"""The draw API's digit check (a hint and "uncertain" for drawings that are not digits) and its cell
probe (a feature-map cell's window and kernel, replayed by the /conv and /pool labs' own API), over
POST /api/predict and the websocket, in English and Chinese."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.main import create_app

PAD = 128  # the draw page sends its pad as 128 x 128 ...
PEN = round(0.085 * PAD)  # ... drawn with a pen 8.5% of its side (static/js/draw_canvas.js)


@pytest.fixture(scope="module")
def api():
    with TestClient(create_app()) as c:
        yield c


def stroke(points, width=PEN, d=None):
    """Ink along a polyline of (row, column) points in [0, 1] of the pad."""
    d = np.zeros((PAD, PAD)) if d is None else d
    yy, xx = np.mgrid[0:PAD, 0:PAD]
    for (y0, x0), (y1, x1) in zip(points, points[1:]):
        for t in np.linspace(0, 1, 80):
            y, x = PAD * (y0 + t * (y1 - y0)), PAD * (x0 + t * (x1 - x0))
            d[(yy - y) ** 2 + (xx - x) ** 2 <= (width / 2) ** 2] = 1
    return d


SEVEN = [(0.15, 0.2), (0.15, 0.8), (0.85, 0.4)]


def inverted_one():
    d = np.ones((PAD, PAD))
    d[15:113, 58:70] = 0
    return d


def not_digits():
    quarter = [(0.6 + r / 4, 0.1 + c / 4) for r, c in SEVEN]
    return {
        "full": (np.ones((PAD, PAD)), "dark_on_light"),
        "inverted_one": (inverted_one(), "dark_on_light"),
        "dot": (stroke([(0.5, 0.5), (0.5, 0.5)], width=24), "dot"),
        "quarter": (stroke(quarter), "draw_bigger"),
    }


WORDS = {
    "dark_on_light": ("Draw a dark digit on the light pad", "请在浅色画板上写深色的数字"),
    "dot": ("looks like a dot", "像一个点"),
    "draw_bigger": ("Draw bigger", "请写大一些"),
}


def as_pixels(d):
    import base64

    return {"pixels": base64.b64encode(np.round(255 * d).astype(np.uint8).tobytes()).decode(), "shape": list(d.shape)}


def test_a_digit_gets_no_hint(api):
    answer = api.post("/api/predict", json=as_pixels(stroke(SEVEN))).json()
    assert answer["prediction"] == 7
    check = answer["check"]
    assert check["hint"] is None and check["message"] is None and check["uncertain"] is False
    assert 0 < check["ink_percent"] < 20 and check["border_ink_percent"] == 0 and check["stroke"] < 0.2


@pytest.mark.parametrize("name", ["full", "inverted_one", "dot", "quarter"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_drawings_that_are_not_digits(api, name, lang):
    drawing, hint = not_digits()[name]
    r = api.post(f"/api/predict?lang={lang}", json=as_pixels(drawing))
    assert r.status_code == 200, r.text
    check = r.json()["check"]
    assert check["hint"] == hint and check["uncertain"] is True
    assert WORDS[hint][lang == "zh"] in check["message"]
    if name in ("full", "inverted_one"):
        assert check["border_ink_percent"] == 100
    if name == "full":
        assert check["ink_percent"] == 100 and check["stroke"] is None  # no edge: infinitely thick


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_websocket_sends_the_hint_with_quick_and_heavy_answers(api, lang):
    drawing, hint = not_digits()["inverted_one"]
    with api.websocket_connect(f"/ws/predict?lang={lang}") as ws:
        ws.send_json({"id": 1, **as_pixels(drawing)})  # while the pen moves
        quick = ws.receive_json()
        ws.send_json({"id": 2, **as_pixels(drawing), "layers": True, "explain": "occlusion"})  # pen lifted
        heavy = ws.receive_json()
    for answer in (quick, heavy):
        assert answer["type"] == "prediction"
        assert answer["check"]["hint"] == hint and answer["check"]["uncertain"] is True
        assert WORDS[hint][lang == "zh"] in answer["check"]["message"]


# --- a feature-map cell, replayed by the labs' API ------------------------------------------------


def layer_values(answer, name):
    return np.array(next(l for l in answer["layers"] if l["name"] == name)["values"])


@pytest.mark.parametrize("layer, cell", [("conv1", (2, 9, 14)), ("conv1", (0, 0, 0)), ("conv2", (7, 4, 5))])
def test_conv_cell_replayed_by_the_conv_lab(api, layer, cell):
    c, i, j = cell
    body = {**as_pixels(stroke(SEVEN)), "layers": True, "probe": {"layer": layer, "channel": c, "row": i, "column": j}}
    answer = api.post("/api/predict", json=body).json()
    probe = answer["probe"]
    assert (probe["layer"], probe["type"], probe["channel"], probe["row"], probe["column"]) == (layer, "conv", *cell)
    assert probe["source"] == ("input" if layer == "conv1" else "pool1")
    patch, kernel = np.array(probe["patch"]), np.array(probe["kernel"])
    assert patch.shape == kernel.shape == ((1, 5, 5) if layer == "conv1" else (6, 5, 5))
    # the value /draw shows (the layer's map, rounded to 4 decimals) is the network's
    assert layer_values(answer, layer)[c, i, j] == pytest.approx(probe["value"], abs=5.1e-5)
    if layer == "conv2":  # its window is pool1's output under the cell, as /draw shows pool1
        np.testing.assert_allclose(patch, layer_values(answer, "pool1")[:, i : i + 5, j : j + 5], atol=5.1e-5)
    if cell == (0, 0, 0):  # conv1 pads by 2: the corner window's first two rows and columns are padding
        assert (patch[0, :2] == 0).all() and (patch[0, :, :2] == 0).all()
    lab = api.post("/api/conv", json={"input": probe["patch"], "kernel": [probe["kernel"]], "bias": [probe["bias"]]})
    assert lab.status_code == 200, lab.text
    assert np.array(lab.json()["output"]).shape == (1, 1, 1)
    assert lab.json()["output"][0][0][0] == pytest.approx(probe["value"], abs=1e-5)


@pytest.mark.parametrize("layer, cell", [("pool1", (3, 6, 7)), ("pool2", (10, 2, 1))])
def test_pool_cell_replayed_by_the_pool_lab(api, layer, cell):
    c, i, j = cell
    body = {**as_pixels(stroke(SEVEN)), "layers": True, "probe": {"layer": layer, "channel": c, "row": i, "column": j}}
    answer = api.post("/api/predict", json=body).json()
    probe = answer["probe"]
    assert probe["type"] == "maxpool" and probe["kernel"] is None and probe["size"] == [2, 2]
    source = layer_values(answer, "relu1" if layer == "pool1" else "relu2")
    np.testing.assert_allclose(probe["patch"], source[c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2], atol=5.1e-5)
    assert layer_values(answer, layer)[c, i, j] == pytest.approx(probe["value"], abs=5.1e-5)
    lab = api.post("/api/pool", json={"input": probe["patch"], "mode": "max", "size": 2, "stride": 2})
    assert lab.status_code == 200, lab.text
    assert lab.json()["output"] == [[probe["value"]]]


@pytest.mark.parametrize(
    "probe, code, english, chinese",
    [
        (
            {"layer": "dense1", "channel": 0, "row": 0, "column": 0},
            "not_a_map_layer",
            "only convolution and pooling",
            "只有卷积层和池化层",
        ),
        ({"layer": "conv9", "channel": 0, "row": 0, "column": 0}, "no_such_layer", "no layer conv9", "没有层 conv9"),
        ({"layer": "conv1", "channel": 6, "row": 0, "column": 0}, "cell_outside_map", "channel 6", "channel 6"),
        ({"layer": "conv1", "channel": 0, "row": -1, "column": 0}, "invalid_request", "row", "row"),
    ],
)
def test_bad_probes_are_explained(api, probe, code, english, chinese):
    for lang, words in (("en", english), ("zh", chinese)):
        r = api.post(f"/api/predict?lang={lang}", json={**as_pixels(stroke(SEVEN)), "probe": probe})
        assert r.status_code == 422, r.text
        assert r.json()["code"] == code
        assert words in r.json()["detail"]
