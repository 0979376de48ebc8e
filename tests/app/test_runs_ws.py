"""The training websocket through the test client: the events and their order, several viewers,
pause, resume, stop, learning-rate changes, reconnecting with history, and malformed messages
answered with `error` events while the connection and the server carry on.

Runs train the `tiny` preset on 512 images of the bundled sample (a few milliseconds a step)."""

import base64
import json

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.runs_support import make_registry, receive_until, runs_client, wait_for

TYPES = {"status", "progress", "snapshot", "epoch", "done", "error"}


@pytest.fixture()
def registry():
    return make_registry()


@pytest.fixture()
def client(registry):
    with runs_client(registry) as c:
        yield c


TOKENS = {}  # run id -> its control token


def start(client, **body) -> str:
    r = client.post("/api/runs", json={"preset": "tiny", "batch_size": 32, "epochs": 2, **body})
    assert r.status_code == 201, r.text
    TOKENS[r.json()["id"]] = r.json()["control_token"]
    return r.json()["id"]


def watch_all(client, run_id, after=0) -> list[dict]:
    with client.websocket_connect(f"/ws/runs/{run_id}?after={after}") as ws:
        events = receive_until(ws, "done")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1000  # the server ends the stream after `done`
    return events


def test_events_and_their_order(client):
    run_id = start(client, epochs=2)
    events = watch_all(client, run_id)
    types = [e["type"] for e in events]
    assert set(types) <= TYPES and "error" not in types
    assert types[0] == "status" and events[0]["state"] == "running"
    assert events[0]["steps_total"] == 2 * 16 and events[0]["num_params"] == 5874
    assert types[-1] == "done" and events[-1]["reason"] == "finished"
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))  # increasing (gaps: older snapshots are dropped from the history)
    # Progress steps rise to the last step; each epoch ends with an `epoch` and then a snapshot.
    steps = [e["step"] for e in events if e["type"] == "progress"]
    assert steps == sorted(steps) and len(set(steps)) == len(steps) and steps[-1] == 32
    epochs = [e for e in events if e["type"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2]
    for e in epochs:
        i = events.index(e)
        assert events[i + 1]["type"] == "snapshot" and events[i + 1]["step"] == e["step"]
        assert all(ev["epoch"] <= e["epoch"] for ev in events[:i] if ev["type"] == "progress")
    done = events[-1]
    assert done["step"] == 32 and 0 <= done["test_accuracy"] <= 1


def test_progress_epoch_and_snapshot_contents(client):
    run_id = start(client, epochs=1)
    events = watch_all(client, run_id)
    progress = next(e for e in events if e["type"] == "progress")
    for key in ("step", "steps_total", "epoch", "loss", "accuracy", "samples_per_s", "seconds_left", "elapsed", "lr"):
        assert isinstance(progress[key], (int, float)), key
    assert progress["loss"] > 0 and 0 <= progress["accuracy"] <= 1 and progress["lr"] == 0.05

    epoch = next(e for e in events if e["type"] == "epoch")
    confusion = epoch["confusion"]
    assert len(confusion) == 10 and all(len(row) == 10 for row in confusion)
    assert sum(map(sum, confusion)) == 200  # every validation image counted once
    correct = sum(confusion[i][i] for i in range(10))
    assert epoch["val_accuracy"] == pytest.approx(correct / 200)
    assert len(epoch["mistakes"]) == min(24, 200 - correct)
    for m in epoch["mistakes"]:
        assert m["label"] != m["prediction"] and 0 < m["confidence"] <= 1
        pixels = base64.b64decode(m["pixels"])
        assert len(pixels) == 28 * 28 and max(pixels) > 0  # the digit itself, 0 = background

    snapshot = [e for e in events if e["type"] == "snapshot"][-1]  # the run's last, after the epoch
    assert snapshot["step"] == events[-1]["step"] and 0 <= snapshot["probe_label"] <= 9
    assert len(base64.b64decode(snapshot["probe"])) == 784
    filters = snapshot["filters"]
    assert filters["shape"] == [4, 1, 5, 5]
    assert filters["scale"] > 0
    levels = [v for f in filters["levels"] for c in f for row in c for v in row]
    assert max(abs(v) for v in levels) == 255 and all(-255 <= v <= 255 for v in levels)
    maps = {m["layer"]: m for m in snapshot["maps"]}
    assert list(maps) == ["conv1", "pool1"]  # conv and pooling layers (relu1's maps are conv1's, clipped)
    assert maps["conv1"]["shape"] == [4, 24, 24] and maps["pool1"]["shape"] == [4, 12, 12]
    for m in maps.values():
        pixels = base64.b64decode(m["pixels"])
        assert len(pixels) == m["shape"][0] * m["shape"][1] * m["shape"][2]
        assert m["min"] <= m["max"] and (m["min"] == m["max"] or (min(pixels) == 0 and max(pixels) == 255))


def test_two_viewers_see_the_same_events(client):
    blocker = start(client, epochs=50, batch_size=8)
    run_id = start(client, epochs=2)  # queued behind the blocker (one run at a time): both viewers see it all
    with client.websocket_connect(f"/ws/runs/{run_id}") as a, client.websocket_connect(f"/ws/runs/{run_id}") as b:
        assert a.receive_json()["state"] == b.receive_json()["state"] == "queued"
        client.post(f"/api/runs/{blocker}/stop")
        seen_a, seen_b = receive_until(a, "done"), receive_until(b, "done")
    assert [e["seq"] for e in seen_a] == list(range(2, len(seen_a) + 2))
    assert seen_a == seen_b
    # A live viewer gets the first snapshot and every epoch's last; the engine's others, taken less than
    # a second apart in this fast run, are not sent (a snapshot is the largest message).
    assert [e["step"] for e in seen_a if e["type"] == "snapshot"] == [0, 16, 32]


def test_pause_resume_and_stop_over_the_socket(client):
    run_id = start(client, epochs=50, batch_size=8)  # 3,200 steps: far longer than the test needs
    with client.websocket_connect(f"/ws/runs/{run_id}") as ws:
        receive_until(ws, "progress")
        ws.send_json({"type": "pause", "token": TOKENS[run_id]})
        paused = receive_until(ws, "status")[-1]
        assert paused["state"] == "paused"
        step = client.get(f"/api/runs/{run_id}").json()["progress"]["step"]
        wait_for(lambda: client.get(f"/api/runs/{run_id}").json()["state"] == "paused")
        import time

        time.sleep(0.3)
        run = client.get(f"/api/runs/{run_id}").json()
        assert run["state"] == "paused" and run["progress"]["step"] == step  # no training while paused
        ws.send_json({"type": "resume", "token": TOKENS[run_id]})
        resumed = receive_until(ws, "status")
        assert resumed[-1]["state"] == "running" and all(e["type"] != "progress" for e in resumed)
        assert receive_until(ws, "progress")[-1]["step"] > step
        ws.send_json({"type": "stop", "token": TOKENS[run_id]})
        done = receive_until(ws, "done")[-1]
    assert done["reason"] == "stopped" and done["step"] < 3200
    assert client.get(f"/api/runs/{run_id}").json()["state"] == "done"


def test_learning_rate_change(client):
    run_id = start(client, epochs=50, batch_size=8)
    with client.websocket_connect(f"/ws/runs/{run_id}") as ws:
        receive_until(ws, "progress")
        ws.send_json({"type": "set", "lr": 0.01, "token": TOKENS[run_id]})
        changed = [e for e in receive_until(ws, "status") if e["type"] == "status"][-1]
        assert changed["lr"] == 0.01 and changed["state"] == "running"
        later = receive_until(ws, "progress")[-1]
        assert later["lr"] == 0.01
        assert client.get(f"/api/runs/{run_id}").json()["lr"] == 0.01
        ws.send_json({"type": "stop", "token": TOKENS[run_id]})
        receive_until(ws, "done")


def test_reconnect_receives_the_history_and_nothing_twice(client):
    run_id = start(client, epochs=50, batch_size=8)
    with client.websocket_connect(f"/ws/runs/{run_id}") as ws:
        first = [ws.receive_json() for _ in range(6)]
    last = first[-1]["seq"]
    wait_for(lambda: client.get(f"/api/runs/{run_id}").json()["events"] > last + 5)  # it trains on, unwatched
    last_step = [e["step"] for e in first if e["type"] == "progress"][-1]
    with client.websocket_connect(f"/ws/runs/{run_id}?after={last}") as ws:
        resumed = [ws.receive_json() for _ in range(8)]
        seqs = [e["seq"] for e in resumed]
        assert seqs == sorted(set(seqs)) and seqs[0] > last
        # Every progress message after the last one seen, in order (64 steps an epoch: one each step);
        # only snapshots are left out of the history once a newer one exists.
        steps = [e["step"] for e in resumed if e["type"] == "progress"]
        assert steps == list(range(last_step + 1, last_step + 1 + len(steps))) and len(steps) >= 4
        ws.send_json({"type": "stop", "token": TOKENS[run_id]})
        receive_until(ws, "done")
    # A latecomer gets the whole (compacted) history: every progress message, one snapshot.
    history = watch_all(client, run_id)
    seqs = [e["seq"] for e in history]
    assert seqs == sorted(seqs) and history[0]["seq"] == 1 and history[0]["type"] == "status"
    assert [e["type"] for e in history].count("snapshot") == 1
    progress = [e["step"] for e in history if e["type"] == "progress"]
    assert progress == list(range(1, len(progress) + 1))  # 64 steps an epoch: a progress message every step


def test_a_run_outlives_its_viewers(client):
    run_id = start(client, epochs=3)
    with client.websocket_connect(f"/ws/runs/{run_id}") as ws:
        ws.receive_json()
    wait_for(lambda: client.get(f"/api/runs/{run_id}").json()["state"] == "done")
    run = client.get(f"/api/runs/{run_id}").json()
    assert run["result"]["reason"] == "finished" and run["viewers"] == 0
    events = watch_all(client, run_id)
    assert [e["epoch"] for e in events if e["type"] == "epoch"] == [1, 2, 3]
    assert events[-1] == {**run["result"], "seq": run["events"]}


@pytest.mark.parametrize(
    "message, code",
    [
        ("hello", "bad_message"),
        ("[1, 2]", "bad_message"),
        ('{"lr": 0.1}', "bad_message"),
        ('{"type": 3}', "bad_message"),
        ('{"type": "jump"}', "unknown_command"),
        ('{"type": "set"}', "bad_lr"),
        ('{"type": "set", "lr": "fast"}', "bad_lr"),
        ('{"type": "set", "lr": -1}', "bad_lr"),
        ('{"type": "set", "lr": 1e9}', "bad_lr"),
        ('{"type": "set", "lr": true}', "bad_lr"),
        ("x" * 5000, "bad_message"),
    ],
)
def test_malformed_messages_get_error_events_and_the_connection_carries_on(client, message, code):
    run_id = start(client, epochs=50, batch_size=8)
    with client.websocket_connect(f"/ws/runs/{run_id}") as ws:
        ws.send_text(message)
        error = receive_until(ws, "error")[-1]
        assert error["code"] == code and error["message"] and "seq" not in error
        ws.send_bytes(b"\x00\x01")
        assert receive_until(ws, "error")[-1]["code"] == "bad_message"
        ws.send_json({"type": "stop", "token": TOKENS[run_id]})  # the same connection still obeys
        assert receive_until(ws, "done")[-1]["reason"] == "stopped"
    assert client.get("/health").json() == {"status": "ok"}  # and the server serves on


def test_errors_in_the_viewers_language(client):
    run_id = start(client, epochs=50, batch_size=8)
    with client.websocket_connect(f"/ws/runs/{run_id}?lang=zh") as ws:
        ws.send_text("{")
        error = receive_until(ws, "error")[-1]
        assert error["code"] == "bad_message" and any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
        ws.send_json({"type": "stop", "token": TOKENS[run_id]})
        receive_until(ws, "done")


def test_commands_after_the_end_are_refused(client):
    run_id = start(client, epochs=1)
    wait_for(lambda: client.get(f"/api/runs/{run_id}").json()["state"] == "done")
    events = watch_all(client, run_id)  # the history, then the server closes the stream
    assert events[-1]["type"] == "done"
    r = client.post(f"/api/runs/{run_id}/pause", headers={"X-Control-Token": TOKENS[run_id]})
    assert r.status_code == 409 and r.json()["code"] == "run_finished"


def test_an_unknown_run(client):
    with client.websocket_connect("/ws/runs/nope") as ws:
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == "unknown_run" and "nope" in error["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4404


def test_a_queued_run_hears_its_place_then_starts():
    registry = make_registry(max_concurrent=1)
    with runs_client(registry) as client:
        first = start(client, epochs=50, batch_size=8)
        second = start(client, epochs=1)
        third = start(client, epochs=1)
        assert client.get(f"/api/runs/{second}").json()["place"] == 1
        assert client.get(f"/api/runs/{third}").json()["place"] == 2
        with client.websocket_connect(f"/ws/runs/{third}") as ws:
            queued = ws.receive_json()
            assert queued == {"type": "status", "state": "queued", "place": 2, "running": 1, "seq": 1}
            client.post(f"/api/runs/{first}/stop")
            events = receive_until(ws, "done")
        states = [(e["state"], e.get("place")) for e in events if e["type"] == "status"]
        assert states[0] == ("queued", 1) and states[1][0] == "running"
        assert events[-1]["reason"] == "finished"
        assert json.dumps(events)  # plain JSON throughout


@pytest.mark.parametrize("after", ["xyz", "-1", "1.5", "9" * 40])
def test_a_bad_after_is_refused_with_an_error_event_and_a_reason(client, after):
    run_id = start(client, epochs=1)
    with client.websocket_connect(f"/ws/runs/{run_id}?after={after}&lang=zh") as ws:
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == "bad_after" and "after" in error["message"]
        assert "编号" in error["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1008 and "after" in str(closed.value.reason)
    assert client.get("/health").status_code == 200


def test_progress_comes_a_few_times_a_second_and_at_every_epochs_end():
    registry = make_registry(progress_seconds=0.1)
    with runs_client(registry) as client:
        run_id = start(client, epochs=3, batch_size=8)  # 3 x 64 steps
        events = watch_all(client, run_id)
    steps = [e["step"] for e in events if e["type"] == "progress"]
    assert steps == sorted(steps) and len(steps) < 3 * 64
    assert {64, 128, 192} <= set(steps)  # every epoch's last step
    for e in events:
        if e["type"] == "epoch":
            previous = [p for p in events[: events.index(e)] if p["type"] == "progress"][-1]
            assert previous["step"] == e["step"]  # the chart reaches each epoch's end before its point


def test_a_viewer_without_the_token_cannot_steer_the_run(client):
    run_id = start(client, epochs=50, batch_size=8)
    with client.websocket_connect(f"/ws/runs/{run_id}?lang=zh") as ws:
        receive_until(ws, "progress")
        for message in ({"type": "pause"}, {"type": "stop", "token": "guess"}, {"type": "set", "lr": 0.5, "token": 7}):
            ws.send_json(message)
            error = receive_until(ws, "error")[-1]
            assert error["code"] == "not_run_owner" and "只能观看" in error["message"], error
        assert client.get(f"/api/runs/{run_id}").json()["state"] == "running"
        ws.send_json({"type": "stop", "token": TOKENS[run_id]})
        assert receive_until(ws, "done")[-1]["reason"] == "stopped"
