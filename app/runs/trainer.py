"""A training run in its own process: the trainer side of the pipe to the web process.

The web process (:mod:`app.runs.local`) starts :func:`train_process` in a separate process for
each run, so training never competes with request handlers for the interpreter, and a trainer that
dies (killed, out of memory) takes nothing else with it. The two sides share one duplex pipe:

- trainer -> web: the run's messages, already JSON-able dicts (:func:`app.runs.events.to_message`),
  throttled here and only here (:class:`EventThrottle`): progress about ``progress_seconds`` apart
  and at every epoch's end, at most a snapshot a second. The first message is ``{"type": "_ready",
  "dataset": {...}}`` (what was loaded, for the run's view); it is not published.
- web -> trainer: commands ``("pause",)``, ``("resume",)``, ``("stop",)`` and ``("set", lr)``,
  applied to the engine's :class:`engine.train.TrainControl` by a listening thread.

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

SNAPSHOTS_PER_EPOCH = 10        # the engine takes this many snapshots an epoch ...
SNAPSHOT_SECONDS = 1.0          # ... of which viewers get at most one a second (and every epoch's last)
MAP_TYPES = ("conv", "maxpool", "avgpool")  # feature maps sent to viewers (an activation's are its conv's, clipped)
NICE = 5                        # trainers yield the CPU to the web process (drawing, tracing, watching)


class EventThrottle:
    """Which engine events reach the viewers, and when: the one place runs are throttled.

    ``feed(event)`` returns the engine events to send now, in order: progress merged exactly over
    about ``progress_seconds`` (see :class:`ProgressMerger`), flushed before any other event; a
    snapshot at most every ``snapshot_seconds`` (the first and each epoch's last always go)."""

    def __init__(self, num_train: int, batch_size: int, progress_seconds: float,
                 snapshot_seconds: float = SNAPSHOT_SECONDS, clock=time.monotonic):
        self.merger = ProgressMerger(num_train, batch_size, progress_seconds, clock)
        self.snapshot_seconds = snapshot_seconds
        self.clock = clock
        self.last_snapshot = float("-inf")
        self.previous: str | None = None

    def feed(self, event: dict) -> list[dict]:
        kind, after = event["type"], self.previous
        self.previous = kind
        if kind == "progress":
            merged = self.merger.add(event)
            return [] if merged is None else [merged]
        out = []
        if kind != "snapshot" and (pending := self.merger.flush()) is not None:
            out.append(pending)  # the steps before a pause, an epoch's end...
        if kind == "snapshot":
            if self.clock() - self.last_snapshot < self.snapshot_seconds and event["step"] > 0 and after != "epoch":
                return out
            self.last_snapshot = self.clock()
        out.append(event)
        return out


def _listen(conn, control: TrainControl) -> None:
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
        elif name == "stop":
            control.stop()


def train_process(conn, config: RunConfig, load_data, *, max_seconds: float, progress_seconds: float,
                  model_path: str) -> None:
    """The body of a trainer process (see the module docstring); ``load_data(name)`` gives the
    :class:`engine.data.Mnist` to train on, ``model_path`` is where the trained model is written."""
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
        send({"type": "_ready", "dataset": {"name": data.name, "source": data.source, "train": data.num_train,
                                            "test": data.num_test}})
        control = TrainControl()
        threading.Thread(target=_listen, args=(conn, control), daemon=True).start()
        steps_per_epoch = -(-data.num_train // config.batch_size)
        throttle = EventThrottle(data.num_train, config.batch_size, progress_seconds)
        map_layers = {layer.name for layer in model.layers if layer.type in MAP_TYPES} or None
        events = train(model, data, epochs=config.epochs, batch_size=config.batch_size, optimizer=config.optimizer,
                       lr=config.lr, l2=config.l2, seed=config.seed, control=control, max_seconds=max_seconds,
                       progress_every=1, snapshot_every=max(1, round(steps_per_epoch / SNAPSHOTS_PER_EPOCH)))
        for event in events:
            for chosen in throttle.feed(event):
                message = to_message(chosen, data.test_images, map_layers)
                step = message.get("step", step)
                if message["type"] == "done":
                    if message["reason"] == "time_limit":
                        message["limit"] = max_seconds
                    if message["reason"] != "diverged" and message.get("step"):
                        model.save(model_path, {"run": os.path.basename(model_path).removesuffix(".npz")})
                send(message)
    except Exception:  # a bug must not leave the viewers waiting: they are told (without its details)
        log.exception("training run failed")
        send({"type": "error", "code": "run_crashed", "params": {}, "message": "the training run failed because of a fault in the server"})
        send({"type": "done", "reason": "error", "step": step, "seconds": None, "test_loss": None,
              "test_accuracy": None})
    finally:
        conn.close()
