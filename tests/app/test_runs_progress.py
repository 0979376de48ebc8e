"""app.runs.progress: per-step progress merged into a few messages a second, exactly."""

import pytest

from app.runs.progress import ProgressMerger


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def event(step, loss, accuracy, speed, total=10, epoch=1):
    return {
        "type": "progress",
        "step": step,
        "steps_total": total,
        "epoch": epoch,
        "loss": loss,
        "accuracy": accuracy,
        "samples_per_s": speed,
        "seconds_left": 1.0,
        "elapsed": 0.5,
        "lr": 0.1,
    }


def test_images_per_step_with_a_smaller_last_batch():
    m = ProgressMerger(num_train=10, batch_size=4, interval=1)  # batches of 4, 4, 2 each epoch
    assert m.steps_per_epoch == 3 and m.last_batch == 2
    assert [m.images(s - 1, s) for s in range(1, 7)] == [4, 4, 2, 4, 4, 2]
    assert m.images(0, 6) == 20 and m.images(2, 4) == 6


def test_merged_means_weigh_each_step_by_its_images():
    clock = Clock()
    m = ProgressMerger(num_train=10, batch_size=4, interval=1, clock=clock)
    assert m.add(event(1, loss=2.0, accuracy=0.25, speed=400, total=6)) is not None  # the first goes at once
    clock.now = 0.2
    assert m.add(event(2, loss=1.0, accuracy=0.5, speed=400, total=6)) is None  # too soon: kept
    merged = m.add(event(3, loss=4.0, accuracy=1.0, speed=100, total=6))  # an epoch's end: sent
    assert merged["step"] == 3 and merged["epoch"] == 1
    assert merged["loss"] == pytest.approx((1.0 * 4 + 4.0 * 2) / 6)
    assert merged["accuracy"] == pytest.approx((0.5 * 4 + 1.0 * 2) / 6)
    assert merged["samples_per_s"] == pytest.approx(6 / (4 / 400 + 2 / 100))
    assert m.flush() is None  # nothing left


def test_interval_zero_sends_every_step_and_flush_sends_the_rest():
    clock = Clock()
    m = ProgressMerger(num_train=100, batch_size=10, interval=0, clock=clock)
    assert [m.add(event(s, 1.0, 0.5, 50, total=10))["step"] for s in range(1, 4)] == [1, 2, 3]
    m.interval = 5
    clock.now = 1.0
    assert m.add(event(4, 3.0, 0.0, 50, total=10)) is None
    late = m.flush()  # e.g. before a "paused" status
    assert late["step"] == 4 and late["loss"] == 3.0
