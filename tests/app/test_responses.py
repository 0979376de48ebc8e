"""No non-finite number reaches a JSON encoder: app.responses.to_json / dumps, the app's default
response class, json_response and the run event channel send NaN and infinities as null; a run
whose training diverges ends with its `done` event (reason "diverged"), not with a failure."""

import json
import math

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.responses import dumps, json_response, to_json
from app.runs.channel import Channel
from tests.runs_support import make_registry, receive_until, runs_client

NAN, INF = float("nan"), float("inf")
CARRIER = {
    "nan": NAN,
    "inf": INF,
    "ninf": -INF,
    "list": [1.5, NAN, [INF]],
    "ok": 2.0,
    "np32": np.float32("nan"),
    "np64": np.float64(INF),
    "array": np.array([[1.0, np.nan], [-np.inf, 3.0]]),
    "int": np.int64(7),
    "text": "naïve",
}
EXPECTED = {
    "nan": None,
    "inf": None,
    "ninf": None,
    "list": [1.5, None, [None]],
    "ok": 2.0,
    "np32": None,
    "np64": None,
    "array": [[1.0, None], [None, 3.0]],
    "int": 7,
    "text": "naïve",
}


def strict_loads(text):
    """json.loads that refuses NaN and Infinity, as a browser's JSON.parse does."""

    def refuse(constant):
        raise AssertionError(f"{constant} in JSON")

    return json.loads(text, parse_constant=refuse)


def test_to_json_and_dumps_send_non_finite_numbers_as_null():
    assert strict_loads(to_json(CARRIER)) == EXPECTED
    assert strict_loads(dumps(CARRIER)) == EXPECTED
    assert isinstance(dumps(CARRIER), str) and isinstance(to_json(CARRIER), bytes)


def test_the_default_response_class_and_json_response_send_null():
    app = create_app()

    @app.get("/test-nan")
    def nan_route():
        return {"loss": NAN, "history": [1.0, INF, -INF]}

    @app.get("/test-nan-numpy")
    def nan_numpy_route():
        return json_response(CARRIER)

    with TestClient(app, raise_server_exceptions=True) as client:
        r = client.get("/test-nan")
        assert r.status_code == 200 and strict_loads(r.text) == {"loss": None, "history": [1.0, None, None]}
        r = client.get("/test-nan-numpy")
        assert r.status_code == 200 and strict_loads(r.text) == EXPECTED


def test_a_run_event_carrying_nan_and_inf_is_published_with_null():
    ch = Channel()
    event = ch.publish({"type": "progress", "step": 1, "loss": NAN, "accuracy": INF, "lr": np.float32(0.5)})
    assert event is not None and event.seq == 1
    assert strict_loads(event.text) == {
        "type": "progress",
        "step": 1,
        "loss": None,
        "accuracy": None,
        "lr": 0.5,
        "seq": 1,
    }
    done = ch.publish({"type": "done", "reason": "diverged", "step": 2, "lr": 10.0, "test_loss": NAN})
    assert strict_loads(done.text)["test_loss"] is None and ch.closed


@pytest.mark.parametrize("lr", [10.0])
def test_a_diverging_run_ends_with_its_done_event_and_every_event_before_it(lr):
    registry = make_registry()
    with runs_client(registry) as client:
        r = client.post(
            "/api/runs", json={"preset": "tiny", "batch_size": 32, "epochs": 5, "lr": lr, "optimizer": "sgd"}
        )
        assert r.status_code == 201, r.text
        run_id = r.json()["id"]
        with client.websocket_connect(f"/ws/runs/{run_id}") as ws:
            events = receive_until(ws, "done")
        types = [e["type"] for e in events]
        assert "error" not in types and "epoch" not in types
        done = events[-1]
        assert done["reason"] == "diverged" and done["lr"] == lr and done["test_accuracy"] is None
        assert 1 <= done["step"] <= 80
        # every step before the diverging one was reported (progress_seconds=0): no missing event
        steps = [e["step"] for e in events if e["type"] == "progress"]
        assert steps == list(range(1, done["step"]))
        assert all(math.isfinite(e["loss"]) for e in events if e["type"] == "progress")
        view = client.get(f"/api/runs/{run_id}").json()
        assert view["result"]["reason"] == "diverged" and view["events"] == events[-1]["seq"]


def test_a_lone_surrogate_echoed_from_a_user_is_replaced_not_an_error():
    assert strict_loads(dumps({"command": "pa\ud800use", "k\udc00": [float("nan")]})) == {
        "command": "pa\ufffduse",
        "k\ufffd": [None],
    }
    with TestClient(create_app()) as client:
        with client.websocket_connect("/ws/predict") as ws:
            ws.send_text('{"id": "\\ud800", "image": 3}')
            answer = ws.receive_json()
            assert answer["type"] == "error" and answer["id"] == "\ufffd"
