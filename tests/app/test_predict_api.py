"""POST /api/predict and GET /api/models through the test client: accuracy on MNIST, drawings,
layers, explanations, the model list, and every kind of bad input in both languages."""

import json
import threading

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.deps import get_model_store
from app.main import create_app
from app.model_store import ModelStore
from engine.model import Sequential
from engine.presets import preset


@pytest.fixture(scope="module")
def mnist_test(mnist_dir):
    from engine.data import load_folder

    data = load_folder(mnist_dir)
    return data.test_images, data.test_labels


@pytest.fixture(scope="module")
def api():
    with TestClient(create_app()) as c:
        yield c


def stroke(shape, points, width):
    """Ink along a polyline, as a round pen of ``width`` pixels leaves it."""
    d = np.zeros(shape)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    for (y0, x0), (y1, x1) in zip(points, points[1:]):
        for t in np.linspace(0, 1, 80):
            y, x = y0 + t * (y1 - y0), x0 + t * (x1 - x0)
            d[(yy - y) ** 2 + (xx - x) ** 2 <= (width / 2) ** 2] = 1
    return d


def predict(api, body, lang=None):
    return api.post("/api/predict" + (f"?lang={lang}" if lang else ""), json=body)


# --- answers --------------------------------------------------------------------------------------


def test_accuracy_on_mnist_test_images(api, mnist_test):
    images, labels = mnist_test
    rng = np.random.default_rng(2024)
    pick = rng.choice(len(labels), 500, replace=False)
    correct = 0
    for i in pick:
        r = predict(api, {"image": (images[i] / 255.0).tolist()})
        assert r.status_code == 200, r.text
        answer = r.json()
        correct += answer["prediction"] == labels[i]
    accuracy = correct / len(pick)
    print(f"/api/predict accuracy on 500 MNIST test images: {accuracy:.3f}")
    assert accuracy >= 0.98


def test_answer_for_a_28x28_image(api, mnist_test):
    images, labels = mnist_test
    image = images[0] / 255.0
    answer = predict(api, {"image": image.tolist()}).json()
    assert answer["model"] == "lenet5"
    p = np.array(answer["probabilities"])
    assert p.shape == (10,) and (p >= 0).all() and p.sum() == pytest.approx(1.0, abs=1e-9)
    assert answer["prediction"] == int(np.argmax(p)) == labels[0]
    np.testing.assert_allclose(answer["percent"], np.round(100 * p, 1))
    assert answer["preprocessed"] is False and answer["steps"] is None
    np.testing.assert_allclose(answer["input28"], image, atol=5e-5)  # taken as it is
    assert answer["layers"] is None and answer["explanation"] is None
    assert answer["timing_ms"] > 0


def test_28x28_preprocessed_on_request(api):
    image = np.zeros((28, 28))
    image[2:8, 20:26] = 1  # a small blob in a corner
    answer = predict(api, {"image": image.tolist(), "preprocess": True}).json()
    assert answer["preprocessed"] is True
    assert answer["steps"]["bbox"] == [2, 20, 6, 6]
    assert answer["steps"]["offset"] == [4, 4]
    assert np.array(answer["input28"])[4:24, 4:24].min() == 1.0


@pytest.mark.parametrize(
    "digit, points",
    [
        (1, [(60, 256), (452, 256)]),
        (7, [(70, 110), (70, 400), (450, 200)]),
        (0, [(70, 256), (110, 150), (256, 110), (400, 150), (445, 256), (400, 362), (256, 402), (110, 362), (70, 256)]),
    ],
)
def test_large_drawing_is_preprocessed(api, digit, points):
    drawing = stroke((512, 512), points, width=36)
    r = predict(api, {"image": drawing.tolist()})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["prediction"] == digit, answer["percent"]
    steps = answer["steps"]
    assert steps["drawing_shape"] == [512, 512]
    top, left, h, w = steps["bbox"]
    ink = np.argwhere(drawing > 0)
    assert [top, left] == ink.min(axis=0).tolist() and [top + h - 1, left + w - 1] == ink.max(axis=0).tolist()
    fitted = np.array(steps["fitted"])
    assert max(fitted.shape) == 20
    assert fitted.shape == (20, round(20 * w / h)) if h >= w else (round(20 * h / w), 20)
    assert steps["scale"] == pytest.approx(20 / max(h, w))
    cy, cx = steps["centre"]
    assert steps["centre_pixel"] == [14, 14]
    assert 14 - 1e-9 <= cy < 15 and 14 - 1e-9 <= cx < 15  # in pixel (14, 14), as every MNIST digit (floats)
    assert np.array(answer["input28"]).shape == (28, 28)


def test_layers(api):
    drawing = stroke((200, 200), [(30, 100), (170, 100)], width=16)
    answer = predict(api, {"image": drawing.tolist(), "layers": True}).json()
    layers = answer["layers"]
    model = Sequential.from_spec(preset("lenet5"))
    assert [(l["name"], l["type"], l["shape"]) for l in layers] == [
        (row["name"], row["type"], row["output_shape"]) for row in model.summary()
    ]
    for layer in layers:
        values = np.array(layer["values"])
        assert list(values.shape) == layer["shape"]
        assert layer["min"] == pytest.approx(values.min(), abs=1e-4)
        assert layer["max"] == pytest.approx(values.max(), abs=1e-4)
        assert layer["scale"] == pytest.approx(max(abs(layer["min"]), abs(layer["max"])))
    relu = np.array(layers[1]["values"])
    assert relu.min() >= 0
    np.testing.assert_allclose(relu, np.maximum(np.array(layers[0]["values"]), 0), atol=1e-4)
    logits = np.array(layers[-1]["values"])
    softmax = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(softmax, answer["probabilities"], atol=1e-3)


def test_occlusion_and_saliency(api):
    drawing = stroke((200, 200), [(30, 100), (170, 100)], width=16)
    occlusion = predict(api, {"image": drawing.tolist(), "explain": "occlusion"}).json()
    e = occlusion["explanation"]
    assert e["method"] == "occlusion" and e["target"] == occlusion["prediction"] == 1
    m = np.array(e["map"])
    assert m.shape == (28, 28) and e["patch"] == 6 and e["stride"] == 2
    ink = np.array(occlusion["input28"]) > 0.5
    assert m[ink].mean() > m[~ink].mean()  # erasing the stroke hurts more than erasing background
    score = np.array(e["score"]["map"])
    assert score.shape == (28, 28) and score[ink].mean() > score[~ink].mean() and score.max() > 1
    assert e["score"]["scale"] == pytest.approx(max(abs(e["score"]["min"]), abs(e["score"]["max"])))
    saliency = predict(api, {"image": drawing.tolist(), "explain": "saliency"}).json()["explanation"]
    assert saliency["method"] == "saliency" and saliency["patch"] is None
    g = np.array(saliency["map"])
    assert g.shape == (28, 28) and np.abs(g).max() > 0
    assert saliency["scale"] == pytest.approx(max(abs(saliency["min"]), abs(saliency["max"])))


def test_models_list_and_a_trained_model(tmp_path):
    store = ModelStore(tmp_path)
    tiny = Sequential.from_spec(preset("tiny"), seed=1)
    store.save("my tiny net", tiny, {"test_accuracy": 0.5, "dataset": "sample", "epochs": 1})
    app = create_app()
    app.dependency_overrides[get_model_store] = lambda: store
    with TestClient(app) as c:
        listing = c.get("/api/models").json()
        assert listing["default"] == "lenet5"
        by_name = {m["name"]: m for m in listing["models"]}
        assert by_name["lenet5"]["source"] == "pretrained" and by_name["lenet5"]["test_accuracy"] >= 0.99
        assert by_name["lenet5"]["accuracy_percent"] == round(100 * by_name["lenet5"]["test_accuracy"], 2)
        assert by_name["my tiny net"] == {
            **by_name["my tiny net"],
            "source": "trained",
            "test_accuracy": 0.5,
            "accuracy_percent": 50.0,
            "params": tiny.num_params,
        }
        drawing = stroke((100, 100), [(10, 50), (90, 50)], width=8)
        answer = c.post("/api/predict", json={"image": drawing.tolist(), "model": "my tiny net", "layers": True}).json()
        assert answer["model"] == "my tiny net"
        assert [l["name"] for l in answer["layers"]] == [layer.name for layer in tiny.layers]


def test_no_models_at_all(tmp_path):
    app = create_app()
    app.dependency_overrides[get_model_store] = lambda: ModelStore(
        tmp_path / "trained", pretrained_dir=tmp_path / "none"
    )
    with TestClient(app) as c:
        assert c.get("/api/models").json() == {"default": None, "models": []}
        r = c.post("/api/predict?lang=zh", json={"image": stroke((50, 50), [(5, 25), (45, 25)], 5).tolist()})
        assert r.status_code == 422 and r.json()["code"] == "no_models"
        assert "训练" in r.json()["detail"]


def test_concurrent_predictions_do_not_mix(api, mnist_test):
    """Eight threads predicting at once on the one shared model each get their own answer."""
    images, _ = mnist_test
    expected = {}
    for i in range(16):
        expected[i] = predict(api, {"image": (images[i] / 255.0).tolist(), "layers": True}).json()
    failures = []

    def worker(offset):
        for k in range(12):
            i = (offset + k) % 16
            got = predict(api, {"image": (images[i] / 255.0).tolist(), "layers": True}).json()
            if got["probabilities"] != expected[i]["probabilities"] or got["layers"][3] != expected[i]["layers"][3]:
                failures.append(i)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert failures == []


# --- bad input ------------------------------------------------------------------------------------

GOOD = stroke((60, 60), [(10, 30), (50, 30)], 6).tolist()


def with_cell(value, shape=(40, 40)):
    grid = stroke(shape, [(5, 20), (35, 20)], 5).tolist()
    grid[2][7] = value
    return grid


BAD = [
    # (body, status, code, English fragment, Chinese fragment)
    ({"image": np.zeros((280, 280)).tolist()}, 422, "empty_drawing", "Draw a digit first", "请先写一个数字"),
    (
        {"image": np.pad(np.ones((3, 3)), ((100, 177), (100, 177))).tolist()},
        422,
        "empty_drawing",
        "Draw a digit first",
        "请先写一个数字",
    ),
    ({"image": np.zeros((28, 28)).tolist()}, 422, "empty_drawing", "almost no ink", "几乎没有墨迹"),
    (
        {"image": np.pad(np.ones((20, 20)), ((100, 160), (100, 160))).tolist()},
        422,
        "drawing_too_small",
        "Draw a digit first: the ink spans only 20 pixels",
        "请先写一个数字",
    ),
    ({"image": [0.1, 0.5, 0.9]}, 422, "bad_grid_ndim", "must have 2 dimensions, got 1", "维"),
    ({"image": np.zeros((2, 28, 28)).tolist()}, 422, "bad_grid_ndim", "must have 2 dimensions, got 3", "维"),
    ({"image": [[0.1, 0.2], [0.3]]}, 422, "ragged", "row 2 has 1 number(s) but row 1 has 2", "第 2 行"),
    ({"image": with_cell("ink")}, 422, "not_number", "row 3, column 8", "第 3 行"),
    ({"image": with_cell(None)}, 422, "not_number", "row 3, column 8", "第 3 行"),
    ({"image": with_cell(True)}, 422, "not_number", "row 3, column 8", "第 3 行"),
    ({"image": with_cell(1.5)}, 422, "ink_out_of_range", "row 3, column 8: 1.5 is not an ink intensity", "1.5"),
    ({"image": with_cell(-0.25)}, 422, "ink_out_of_range", "-0.25 is not an ink intensity", "-0.25"),
    ({"image": with_cell(1e300)}, 422, "number_too_large", "row 3, column 8", "第 3 行"),
    ({"image": np.zeros((513, 8)).tolist()}, 422, "too_big", "513 rows; at most 512", "512"),
    ({"image": np.zeros((8, 600)).tolist()}, 422, "too_big", "600 columns; at most 512", "512"),
    ({"image": []}, 422, "empty", "is empty", "空"),
    ({"image": [[]]}, 422, "empty", "is empty", "空"),
    ({"image": 0.5}, 422, "not_grid", "must be a grid of numbers", "网格"),
    ({}, 422, "one_image", "image", "图像"),
    ({"image": GOOD, "preprocess": False}, 422, "needs_28x28", "must be 28×28, not 60×60", "28×28"),
    ({"image": GOOD, "model": "no such model"}, 422, "unknown_model", "no model called “no such model”", "没有名为"),
    ({"image": GOOD, "explain": "magic"}, 422, "invalid_request", "explanation method", "解释方法"),
    ({"image": GOOD, "layers": "perhaps"}, 422, "invalid_request", "layers option", "各层输出选项"),
]


@pytest.mark.parametrize("body, status, code, english, chinese", BAD, ids=[f"{b[2]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input(api, body, status, code, english, chinese):
    en = predict(api, body, "en")
    zh = predict(api, body, "zh")
    for r in (en, zh):
        assert r.status_code == status, r.text
        assert r.json()["code"] == code
    assert english in en.json()["detail"]
    assert chinese in zh.json()["detail"]
    assert en.json()["detail"] != zh.json()["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.json()["detail"])


@pytest.mark.parametrize(
    "literal, english", [("NaN", "nan is not a finite number"), ("Infinity", "inf is not a finite number")]
)
def test_nan_and_infinity(api, literal, english):
    grid = json.dumps(with_cell(0.5)).replace("0.5", literal, 1)
    for lang, fragment in (("en", english), ("zh", "不是有限")):
        r = api.post(
            f"/api/predict?lang={lang}", content='{"image": ' + grid + "}", headers={"content-type": "application/json"}
        )
        assert r.status_code == 422 and r.json()["code"] == "not_finite_at"
        assert fragment in r.json()["detail"], r.json()["detail"]


def test_body_too_large(api):
    body = json.dumps({"image": np.full((500, 500), 0.123456789).tolist()})
    assert len(body) > 2_000_000
    for lang, fragment in (("en", "too large"), ("zh", "太大")):
        r = api.post(f"/api/predict?lang={lang}", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["code"] == "body_too_large"
        assert fragment in r.json()["detail"]


def test_server_keeps_serving_after_bad_input(api):
    for content in ('{"image": [[1e999]]}', '{"image": [[0.5', '{"image": "' + "x" * 1000 + '"}', "[]", "null"):
        r = api.post("/api/predict", content=content, headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["detail"], content
    assert predict(api, {"image": GOOD}).status_code == 200


# --- the websocket --------------------------------------------------------------------------------


def test_websocket_answers_like_the_http_api(api):
    drawing = stroke((128, 128), [(15, 40), (15, 95), (110, 60)], 11)  # a 7
    body = {"image": drawing.tolist(), "layers": True, "explain": "occlusion"}
    http = predict(api, body).json()
    with api.websocket_connect("/ws/predict") as ws:
        ws.send_text(json.dumps({**body, "id": 41}))
        reply = ws.receive_json()
    assert reply["type"] == "prediction" and reply["id"] == 41
    assert reply["prediction"] == http["prediction"] == 7
    assert reply["probabilities"] == http["probabilities"]
    assert reply["steps"] == http["steps"] and reply["explanation"] == http["explanation"]
    assert [l["values"] for l in reply["layers"]] == [l["values"] for l in http["layers"]]


@pytest.mark.parametrize("lang, fragment", [("en", "Draw a digit first"), ("zh", "请先写一个数字")])
def test_websocket_errors_are_messages_and_the_connection_goes_on(api, lang, fragment):
    with api.websocket_connect(f"/ws/predict?lang={lang}") as ws:
        ws.send_text(json.dumps({"id": 1, "image": np.zeros((128, 128)).tolist()}))
        reply = ws.receive_json()
        assert reply == {**reply, "type": "error", "id": 1, "code": "empty_drawing"}
        assert fragment in reply["detail"]
        for message, code in (
            ("this is not JSON", "bad_predict_message"),
            ("[1, 2]", "invalid_request"),
            (json.dumps({"id": 3}), "one_image"),
            (json.dumps({"id": 4, "image": with_cell(7)}), "ink_out_of_range"),
            (json.dumps({"id": 5, "image": GOOD, "explain": "magic"}), "invalid_request"),
        ):
            ws.send_text(message)
            reply = ws.receive_json()
            assert reply["type"] == "error" and reply["code"] == code, reply
            assert reply["detail"]
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_json()["code"] == "bad_predict_message"
        ws.send_text(json.dumps({"id": 6, "image": GOOD}))
        reply = ws.receive_json()
        assert reply["type"] == "prediction" and reply["id"] == 6


def test_websocket_refuses_a_huge_message(api):
    with api.websocket_connect("/ws/predict?lang=zh") as ws:
        ws.send_text(json.dumps({"image": np.full((500, 500), 0.123456789).tolist()}))
        reply = ws.receive_json()
        assert reply["code"] == "body_too_large" and "太大" in reply["detail"]


def test_websocket_answers_only_the_latest_waiting_drawing(api):
    drawing = stroke((128, 128), [(20, 64), (108, 64)], 11).tolist()
    with api.websocket_connect("/ws/predict") as ws:
        for i in range(1, 7):  # six drawings at once; each takes milliseconds to answer
            ws.send_text(json.dumps({"id": i, "image": drawing, "layers": True, "explain": "occlusion"}))
        ids = []
        while not ids or ids[-1] != 6:
            reply = ws.receive_json()
            assert reply["type"] == "prediction"
            ids.append(reply["id"])
    assert ids == sorted(set(ids)) and len(ids) < 6  # in order, and the superseded ones skipped


def test_a_drawing_sent_as_pixels_is_the_same_drawing(api):
    """The draw page sends its ink as base64 bytes (`pixels` + `shape`): the same answer as the numbers."""
    import base64

    ink = np.rint(stroke((128, 128), [(20, 64), (108, 64)], 8) * 255).astype(np.uint8)
    as_numbers = predict(api, {"image": (ink / 255.0).tolist(), "layers": True})
    as_pixels = predict(api, {"pixels": base64.b64encode(ink.tobytes()).decode(), "shape": [128, 128], "layers": True})
    assert as_numbers.status_code == as_pixels.status_code == 200, as_pixels.text
    a, b = as_numbers.json(), as_pixels.json()
    for key in ("prediction", "probabilities", "input28", "steps", "layers"):
        assert a[key] == b[key], key


@pytest.mark.parametrize(
    "body, code, words",
    [
        ({"pixels": "AAAA", "shape": [2, 2]}, "bad_pixels", ["base64", "rows × columns bytes", "512"]),  # 3 bytes
        ({"pixels": "not base64!", "shape": [2, 2]}, "bad_pixels", ["base64"]),
        ({"pixels": "AAAA", "shape": [3]}, "bad_pixels", ["[rows, columns]"]),
        ({"pixels": "AAAA", "shape": [1, 9999]}, "bad_pixels", ["512"]),
        ({"pixels": "AAAA"}, "bad_pixels", ["shape"]),
        ({"pixels": "AAAA", "shape": [1, 3], "image": [[1]]}, "one_image", ["exactly one"]),
        ({"layers": True}, "one_image", ["exactly one"]),
    ],
)
def test_bad_pixels_are_explained(api, body, code, words):
    for lang in ("en", "zh"):
        r = predict(api, body, lang)
        assert r.status_code == 422 and r.json()["code"] == code, r.text
        if lang == "en":
            for word in words:
                assert word in r.json()["detail"], r.json()["detail"]
        else:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["detail"])


def test_heavy_answers_run_in_a_process_of_their_own_at_a_lower_cpu_priority(api):
    """Pen-lift answers (every layer, occlusion) go to a worker process that yields the CPU to the web
    process; its answers are the same as the web process's own."""
    import base64
    import os

    from app import compute

    ink = np.rint(stroke((128, 128), [(20, 64), (108, 64)], 8) * 255).astype(np.uint8)
    message = json.dumps(
        {
            "id": 7,
            "pixels": base64.b64encode(ink.tobytes()).decode(),
            "shape": [128, 128],
            "layers": True,
            "explain": "occlusion",
        }
    )
    with api.websocket_connect("/ws/predict") as ws:
        ws.send_text(message)
        answer = ws.receive_json()
    assert answer["type"] == "prediction" and answer["id"] == 7 and answer["explanation"] and answer["layers"]
    worker_pid, worker_nice = compute.pool().submit(_pid_and_nice).result(timeout=30)
    assert worker_pid != os.getpid() and worker_nice == min(19, os.nice(0) + compute.WORKER_NICE)
    direct = predict(api, {k: v for k, v in json.loads(message).items() if k != "id"}).json()  # (no id over HTTP)
    for key in ("prediction", "probabilities", "explanation", "layers", "input28"):
        assert answer[key] == direct[key], key


def _pid_and_nice():
    import os

    return os.getpid(), os.nice(0)
