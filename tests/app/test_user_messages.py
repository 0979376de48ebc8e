"""What users are told: a boolean or a string is not a number (strict numbers in request bodies,
while whole numbers stay numbers), deeply nested JSON on /ws/predict is a bad message, and no
message a user receives shows a path on the server or an exception's text (a damaged model file:
tests/app/test_model_store.py)."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from engine.errors import EngineError
from tests.runs_support import make_registry, runs_client

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def assert_no_server_paths(text: str, *folders):
    """No folder of this server (the code, the temporary and home folders, ``folders``) and no traceback."""
    for folder in (ROOT, ROOT.parent, Path.home(), "/tmp/", *folders):
        assert str(folder) not in text, (folder, text)
    assert "Traceback" not in text and "Error:" not in text, text


# ---- strict numbers ---------------------------------------------------------------------------------

TINY = {"preset": "tiny"}


@pytest.mark.parametrize(
    "path,body,field",
    [
        ("/api/runs", {**TINY, "l2": False}, "l2"),
        ("/api/runs", {**TINY, "lr": True}, "lr"),
        ("/api/runs", {**TINY, "epochs": True}, "epochs"),
        ("/api/runs", {**TINY, "batch_size": True}, "batch_size"),
        ("/api/runs", {**TINY, "seed": False}, "seed"),
        ("/api/runs", {**TINY, "lr": "0.1"}, "lr"),
        ("/api/runs", {**TINY, "epochs": 2.5}, "epochs"),
        ("/api/runs", {**TINY, "dropout": False}, "dropout"),
        ("/api/networks/check", {**TINY, "dropout": True}, "dropout"),
        ("/api/backprop", {"lr": True}, "lr"),
        ("/api/backprop", {"x1": False}, "x1"),
        ("/api/backprop", {"updates": True}, "updates"),
        ("/api/activations", {"name": "sigmoid", "xmin": True}, "xmin"),
        ("/api/activations", {"name": "sigmoid", "n": True}, "n"),
        ("/api/predict", {"image": [[0.0] * 28] * 28, "layers": 1}, "layers"),
        ("/api/conv", {"input": [[1, 2], [3, 4]], "kernel": [[1]], "im2col": "yes"}, "im2col"),
    ],
)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_boolean_or_a_string_is_not_a_number(client, path, body, field, lang):
    r = client.post(f"{path}?lang={lang}", json=body)
    assert r.status_code == 422, r.text
    answer = r.json()
    assert answer["code"] == "invalid_request" and [e["loc"][-1] for e in answer["errors"]] == [field]
    assert answer["detail"].strip() and "Input should be" not in answer["detail"]
    if lang == "zh":
        assert CJK.search(answer["detail"]), answer["detail"]
    else:
        assert re.search(r"must be (a number|a whole number|true or false)", answer["detail"]), answer["detail"]


def test_whole_numbers_are_numbers(client):
    r = client.post("/api/backprop", json={"lr": 1, "x1": 2, "label": 0})
    assert r.status_code == 200, r.text
    r = client.post("/api/activations", json={"name": "sigmoid", "xmin": -6, "xmax": 6, "threshold": 1, "z": 0})
    assert r.status_code == 200, r.text
    r = client.post("/api/networks/check", json={**TINY, "dropout": 0})
    assert r.status_code == 200, r.text
    registry = make_registry()
    with runs_client(registry) as c:
        r = c.post("/api/runs", json={**TINY, "lr": 1, "l2": 0, "epochs": 1, "batch_size": 64, "seed": 3})
        assert r.status_code == 201, r.text
        config = r.json()["config"]
        assert config["lr"] == 1.0 and config["l2"] == 0.0
        c.post(f"/api/runs/{r.json()['id']}/stop")


# ---- /ws/predict: deeply nested JSON ------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_deeply_nested_json_on_the_predict_socket_is_a_bad_message(client, lang):
    with client.websocket_connect(f"/ws/predict?lang={lang}") as ws:
        for text in ("[" * 100_000 + "]" * 100_000, '{"image": ' + "[" * 5000 + "]" * 5000 + "}"):
            ws.send_text(text)
            answer = ws.receive_json()
            assert answer["type"] == "error" and answer["code"] == "bad_message", answer
            assert ("nested too deeply" in answer["detail"]) if lang == "en" else CJK.search(answer["detail"])
        stroke = [[1.0 if 12 <= c <= 15 and 5 <= r <= 22 else 0.0 for c in range(28)] for r in range(28)]
        ws.send_json({"id": 7, "image": stroke})  # and the connection carries on
        answer = ws.receive_json()
        assert answer["type"] == "prediction" and answer["id"] == 7


# ---- no server paths, no exception text ---------------------------------------------------------------


def test_a_damaged_dataset_is_explained_without_its_path(tmp_path, caplog):
    """A damaged MNIST folder on the server: the run cannot start, and the user is not shown where it is."""
    from app.error_handlers import engine_message
    from app.runs.deps import dataset_loader

    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        (folder / name).write_bytes(b"\x00\x00\x08\x03 this is not an IDX file")
    with pytest.raises(EngineError) as raised:
        dataset_loader(folder)("mnist")
    error = raised.value
    assert error.code == "dataset_unreadable" and error.params == {"dataset": "mnist"}
    for lang in ("en", "zh"):
        message = engine_message(lang, error)
        assert "mnist" in message and (lang == "en" or CJK.search(message))
        assert_no_server_paths(message, tmp_path)
    assert_no_server_paths(str(error), tmp_path)
    assert str(folder) in caplog.text  # the details are in the server's log
