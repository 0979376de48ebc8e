"""Watchable training: a run's pace (steps a second, set at the start or changed live by its owner) and
one batch at a time while paused, through HTTP and the websocket; every step of a slow run, and every
single batch, reaches the viewers with its progress and a snapshot; bad paces and refused single
batches are explained in English and Chinese; the waiting counts towards the run's time limit.

Runs train the `tiny` preset on 512 images of the bundled sample (16 steps an epoch at a batch of 32)."""

import threading
import time

import pytest

from app.runs.trainer import EventThrottle, PacedControl
from tests.runs_support import make_registry, owner, receive_until, runs_client, wait_for


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture()
def registry():
    return make_registry()


@pytest.fixture()
def client(registry):
    with runs_client(registry) as c:
        yield c


def start(client, **body) -> dict:
    r = client.post("/api/runs", json={"preset": "tiny", "batch_size": 32, "epochs": 50, **body})
    assert r.status_code == 201, r.text
    return r.json()


def get(client, run):
    return client.get(f"/api/runs/{run['id']}").json()


def step_of(view) -> int:
    return (view["progress"] or {}).get("step", 0)


def stop(client, run):
    client.post(f"/api/runs/{run['id']}/stop", headers=owner(run))
    wait_for(lambda: get(client, run)["state"] == "done")


# ---- slow mode ---------------------------------------------------------------------------------------


def test_a_run_at_two_steps_a_second_sends_every_step_at_that_pace(client, registry):
    run = start(client, pace=2)
    assert run["pace"] == 2
    arrived = {}  # step -> when its progress arrived
    events = []
    with client.websocket_connect(f"/ws/runs/{run['id']}") as ws:
        while len(arrived) < 5:
            event = ws.receive_json()
            events.append(event)
            if event["type"] == "progress":
                arrived[event["step"]] = time.monotonic()
    stop(client, run)
    progress = [e["step"] for e in events if e["type"] == "progress"]
    snapshots = [e["step"] for e in events if e["type"] == "snapshot"]
    assert progress == [1, 2, 3, 4, 5]  # every step, none merged ...
    assert snapshots == list(range(len(snapshots))) and len(snapshots) >= 5  # ... each with its snapshot
    # 4 steps at 2 a second take 2 s: at least 1.5 s, and not much more (generous for a busy machine).
    assert 1.5 <= arrived[5] - arrived[1] <= 8, arrived
    last = [e for e in events if e["type"] == "progress"][-1]
    assert last["seconds_left"] >= (last["steps_total"] - last["step"]) / 2  # the time left at this pace ...
    assert last["samples_per_s"] <= 2 * 32  # ... and the speed
    # The history keeps every progress message but only the latest snapshot (in memory and on disk).
    assert [e.type for e in registry.store.events(run["id"])].count("snapshot") == 1


def test_the_pace_changes_live_and_every_viewer_sees_it(client):
    run = start(client, batch_size=8)  # full speed: 3,200 steps
    with client.websocket_connect(f"/ws/runs/{run['id']}") as ws:
        receive_until(ws, "progress")
        r = client.post(f"/api/runs/{run['id']}/pace", json={"pace": 1}, headers=owner(run))
        assert r.status_code == 200 and r.json()["pace"] == 1
        assert receive_until(ws, "pace")[-1]["pace"] == 1
        # At one step a second: in two seconds, about two steps (at full speed: hundreds).
        time.sleep(0.5)  # (the steps already under way)
        first = step_of(get(client, run))
        time.sleep(2)
        assert 1 <= step_of(get(client, run)) - first <= 4
        assert get(client, run)["pace"] == 1
        ws.send_json({"type": "pace", "pace": None, "token": run["control_token"]})  # full speed again
        assert receive_until(ws, "pace")[-1]["pace"] is None
        first = step_of(get(client, run))
        wait_for(lambda: step_of(get(client, run)) >= first + 60, timeout=20)  # (at one a second: a minute)
    assert get(client, run)["pace"] is None
    stop(client, run)


def test_waiting_for_the_pace_counts_towards_the_time_limit():
    registry = make_registry(max_seconds=1.0)
    with runs_client(registry) as client:
        run = start(client, pace=2)
        done = wait_for(lambda: (view := get(client, run))["state"] == "done" and view, timeout=10)
    assert done["result"]["reason"] == "time_limit" and done["result"]["limit"] == 1.0
    assert 1 <= done["result"]["step"] <= 4


# ---- one batch at a time -----------------------------------------------------------------------------


def test_one_batch_trains_exactly_one_step_with_its_snapshot_and_stays_paused(client):
    run = start(client, pace=2)
    wait_for(lambda: step_of(get(client, run)) >= 1)
    client.post(f"/api/runs/{run['id']}/pause", headers=owner(run))
    paused = wait_for(lambda: (view := get(client, run))["state"] == "paused" and view)
    with client.websocket_connect(f"/ws/runs/{run['id']}?after={paused['events']}") as ws:
        step = step_of(get(client, run))
        for n in (1, 2):
            r = client.post(f"/api/runs/{run['id']}/step", headers=owner(run))
            assert r.status_code == 200 and r.json()["state"] == "paused", r.text
            events = receive_until(ws, "snapshot")
            assert [(e["type"], e["step"]) for e in events] == [("progress", step + n), ("snapshot", step + n)]
        time.sleep(0.8)  # nothing more trains: still paused, the step count moved by exactly two
        view = get(client, run)
        assert view["state"] == "paused" and step_of(view) == step + 2
        ws.send_json({"type": "step", "token": run["control_token"]})  # the same over the socket
        assert [(e["type"], e["step"]) for e in receive_until(ws, "snapshot")] == [
            ("progress", step + 3),
            ("snapshot", step + 3),
        ]
        client.post(f"/api/runs/{run['id']}/resume", headers=owner(run))
        assert receive_until(ws, "status")[-1]["state"] == "running"
        assert receive_until(ws, "progress")[-1]["step"] == step + 4
    stop(client, run)


def test_one_batch_at_full_speed_also_sends_its_snapshot(client):
    run = start(client, batch_size=8)
    wait_for(lambda: step_of(get(client, run)) >= 1)
    client.post(f"/api/runs/{run['id']}/pause", headers=owner(run))
    paused = wait_for(lambda: (view := get(client, run))["state"] == "paused" and view)
    step = step_of(paused)
    with client.websocket_connect(f"/ws/runs/{run['id']}?after={paused['events']}") as ws:
        for n in (1, 2, 3):  # quicker than a snapshot a second: none is held back
            assert client.post(f"/api/runs/{run['id']}/step", headers=owner(run)).status_code == 200
            assert [(e["type"], e["step"]) for e in receive_until(ws, "snapshot")] == [
                ("progress", step + n),
                ("snapshot", step + n),
            ]
    stop(client, run)


@pytest.mark.parametrize("lang, words", [("en", ["not paused", "pause it first"]), ("zh", ["没有暂停"])])
def test_one_batch_of_a_running_run_is_refused(client, lang, words):
    run = start(client, pace=2)
    r = client.post(f"/api/runs/{run['id']}/step?lang={lang}", headers=owner(run))
    assert r.status_code == 409 and r.json()["code"] == "run_not_paused", r.text
    assert run["id"] in r.json()["detail"] and all(w in r.json()["detail"] for w in words), r.json()["detail"]
    with client.websocket_connect(f"/ws/runs/{run['id']}?lang={lang}") as ws:
        ws.send_json({"type": "step", "token": run["control_token"]})
        error = receive_until(ws, "error")[-1]
        assert error["code"] == "run_not_paused" and all(w in error["message"] for w in words)
    stop(client, run)


@pytest.mark.parametrize("lang, words", [("en", ["Only the browser that started"]), ("zh", ["只能观看"])])
def test_only_the_owner_steps_or_paces_a_run(client, lang, words):
    run = start(client, pace=2)
    client.post(f"/api/runs/{run['id']}/pause", headers=owner(run))
    wait_for(lambda: get(client, run)["state"] == "paused")
    for headers in ({}, {"X-Control-Token": "guess"}):
        for path, body in (("step", None), ("pace", {"pace": 5})):
            r = client.post(f"/api/runs/{run['id']}/{path}?lang={lang}", json=body, headers=headers)
            assert r.status_code == 403 and r.json()["code"] == "not_run_owner", r.text
            assert all(w in r.json()["detail"] for w in words)
    with client.websocket_connect(f"/ws/runs/{run['id']}?lang={lang}") as ws:
        ws.send_json({"type": "step", "token": "guess"})
        assert receive_until(ws, "error")[-1]["code"] == "not_run_owner"
    view = get(client, run)
    assert view["pace"] == 2 and view["state"] == "paused"  # nothing happened to it
    stop(client, run)


# ---- bad paces -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("pace", [0, 11, -1, 2.5, "fast", True, [2]])
@pytest.mark.parametrize("lang, words", [("en", ["pace", "1 to 10"]), ("zh", ["速度", "1 到 10"])])
def test_a_bad_pace_is_explained(client, pace, lang, words):
    run = start(client, pace=2)
    r = client.post(f"/api/runs/{run['id']}/pace?lang={lang}", json={"pace": pace}, headers=owner(run))
    assert r.status_code == 422 and r.json()["code"] == "bad_pace", r.text
    assert all(w in r.json()["detail"] for w in words), r.json()["detail"]
    assert lang == "en" or chinese(r.json()["detail"])
    with client.websocket_connect(f"/ws/runs/{run['id']}?lang={lang}") as ws:
        ws.send_json({"type": "pace", "pace": pace, "token": run["control_token"]})
        error = receive_until(ws, "error")[-1]
        assert error["code"] == "bad_pace" and all(w in error["message"] for w in words)
        ws.send_json({"type": "pace", "token": run["control_token"]})  # no pace at all
        assert receive_until(ws, "error")[-1]["code"] == "bad_pace"
    assert get(client, run)["pace"] == 2
    stop(client, run)


@pytest.mark.parametrize("pace", [0, 11, 2.5, "slow"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_run_cannot_start_at_a_bad_pace(client, pace, lang):
    r = client.post(f"/api/runs?lang={lang}", json={"preset": "tiny", "pace": pace})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    detail = r.json()["detail"]
    assert ("pace" in detail) if lang == "en" else ("速度" in detail and chinese(detail)), detail
    assert client.get("/api/runs").json() == []


def test_the_options_give_the_fastest_pace(client):
    assert client.get("/api/training/options").json()["limits"]["max_pace"] == 10


# ---- the trainer's parts ------------------------------------------------------------------------------


def progress(step, total=100):
    return {
        "type": "progress",
        "step": step,
        "steps_total": total,
        "epoch": 1,
        "loss": 1.0,
        "accuracy": 0.5,
        "samples_per_s": 100.0,
        "seconds_left": 1.0,
        "elapsed": 0.1,
        "lr": 0.1,
    }


def test_the_throttle_lets_every_step_through_only_when_asked():
    clock = lambda: 5.0  # (time stands still: everything would be merged or dropped)
    snapshot = {"type": "snapshot", "step": 0}
    throttled, every = EventThrottle(3200, 32, 0.1, clock=clock), EventThrottle(3200, 32, 0.1, clock=clock)
    fed, sent = [], []
    for step in range(1, 6):
        fed += throttled.feed(progress(step)) + throttled.feed({**snapshot, "step": step})
        sent += every.feed(progress(step), every_step=True) + every.feed({**snapshot, "step": step}, every_step=True)
    assert [(e["type"], e["step"]) for e in sent] == [(t, s) for s in range(1, 6) for t in ("progress", "snapshot")]
    assert len(fed) <= 2  # without it: the first progress and a snapshot a second at most


def test_the_paced_control_waits_and_a_pause_cuts_the_wait_short():
    control = PacedControl(2)
    assert control.snapshot_every == 1
    control.before_step()  # the first step: no wait
    began = time.monotonic()
    control.before_step()
    assert 0.4 <= time.monotonic() - began < 2 and control.waited >= 0.4
    control.set_pace(1)
    threading.Timer(0.1, control.pause).start()
    began = time.monotonic()
    control.before_step()  # would wait a second: the pause ends the wait
    assert time.monotonic() - began < 0.6
    control.set_pace(None)
    assert control.snapshot_every is None
    control.resume()
    began = time.monotonic()
    control.before_step()
    control.before_step()
    assert time.monotonic() - began < 0.1
