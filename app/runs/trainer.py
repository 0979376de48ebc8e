"""A training run in its own process: the trainer side of the pipe to the web process.

The web process (:mod:`app.runs.local`) starts :func:`train_process` in a separate process for
each run, so training never competes with request handlers for the interpreter, and a trainer that
dies (killed, out of memory) takes nothing else with it. The two sides share one duplex pipe:

- trainer -> web: the run's messages, already JSON-able dicts (:func:`app.runs.events.to_message`),
  throttled here and only here (:class:`EventThrottle`): progress about ``progress_seconds`` apart
  and at every epoch's end, at most a snapshot a second. The first message is ``{"type": "_ready",
  "dataset": {...}}`` (what was loaded, for the run's view); it is not published.
- web -> trainer: commands ``("pause",)``, ``("resume",)``, ``("stop",)``, ``("set", lr)``,
  ``("pace", steps_per_second or None)`` and ``("step",)`` (one batch of a paused run), applied to a
  :class:`PacedControl` (the engine's :class:`engine.train.TrainControl` with a pace) by a listening thread.

A run watched by a class goes slowly (``pace``: at most that many steps a second, each step's
progress and snapshot sent, nothing merged or dropped) or one batch at a time while paused (each
batch's progress and snapshot sent at once). The waiting counts towards the run's time limit
(``max_seconds``), so that a slow run's history, one progress message a step, stays as bounded as a
fast one's (at most ``max_seconds`` x ``MAX_PACE`` messages; of the snapshots only the latest is kept).

Before its ``done`` message, a run that trained at least one step and did not diverge saves its
model (atomically) to ``model_path``; the web process keeps no model, and saving a run's model under
a name copies that file.
"""

import logging
import os
import threading
import time

from engine.train import TrainControl, train

from . import network
from .base import RunConfig
from .events import to_message
from .progress import ProgressMerger

log = logging.getLogger(__name__)

SNAPSHOTS_PER_EPOCH = 10  # the engine takes this many snapshots an epoch ...
SNAPSHOT_SECONDS = 1.0  # ... of which viewers get at most one a second (and every epoch's last)
MAP_TYPES = (
    "conv",
    "conv_transpose",
    "maxpool",
    "avgpool",
)  # feature maps sent to viewers (an activation's are its conv's, clipped)
NICE = 5  # trainers yield the CPU to the web process (drawing, tracing, watching)


class EventThrottle:
    """Which engine events reach the viewers, and when: the one place runs are throttled.

    ``feed(event)`` returns the engine events to send now, in order: progress merged exactly over
    about ``progress_seconds`` (see :class:`ProgressMerger`), flushed before any other event; a
    snapshot at most every ``snapshot_seconds`` (the first and each epoch's last always go).
    ``feed(event, every_step=True)`` (a paced run, or one batch of a paused run) lets every event through
    at once (progress merged with whatever was waiting)."""

    def __init__(
        self,
        num_train: int,
        batch_size: int,
        progress_seconds: float,
        snapshot_seconds: float = SNAPSHOT_SECONDS,
        clock=time.monotonic,
    ):
        self.merger = ProgressMerger(num_train, batch_size, progress_seconds, clock)
        self.snapshot_seconds = snapshot_seconds
        self.clock = clock
        self.last_snapshot = float("-inf")
        self.previous: str | None = None

    def feed(self, event: dict, every_step: bool = False) -> list[dict]:
        kind, after = event["type"], self.previous
        self.previous = kind
        if kind == "progress":
            merged = self.merger.add(event)
            if merged is None and every_step:
                merged = self.merger.flush()
            return [] if merged is None else [merged]
        out = []
        if kind != "snapshot" and (pending := self.merger.flush()) is not None:
            out.append(pending)  # the steps before a pause, an epoch's end...
        if kind == "snapshot" and not every_step:
            if self.clock() - self.last_snapshot < self.snapshot_seconds and event["step"] > 0 and after != "epoch":
                return out
            self.last_snapshot = self.clock()
        out.append(event)
        return out


class PacedControl(TrainControl):
    """The engine's :class:`TrainControl` with a pace: at most ``pace`` steps a second (None: no waiting).

    The engine calls :meth:`before_step` before each step; it waits until one ``1 / pace`` seconds have
    passed since the previous step began, and a pause, a stop or a new pace cuts the wait short. A paced
    run asks the engine for a snapshot after every step. ``waited`` adds up the seconds spent waiting."""

    def __init__(self, pace: int | None = None, clock=time.monotonic):
        super().__init__()
        self.clock = clock
        self.waited = 0.0
        self._began: float | None = None  # when the previous step began
        self._wake = threading.Event()
        self.set_pace(pace)

    def set_pace(self, pace: int | None) -> None:
        self.pace = pace
        self.snapshot_every = None if pace is None else 1
        self._wake.set()

    def pause(self):
        super().pause()
        self._wake.set()

    def stop(self):
        super().stop()
        self._wake.set()

    def before_step(self) -> None:
        while True:
            self._wake.clear()  # (before reading the state: a command from now on ends the wait)
            pace, began = self.pace, self._began
            if pace is None or began is None or self.paused or self.stop_requested:
                break
            left = began + 1.0 / pace - self.clock()
            if left <= 0:
                break
            start = self.clock()
            self._wake.wait(left)
            self.waited += self.clock() - start
        self._began = self.clock()


def _listen(conn, control: PacedControl) -> None:
    """Apply the web process's commands until the pipe closes (then stop: nobody can steer the run)."""
    while True:
        try:
            command = conn.recv()
        except (EOFError, OSError):
            control.stop()
            return
        name = command[0]
        if name == "pause":
            control.pause()
        elif name == "resume":
            control.resume()
        elif name == "set":
            control.set_lr(command[1])
        elif name == "pace":
            control.set_pace(command[1])
        elif name == "step":
            control.one_batch()
        elif name == "stop":
            control.stop()


def train_process(
    conn,
    config: RunConfig,
    load_data,
    *,
    max_seconds: float,
    progress_seconds: float,
    model_path: str,
    pace: int | None = None,
) -> None:
    """The body of a trainer process (see the module docstring); ``load_data(name)`` gives the
    :class:`engine.data.Mnist` to train on, ``model_path`` is where the trained model is written, ``pace``
    the steps a second to begin with (None: full speed)."""
    try:
        os.nice(NICE)
    except OSError:
        pass
    send_lock = threading.Lock()

    def send(message: dict) -> None:
        with send_lock:
            conn.send(message)

    step = 0
    try:
        data = load_data(config.dataset)
        model, _ = network.build(config.spec, config.seed, max_params=10**12)  # (checked in the web process)
        send(
            {
                "type": "_ready",
                "dataset": {"name": data.name, "source": data.source, "train": data.num_train, "test": data.num_test},
            }
        )
        control = PacedControl(pace)
        threading.Thread(target=_listen, args=(conn, control), daemon=True).start()
        steps_per_epoch = -(-data.num_train // config.batch_size)
        throttle = EventThrottle(data.num_train, config.batch_size, progress_seconds)
        map_layers = {layer.name for layer in model.layers if layer.type in MAP_TYPES} or None
        events = train(
            model,
            data,
            epochs=config.epochs,
            batch_size=config.batch_size,
            optimizer=config.optimizer,
            lr=config.lr,
            l2=config.l2,
            seed=config.seed,
            control=control,
            max_seconds=max_seconds,
            progress_every=1,
            snapshot_every=max(1, round(steps_per_epoch / SNAPSHOTS_PER_EPOCH)),
        )
        time_limited = False  # stopped here: training and waiting for the pace reached max_seconds
        for event in events:
            for chosen in throttle.feed(event, every_step=control.pace is not None or control.paused):
                message = to_message(chosen, data.test_images, map_layers)
                step = message.get("step", step)
                if message["type"] == "progress":
                    if control.pace is not None:  # the speed and the time left at this pace
                        message["samples_per_s"] = min(message["samples_per_s"], control.pace * config.batch_size)
                        message["seconds_left"] = max(
                            message["seconds_left"], (message["steps_total"] - message["step"]) / control.pace
                        )
                    if message["elapsed"] + control.waited >= max_seconds and not time_limited:
                        time_limited = True
                        control.stop()
                if message["type"] == "done":
                    if time_limited and message["reason"] == "stopped":
                        message["reason"] = "time_limit"
                    if message["reason"] == "time_limit":
                        message["limit"] = max_seconds
                    if message["reason"] != "diverged" and message.get("step"):
                        model.save(model_path, {"run": os.path.basename(model_path).removesuffix(".npz")})
                send(message)
    except Exception:  # a bug must not leave the viewers waiting: they are told (without its details)
        log.exception("training run failed")
        send(
            {
                "type": "error",
                "code": "run_crashed",
                "params": {},
                "message": "the training run failed because of a fault in the server",
            }
        )
        send(
            {"type": "done", "reason": "error", "step": step, "seconds": None, "test_loss": None, "test_accuracy": None}
        )
    finally:
        conn.close()
