"""Progress at a steady pace: the engine reports every training step; viewers get a few a second.

The engine is asked for a ``progress`` event after every step. :class:`ProgressMerger` adds the
steps up and hands back one message per ``interval`` seconds (and at every epoch's end, and before
any other event), whatever the network's speed: a tiny network's chart moves as smoothly as
LeNet-5's, and 20 viewers of a fast run are not sent hundreds of messages a second.

The merge is exact: each event's loss and accuracy are means over its window's images and its
speed is images per second, so the merged mean weighs each window by its image count (every batch
is ``batch_size`` images except each epoch's last, which takes the rest) and the merged speed is
all the images over all the time.
"""

import math
import time


class ProgressMerger:
    def __init__(self, num_train: int, batch_size: int, interval: float, clock=time.monotonic):
        self.batch_size = batch_size
        self.steps_per_epoch = -(-num_train // batch_size)
        self.last_batch = num_train - (self.steps_per_epoch - 1) * batch_size
        self.interval = interval
        self.clock = clock
        self.published = float("-inf")
        self.step = 0  # the last step added
        self._reset()

    def _reset(self):
        self.loss = self.correct = self.seen = self.seconds = 0.0
        self.latest: dict | None = None

    def images(self, after: int, upto: int) -> int:
        """How many training images steps ``after + 1`` to ``upto`` saw."""
        ends = upto // self.steps_per_epoch - after // self.steps_per_epoch  # epochs' last (smaller) batches
        return (upto - after - ends) * self.batch_size + ends * self.last_batch

    def add(self, event: dict) -> dict | None:
        """Add an engine ``progress`` event; returns the merged message when one is due, else None."""
        seen = self.images(self.step, event["step"])
        self.step = event["step"]
        self.loss += event["loss"] * seen
        self.correct += event["accuracy"] * seen
        self.seen += seen
        speed = event["samples_per_s"]
        self.seconds += seen / speed if speed > 0 and math.isfinite(speed) else 0.0
        self.latest = event
        epoch_end = event["step"] % self.steps_per_epoch == 0 or event["step"] == event["steps_total"]
        if epoch_end or self.clock() - self.published >= self.interval:
            return self.flush()
        return None

    def flush(self) -> dict | None:
        """The merged message of the steps added since the last one (None when there are none)."""
        if self.latest is None or not self.seen:
            return None
        merged = {
            **self.latest,
            "loss": self.loss / self.seen,
            "accuracy": self.correct / self.seen,
            "samples_per_s": self.seen / self.seconds if self.seconds > 0 else self.latest["samples_per_s"],
        }
        self.published = self.clock()
        self._reset()
        return merged
