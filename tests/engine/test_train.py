"""Training as a stream of events: order and content, control from another thread, reproducibility."""

import threading

import numpy as np
import pytest

from engine import data as mnist
from engine.model import Sequential
from engine.presets import preset
from engine.train import TrainControl, confusion_matrix, train


@pytest.fixture(scope="module")
def small():
    """A 640-image slice of the bundled sample: enough for the event stream, fast to train."""
    d = mnist.load("sample")
    return mnist.Mnist(
        d.train_images[:640],
        d.train_labels[:640],
        d.test_images[:200],
        d.test_labels[:200],
        source="test slice",
        name="sample",
    )


def _run(data, seed=0, **kw):
    model = Sequential.from_spec(preset("tiny"), seed=seed)
    return model, list(train(model, data, seed=seed, **kw))


def test_event_stream_order_and_contents(small):
    model, events = _run(small, epochs=2, batch_size=64, progress_every=5, snapshot_every=4)
    types = [e["type"] for e in events]
    assert types[0] == "status" and types[-1] == "done"
    assert types.count("epoch") == 2
    progress = [e for e in events if e["type"] == "progress"]
    assert [e["step"] for e in progress] == [5, 10, 15, 20]
    for e in progress:
        assert e["loss"] > 0 and 0 <= e["accuracy"] <= 1 and e["samples_per_s"] > 0 and e["seconds_left"] >= 0
    assert progress[-1]["seconds_left"] == 0
    snap = next(e for e in events if e["type"] == "snapshot" and e["step"] == 4)
    assert snap["filters"].shape == (4, 1, 5, 5)
    assert [name for name, _ in snap["feature_maps"]] == ["conv1", "relu1", "pool1"]
    assert snap["feature_maps"][0][1].shape == (4, 24, 24)
    epoch = next(e for e in events if e["type"] == "epoch")
    assert epoch["confusion"].shape == (10, 10) and epoch["confusion"].sum() == 200
    assert abs(np.trace(epoch["confusion"]) / 200 - epoch["val_accuracy"]) < 1e-12
    assert len(epoch["mistakes"]) == min(24, 200 - np.trace(epoch["confusion"]))
    done = events[-1]
    assert done["reason"] == "finished" and done["step"] == 20 and 0 <= done["test_accuracy"] <= 1


def test_a_seed_reproduces_a_run(small):
    runs = [_run(small, seed=7, epochs=1, batch_size=32, progress_every=4)[1] for _ in range(2)]
    losses = [[e["loss"] for e in r if e["type"] == "progress"] for r in runs]
    assert losses[0] == losses[1]
    other = [
        e["loss"] for e in _run(small, seed=8, epochs=1, batch_size=32, progress_every=4)[1] if e["type"] == "progress"
    ]
    assert other != losses[0]


def test_learning_happens(small):
    _, events = _run(small, epochs=3, batch_size=32, progress_every=20, optimizer="adam", lr=0.003)
    epochs = [e for e in events if e["type"] == "epoch"]
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"] and epochs[-1]["val_accuracy"] > 0.5


def test_pause_resume_stop_and_lr_from_another_thread(small):
    control = TrainControl()
    model = Sequential.from_spec(preset("tiny"), seed=0)
    seen, paused_at = [], threading.Event()
    stream = train(model, small, epochs=50, batch_size=64, progress_every=1, snapshot_every=0, control=control)
    for event in stream:
        seen.append(event)
        if event["type"] == "progress" and event["step"] == 3:
            control.pause()
            threading.Timer(0.2, control.set_lr, args=(0.01,)).start()
            threading.Timer(0.3, control.resume).start()
        if event["type"] == "status" and event["state"] == "paused":
            paused_at.set()
        if event["type"] == "progress" and event["step"] == 8:
            control.stop()
    states = [(e.get("state"), e.get("lr")) for e in seen if e["type"] == "status"]
    assert ("paused", None) in states and ("running", 0.01) in states
    assert paused_at.is_set()
    done = seen[-1]
    assert done["type"] == "done" and done["reason"] == "stopped" and done["step"] == 8
    assert [e["lr"] for e in seen if e["type"] == "progress"][-1] == 0.01


def test_time_limit(small):
    _, events = _run(small, epochs=100, batch_size=64, max_seconds=0.05, snapshot_every=0)
    assert events[-1]["reason"] == "time_limit" and events[-1]["step"] < 1000


def test_confusion_matrix():
    m = confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), classes=3)
    assert m.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_cosine_schedule(small):
    _, events = _run(small, epochs=1, batch_size=64, progress_every=1, lr=0.1, schedule="cosine", snapshot_every=0)
    lrs = [e["lr"] for e in events if e["type"] == "progress"]
    assert lrs[0] == pytest.approx(0.1) and all(a > b for a, b in zip(lrs, lrs[1:])) and 0 < lrs[-1] < 0.003
    with pytest.raises(Exception) as e:
        _run(small, schedule="linear")
    assert getattr(e.value, "code", None) == "unknown_schedule"


def _all_numbers_finite(value) -> bool:
    """Every float and array inside an event (nested dicts, lists, tuples) is finite."""
    if isinstance(value, dict):
        return all(_all_numbers_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_all_numbers_finite(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.dtype.kind not in "fc" or bool(np.isfinite(value).all())
    if isinstance(value, (float, np.floating)):
        return bool(np.isfinite(value))
    return True


@pytest.mark.parametrize("optimizer,lr", [("sgd", 10.0), ("momentum", 10.0), ("momentum", 1.0)])
def test_a_huge_learning_rate_diverges_with_a_done_event(small, optimizer, lr):
    model, events = _run(
        small, epochs=10, batch_size=64, progress_every=1, snapshot_every=1, optimizer=optimizer, lr=lr
    )
    done = events[-1]
    assert done["type"] == "done" and done["reason"] == "diverged"
    assert set(done) == {"type", "reason", "step", "lr", "seconds", "test_loss", "test_accuracy"}
    assert done["test_loss"] is None and done["test_accuracy"] is None and done["lr"] == lr
    assert 1 <= done["step"] <= 60 and done["seconds"] > 0
    before = events[:-1]
    assert all(_all_numbers_finite(e) for e in before)
    progress = [e["step"] for e in before if e["type"] == "progress"]
    # every step before the diverging one is reported (progress_every=1), the diverging one is not
    assert progress == list(range(1, done["step"]))
    assert all(e["step"] < done["step"] for e in before if "step" in e)
    assert all(e["type"] != "done" for e in before)


def test_the_diverging_step_reports_the_learning_rate_then_in_use(small):
    control = TrainControl()
    control.set_lr(10.0)  # taken before the first step: every step runs at 10
    model = Sequential.from_spec(preset("tiny"), seed=0)
    events = list(train(model, small, epochs=10, batch_size=64, optimizer="sgd", lr=0.01, control=control))
    assert events[-1]["reason"] == "diverged" and events[-1]["lr"] == 10.0


def test_a_sane_learning_rate_does_not_diverge(small):
    _, events = _run(small, epochs=2, batch_size=64, progress_every=1, optimizer="momentum", lr=0.05)
    done = events[-1]
    assert done["reason"] == "finished" and done["step"] == 20 and "lr" not in done
    assert 0 <= done["test_accuracy"] <= 1 and np.isfinite(done["test_loss"])
    assert all(_all_numbers_finite(e) for e in events)


def test_one_batch_at_a_time_while_paused(small):
    """Paused, each `one_batch` trains exactly one step, yields its progress and a snapshot and no status,
    and the run stays paused until it is resumed."""
    control = TrainControl()
    assert control.one_batch() is False  # not paused: nothing to do
    model = Sequential.from_spec(preset("tiny"), seed=0)
    seen = []
    stream = train(model, small, epochs=50, batch_size=64, progress_every=5, snapshot_every=0, control=control)
    for event in stream:
        seen.append(event)
        if event["type"] == "progress" and event["step"] == 5:
            control.pause()
        elif event["type"] == "status" and event["state"] == "paused":
            assert control.one_batch() is True
        elif event["type"] == "snapshot" and event["step"] == 6:
            assert control.paused and control.one_batch() is True
        elif event["type"] == "snapshot" and event["step"] == 7:
            control.resume()
        elif event["type"] == "progress" and event["step"] == 15:
            control.stop()
    after = [
        (e["type"], e.get("step"), e.get("state"))
        for e in seen[seen.index(next(e for e in seen if e.get("state") == "paused")) :]
    ]
    assert after[:6] == [
        ("status", 5, "paused"),
        ("progress", 6, None),
        ("snapshot", 6, None),
        ("progress", 7, None),
        ("snapshot", 7, None),
        ("status", 7, "running"),
    ]
    # (progress_every=5 again once running; 10 steps an epoch)
    assert after[6:] == [
        ("progress", 10, None),
        ("epoch", 10, None),
        ("snapshot", 10, None),
        ("progress", 15, None),
        ("done", 15, None),
    ]
    # The single steps were real steps: the same run without pauses gives the same numbers.
    plain = list(
        train(
            Sequential.from_spec(preset("tiny"), seed=0),
            small,
            epochs=50,
            batch_size=64,
            progress_every=1,
            snapshot_every=0,
            control=_stopper(10),
        )
    )
    loss = {e["step"]: e["loss"] for e in plain if e["type"] == "progress"}
    assert [e["loss"] for e in seen if e["type"] == "progress" and e["step"] in (6, 7)] == [loss[6], loss[7]]


def _stopper(at: int) -> TrainControl:
    """A control that stops its run after step ``at`` (before the next one starts)."""

    class Stopper(TrainControl):
        calls = 0

        def before_step(self):
            Stopper.calls += 1
            if Stopper.calls > at:
                self.stop()

    return Stopper()


def test_a_stop_wakes_a_paused_run_and_one_batch_is_refused_once_stopping(small):
    control = TrainControl()
    model = Sequential.from_spec(preset("tiny"), seed=0)
    events = []
    for event in train(model, small, epochs=5, batch_size=64, control=control, snapshot_every=0):
        events.append(event)
        if event["type"] == "status" and event["state"] == "running" and "lr" in event:
            control.pause()
        elif event["type"] == "status" and event["state"] == "paused":
            threading.Timer(0.1, control.stop).start()
    assert control.one_batch() is False
    assert events[-1]["reason"] == "stopped" and events[-1]["step"] == 0


def test_the_control_can_ask_for_a_snapshot_every_step_and_is_called_before_each(small):
    control = _stopper(1000)
    control.snapshot_every = 1
    model = Sequential.from_spec(preset("tiny"), seed=0)
    events = list(train(model, small, epochs=2, batch_size=64, progress_every=5, snapshot_every=100, control=control))
    snapshots = [e["step"] for e in events if e["type"] == "snapshot"]
    # the first (step 0), one after every step, and one after each epoch's evaluation
    assert snapshots == [0, *range(1, 11), 10, *range(11, 21), 20]
    assert type(control).calls == 20  # before_step: once before each of the 20 steps
