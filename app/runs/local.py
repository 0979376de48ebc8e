"""The in-process run registry: training in worker threads, events fanned out to asyncio queues.

- Each running run trains in its own daemon thread (never on the event loop); the engine's
  generator blocks while the run is paused, which only blocks that thread.
- At most ``max_concurrent`` runs train at once; later ones wait in a queue and are told their
  place (a ``status`` message with ``state: "queued"`` and ``place``) whenever it changes.
- A run stops by itself after ``max_seconds`` of training (the engine's ``time_limit``), and after
  ``max_pause_seconds`` paused (reason ``pause_limit``: a forgotten run must not hold a slot); networks
  over ``max_params`` parameters are refused before any weights are made.
- A run does not depend on its viewers: it trains to the end with nobody watching, and its
  history stays for latecomers. The ``max_finished`` most recently finished runs are kept, with
  their models (to be saved under a name), older ones are forgotten.
- Datasets are loaded once and shared by every run (``load_data(name)`` -> :class:`engine.data.Mnist`).
"""
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone

from engine.data import Mnist
from engine.errors import EngineError
from engine.optim import make_optimizer
from engine.train import TrainControl, train

from . import network
from .base import COMMANDS, RunConfig, RunRegistry, unknown_run
from .channel import Channel, LocalSubscription
from .events import to_message
from .progress import ProgressMerger

log = logging.getLogger(__name__)

MAX_LR = 10.0
PROGRESS_SECONDS = 0.1          # viewers get a progress message about this often (see .progress)
SNAPSHOTS_PER_EPOCH = 10        # the engine takes this many snapshots an epoch ...
SNAPSHOT_SECONDS = 1.0          # ... of which viewers get at most one a second (and every epoch's last)
MAP_TYPES = ("conv", "maxpool", "avgpool")  # feature maps sent to viewers (an activation's are its conv's, clipped)


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")


def check_lr(lr) -> float:
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr <= MAX_LR:
        raise EngineError("bad_lr", f"the learning rate must be a number above 0 and at most {MAX_LR:g}, "
                          f"got {str(lr)[:20]}", value=str(lr)[:20], limit=MAX_LR)
    return float(lr)


class Run:
    """One training run: its configuration, model, control, events, and what they said so far."""

    def __init__(self, run_id: str, config: RunConfig, model, rows: list[dict], data: Mnist):
        self.id = run_id
        self.config = config
        self.model = model
        self.rows = rows
        self.data = data
        self.dataset = {"name": data.name, "source": data.source, "train": data.num_train, "test": data.num_test}
        self.control = TrainControl()
        self.channel = Channel()
        self.state = "queued"
        self.place: int | None = None
        self.created, self.started, self.finished = time.time(), None, None
        self.lr = config.lr
        self.steps_total = -(-data.num_train // config.batch_size) * config.epochs
        self.progress: dict | None = None
        self.last_epoch: dict | None = None
        self.result: dict | None = None
        self.saved: list[str] = []
        self.pauses = 0               # numbers the pauses, so that an old pause's timer is ignored
        self.stop_reason: str | None = None

    def observe(self, message: dict) -> None:
        """Keep what the latest messages say (called just before each is published)."""
        kind = message["type"]
        if kind == "status":
            self.state = message["state"]
            self.place = message.get("place")
            self.lr = message.get("lr", self.lr)
        elif kind == "progress":
            self.progress = {k: message[k] for k in ("step", "steps_total", "epoch", "loss", "accuracy",
                                                     "samples_per_s", "seconds_left", "elapsed")}
        elif kind == "epoch":
            self.last_epoch = {k: message[k] for k in ("epoch", "train_loss", "train_accuracy", "val_loss",
                                                       "val_accuracy")}
        elif kind == "done":
            self.state = "done"
            self.place = None
            self.result = message

    def view(self) -> dict:
        return {"id": self.id, "state": self.state, "place": self.place, "created": _iso(self.created),
                "started": _iso(self.started), "finished": _iso(self.finished),
                "wall_seconds": None if self.started is None else (self.finished or time.time()) - self.started,
                "config": self.config.public(), "dataset": self.dataset, "layers": self.rows,
                "params": self.model.num_params, "lr": self.lr, "steps_total": self.steps_total,
                "progress": self.progress, "epoch": self.last_epoch, "result": self.result,
                "viewers": self.channel.viewers, "events": self.channel.last_seq, "saved": list(self.saved)}


class LocalRunRegistry(RunRegistry):
    def __init__(self, load_data: Callable[[str], Mnist], *, max_concurrent: int = 1, max_seconds: float = 1800.0,
                 max_params: int = 2_000_000, max_finished: int = 20, max_pause_seconds: float | None = None,
                 progress_seconds: float = PROGRESS_SECONDS):
        self.load_data = load_data
        self.max_concurrent = max(1, int(max_concurrent))
        self.max_seconds = float(max_seconds)
        self.max_pause_seconds = float(max_seconds if max_pause_seconds is None else max_pause_seconds)
        self.progress_seconds = float(progress_seconds)
        self.max_params = int(max_params)
        self.max_finished = max(1, int(max_finished))
        self._lock = threading.RLock()
        self._runs: dict[str, Run] = {}
        self._queue: deque[Run] = deque()
        self._active: set[Run] = set()
        self._datasets: dict[str, Mnist] = {}
        self._data_lock = threading.Lock()

    # -- the interface -------------------------------------------------------------------------------

    def create(self, config: RunConfig) -> dict:
        check_lr(config.lr)
        make_optimizer(config.optimizer, config.lr)  # an unknown optimizer is refused here, not in the thread
        model, report = network.build(config.spec, config.seed, self.max_params)
        data = self._data(config.dataset)
        run = Run(self._new_id(), config, model, report.rows, data)
        with self._lock:
            self._runs[run.id] = run
            if len(self._active) < self.max_concurrent:
                self._start(run)
            else:
                self._queue.append(run)
                self._tell_places()
            return run.view()

    def get(self, run_id: str) -> dict:
        return self._run(run_id).view()

    def list(self) -> list[dict]:
        with self._lock:
            runs = sorted(self._runs.values(), key=lambda r: r.created, reverse=True)
        return [r.view() for r in runs]

    def control(self, run_id: str, command: str, lr: float | None = None) -> dict:
        run = self._run(run_id)
        if command not in COMMANDS:
            raise EngineError("unknown_command", f"unknown command {str(command)[:20]!r}; send pause, resume, stop "
                              "or set", command=str(command)[:20])
        if command == "set":
            lr = check_lr(lr)
        with self._lock:
            if run.state == "done":
                raise EngineError("run_finished", f"run {run.id} has finished: it cannot be paused, resumed, stopped "
                                  "or changed any more", run=run.id)
            if command == "pause":
                if not run.control.paused and run in self._active:
                    run.pauses += 1
                    timer = threading.Timer(self.max_pause_seconds, self._pause_expired, args=(run, run.pauses))
                    timer.daemon = True
                    timer.start()
                run.control.pause()
            elif command == "resume":
                run.pauses += 1  # the running timer, if any, no longer applies
                run.control.resume()
            elif command == "set":
                run.control.set_lr(lr)
                if run.state == "queued":
                    run.lr = lr
            elif run in self._queue:  # stop a run that never started
                self._queue.remove(run)
                self._publish(run, {"type": "done", "reason": "stopped", "step": 0, "seconds": 0.0,
                                    "test_loss": None, "test_accuracy": None})
                run.finished = time.time()
                self._tell_places()
                self._forget_old()
            else:
                run.control.stop()
            return run.view()

    def subscribe(self, run_id: str, after: int = 0) -> LocalSubscription:
        return self._run(run_id).channel.subscribe(after)

    def save_model(self, run_id: str, name: str, store) -> dict:
        run = self._run(run_id)
        result = run.result
        if result is None or result.get("reason") == "error" or not result.get("step"):
            raise EngineError("run_not_finished", "a model can be saved once its run has trained and ended",
                              run=run.id)
        config = run.config
        info = store.save(name, run.model, {
            "name": name, "test_accuracy": result.get("test_accuracy"), "dataset": run.dataset["name"],
            "epochs": config.epochs, "batch_size": config.batch_size, "optimizer": config.optimizer,
            "lr": config.lr, "l2": config.l2, "seed": config.seed, "model": config.preset or "custom",
            "run": run.id, "reason": result.get("reason"), "created": _iso(time.time())})
        with self._lock:
            if name not in run.saved:
                run.saved.append(name)
        return info

    def close(self) -> None:
        with self._lock:
            for run in list(self._queue):
                self.control(run.id, "stop")
            for run in list(self._active):
                run.control.stop()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no run is training or queued (after :meth:`close`, at shutdown, in tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._active and not self._queue:
                    return True
            time.sleep(0.01)
        return False

    # -- inside ----------------------------------------------------------------------------------------

    def _new_id(self) -> str:
        while True:
            run_id = secrets.token_hex(4)
            if run_id not in self._runs:
                return run_id

    def _run(self, run_id: str) -> Run:
        with self._lock:
            run = self._runs.get(run_id)
        if run is None:
            raise unknown_run(run_id)
        return run

    def _data(self, name: str) -> Mnist:
        with self._data_lock:
            if name not in self._datasets:
                self._datasets[name] = self.load_data(name)
            return self._datasets[name]

    def _publish(self, run: Run, message: dict) -> None:
        run.observe(message)
        run.channel.publish(message)

    def _tell_places(self) -> None:
        """Tell every queued run its (new) place; called with the lock held."""
        for place, run in enumerate(self._queue, start=1):
            if run.place != place:
                self._publish(run, {"type": "status", "state": "queued", "place": place,
                                    "running": len(self._active)})

    def _start(self, run: Run) -> None:
        """Start ``run`` in a worker thread; called with the lock held."""
        self._active.add(run)
        run.started = time.time()
        run.state, run.place = "running", None
        threading.Thread(target=self._train, args=(run,), name=f"run-{run.id}", daemon=True).start()

    def _train(self, run: Run) -> None:
        config, data = run.config, run.data
        steps_per_epoch = -(-data.num_train // config.batch_size)
        last_step, previous, last_snapshot = 0, None, float("-inf")
        merger = ProgressMerger(data.num_train, config.batch_size, self.progress_seconds)
        map_layers = {layer.name for layer in run.model.layers if layer.type in MAP_TYPES} or None
        try:
            events = train(run.model, data, epochs=config.epochs, batch_size=config.batch_size,
                           optimizer=config.optimizer, lr=config.lr, l2=config.l2, seed=config.seed,
                           control=run.control, max_seconds=self.max_seconds,
                           progress_every=1,
                           snapshot_every=max(1, round(steps_per_epoch / SNAPSHOTS_PER_EPOCH)))
            for event in events:
                kind, after = event["type"], previous
                previous = kind
                if kind == "progress":
                    event = merger.add(event)
                    if event is None:
                        continue
                elif kind != "snapshot" and (pending := merger.flush()) is not None:
                    self._publish(run, to_message(pending, data.test_images))  # the steps before a pause, an epoch's end...
                if kind == "snapshot":
                    recent = time.monotonic() - last_snapshot < SNAPSHOT_SECONDS
                    if recent and event["step"] > 0 and after != "epoch":
                        continue  # the viewers had one less than a second ago (the first and epochs' last go)
                    last_snapshot = time.monotonic()
                message = to_message(event, data.test_images, map_layers)
                last_step = message.get("step", last_step)
                if message["type"] == "done" and message["reason"] == "time_limit":
                    message["limit"] = self.max_seconds
                if message["type"] == "done" and run.stop_reason == "pause_limit":
                    message.update(reason="pause_limit", limit=self.max_pause_seconds)
                self._publish(run, message)
        except Exception as error:  # a bug must not take the server down: the viewers are told
            log.exception("training run %s failed", run.id)
            self._publish(run, {"type": "error", "code": "run_failed", "params": {"reason": str(error)[:200]},
                                "message": f"the training run failed: {str(error)[:200]}"})
            self._publish(run, {"type": "done", "reason": "error", "step": last_step, "seconds": None,
                                "test_loss": None, "test_accuracy": None})
        finally:
            with self._lock:
                run.finished = time.time()
                run.data = None
                self._active.discard(run)
                while self._queue and len(self._active) < self.max_concurrent:
                    self._start(self._queue.popleft())
                self._tell_places()
                self._forget_old()

    def _pause_expired(self, run: Run, pause: int) -> None:
        """Stop a run still in the same pause after ``max_pause_seconds``."""
        with self._lock:
            if run.pauses == pause and run.control.paused and run.state != "done":
                run.stop_reason = "pause_limit"
                run.control.stop()

    def _forget_old(self) -> None:
        """Keep only the ``max_finished`` most recently finished runs; called with the lock held."""
        finished = sorted((r for r in self._runs.values() if r.state == "done" and r not in self._active),
                          key=lambda r: r.finished or 0)
        for run in finished[:max(0, len(finished) - self.max_finished)]:
            del self._runs[run.id]
