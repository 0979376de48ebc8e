"""The embedded run registry: runs train in trainer processes, events fan out to asyncio queues, and
everything is kept in SQLite so that a restart loses nothing.

- Each running run trains in a process of its own (:mod:`app.runs.trainer`, started through a
  ``forkserver``): never in a thread of the web process. A relay thread per run receives its
  messages over a pipe and publishes them (:mod:`app.runs.channel`); commands go the other way.
  A trainer that dies ends its run with an ``error`` event; the server carries on.
- At most ``max_concurrent`` runs train at once (by default one per core the web process leaves
  free); later ones wait in a queue and are told their place whenever it changes.
- A run stops by itself after ``max_seconds`` of training (the engine's ``time_limit``), and after
  ``max_pause_seconds`` paused (reason ``pause_limit``: a forgotten run must not hold a slot);
  networks over ``max_params`` parameters are refused before any weights are made, and networks whose
  estimated peak memory (:mod:`engine.memory`) is over ``max_memory_bytes`` before any trainer starts.
- A run belongs to whoever started it: :meth:`create` answers a ``control_token`` (only then;
  the registry keeps its SHA-256) that pause, resume, stop, learning-rate and pace changes, one batch
  at a time and saving need.
- A run's pace (steps a second, or full speed) can change at any time; each change is published as a
  ``{"type": "pace", "pace": ...}`` event, so that every viewer sees it.
- A run does not depend on its viewers. The web process keeps only unfinished runs in memory; a
  finished run's view and history are read back from the :class:`RunStore` (the ``max_finished``
  most recent are kept), and its trained model is a file in ``state_dir`` until a name is given.
- Runs a previous server left unfinished (a restart, a crash) are marked ``interrupted`` at start.
"""

import hashlib
import logging
import multiprocessing
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from engine.data import Mnist
from engine.errors import EngineError
from engine.model import Sequential
from engine.train import check_train_batches
from engine.optim import make_optimizer

from . import network
from .base import COMMANDS, HYPERPARAMETERS, MAX_PACE, RunConfig, RunRegistry, unknown_run
from .channel import Channel, LocalSubscription
from .store import RunStore
from .trainer import train_process

log = logging.getLogger(__name__)

MAX_LR = 10.0
PROGRESS_SECONDS = 0.1  # viewers get a progress message about this often (see .trainer.EventThrottle)
FINISHED = ("done", "diverged", "interrupted")  # the states of a run that has ended
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["numpy", "engine.train", "app.runs.trainer"])


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


def default_trainers() -> int:
    """One trainer process per core beyond the web process's own (at least one)."""
    return max(1, (os.cpu_count() or 2) - 1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_lr(lr) -> float:
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr <= MAX_LR:
        raise EngineError(
            "bad_lr",
            f"the learning rate must be a number above 0 and at most {MAX_LR:g}, got {str(lr)[:20]}",
            value=str(lr)[:20],
            limit=MAX_LR,
        )
    return float(lr)


def check_pace(pace) -> int | None:
    """A run's pace: a whole number of steps a second from 1 to MAX_PACE, or None (full speed)."""
    if pace is None:
        return None
    if isinstance(pace, bool) or not isinstance(pace, (int, float)) or pace != int(pace) or not 1 <= pace <= MAX_PACE:
        raise EngineError(
            "bad_pace",
            f"the pace must be a whole number of steps a second from 1 to {MAX_PACE}, or "
            f"null for full speed, got {str(pace)[:20]}",
            value=str(pace)[:20],
            limit=MAX_PACE,
        )
    return int(pace)


def not_owner(run_id: str) -> EngineError:
    return EngineError(
        "not_run_owner",
        f"only the browser that started run {run_id} (or one given its control "
        "link) can pause, resume, stop, change or save it; this page watches it",
        run=run_id,
    )


class Run:
    """One unfinished training run: its configuration, trainer, events, and what they said so far."""

    def __init__(
        self,
        run_id: str,
        config: RunConfig,
        rows: list[dict],
        params: int,
        dataset: dict,
        token: str,
        pace: int | None = None,
    ):
        self.id = run_id
        self.config = config
        self.rows = rows
        self.params = params
        self.dataset = dataset
        self.token_hash = token_hash(token)
        self.channel = Channel()
        self.state = "queued"
        self.place: int | None = None
        self.created, self.started, self.finished = time.time(), None, None
        self.lr = config.lr
        self.pace = pace  # steps a second, None: full speed
        self.steps_total = -(-dataset["train"] // config.batch_size) * config.epochs
        self.progress: dict | None = None
        self.last_epoch: dict | None = None
        self.result: dict | None = None
        self.saved: list[str] = []
        self.client: str | None = None  # the address that started it (for the limit per client)
        self.paused = False
        self.stop_reason_limit = False  # stopped by the pause limit
        self.pauses = 0  # numbers the pauses, so that an old pause's timer is ignored
        self.conn = None  # the pipe to the trainer, while it runs
        self.process = None
        self.send_lock = threading.Lock()

    def observe(self, message: dict) -> None:
        """Keep what the latest messages say (called just before each is published)."""
        kind = message["type"]
        if kind == "status":
            self.state = message["state"]
            self.place = message.get("place")
            self.lr = message.get("lr", self.lr)
        elif kind == "pace":
            self.pace = message["pace"]
        elif kind == "progress":
            self.progress = {
                k: message[k]
                for k in (
                    "step",
                    "steps_total",
                    "epoch",
                    "loss",
                    "accuracy",
                    "samples_per_s",
                    "seconds_left",
                    "elapsed",
                )
            }
        elif kind == "epoch":
            self.last_epoch = {
                k: message[k] for k in ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy")
            }
        elif kind == "done":
            self.state = {"diverged": "diverged", "interrupted": "interrupted"}.get(message["reason"], "done")
            self.place = None
            self.result = message

    def view(self) -> dict:
        return {
            "id": self.id,
            "state": self.state,
            "place": self.place,
            "created": _iso(self.created),
            "started": _iso(self.started),
            "finished": _iso(self.finished),
            "wall_seconds": None if self.started is None else (self.finished or time.time()) - self.started,
            "config": self.config.public(),
            "dataset": self.dataset,
            "layers": self.rows,
            "params": self.params,
            "lr": self.lr,
            "pace": self.pace,
            "steps_total": self.steps_total,
            "progress": self.progress,
            "epoch": self.last_epoch,
            "result": self.result,
            "viewers": self.channel.viewers,
            "events": self.channel.last_seq,
            "saved": list(self.saved),
        }

    def send(self, *command) -> None:
        """A command to the trainer (ignored when it has already gone: its ``done`` is on the way)."""
        with self.send_lock:
            if self.conn is not None:
                try:
                    self.conn.send(command)
                except (OSError, ValueError):
                    pass


class LocalRunRegistry(RunRegistry):
    def __init__(
        self,
        load_data: Callable[[str], Mnist],
        state_dir: Path,
        *,
        max_concurrent: int | None = None,
        max_seconds: float = 1800.0,
        max_params: int = 2_000_000,
        max_memory_bytes: int | None = None,
        max_runs_per_client: int = 2,
        max_queued: int = 20,
        max_finished: int = 20,
        max_pause_seconds: float | None = None,
        progress_seconds: float = PROGRESS_SECONDS,
    ):
        """``load_data(name)`` loads a dataset (it is called in the trainer processes, so it must be
        picklable: a module-level function or a ``functools.partial`` of one); ``state_dir`` holds the
        runs' database and their trained models."""
        self.load_data = load_data
        self.state_dir = Path(state_dir)
        self.max_concurrent = max(1, int(max_concurrent or default_trainers()))
        self.max_seconds = float(max_seconds)
        self.max_pause_seconds = float(max_seconds if max_pause_seconds is None else max_pause_seconds)
        self.progress_seconds = float(progress_seconds)
        self.max_params = int(max_params)
        self.max_memory_bytes = max_memory_bytes
        self.max_runs_per_client = int(max_runs_per_client)
        self.max_queued = int(max_queued)
        self.max_finished = max(1, int(max_finished))
        self._lock = threading.RLock()
        self._runs: dict[str, Run] = {}  # unfinished runs only
        self._queue: deque[Run] = deque()
        self._active: set[Run] = set()
        self._datasets: dict[str, dict] = {}
        self._data_lock = threading.Lock()
        self.models_dir = self.state_dir / "run-models"
        self.models_dir.mkdir(parents=True, exist_ok=True)
        for leftover in self.models_dir.glob(".*.tmp"):  # a save cut off by a crash
            leftover.unlink(missing_ok=True)
        self.store = RunStore(self.state_dir / "runs.sqlite3")
        self._interrupt_leftovers()

    # -- the interface -------------------------------------------------------------------------------

    def create(self, config: RunConfig, client: str | None = None, pace: int | None = None) -> dict:
        check_lr(config.lr)
        pace = check_pace(pace)
        make_optimizer(config.optimizer, config.lr)  # an unknown optimizer is refused here, not in the trainer
        model, report = network.build(
            config.spec,
            config.seed,
            self.max_params,
            batch_size=config.batch_size,
            optimizer=config.optimizer,
            max_memory_bytes=self.max_memory_bytes,
        )
        dataset = self._dataset(config.dataset)
        check_train_batches(model, dataset["train"], config.batch_size)  # (batch norm: no batch of one image)
        token = secrets.token_urlsafe(18)
        run = Run(self._new_id(), config, report.rows, model.num_params, dataset, token, pace)
        run.client = client
        del model  # the trainer builds its own from the same seed
        with self._lock:
            self._check_limits(client)
            self._runs[run.id] = run
            self._save_view(run)
            if len(self._active) < self.max_concurrent:
                self._start(run)
            else:
                self._queue.append(run)
                self._tell_places()
            return {**run.view(), "control_token": token}

    def get(self, run_id: str) -> dict:
        with self._lock:
            run = self._runs.get(run_id)
            if run is not None:
                return run.view()
        stored = self.store.run(run_id)
        if stored is None:
            raise unknown_run(run_id)
        return stored[0]

    def list(self) -> list[dict]:
        with self._lock:
            live = [r.view() for r in sorted(self._runs.values(), key=lambda r: r.created, reverse=True)]
        return live + self.store.finished_views()

    def control(
        self, run_id: str, command: str, lr: float | None = None, token: str | None = None, pace: int | None = None
    ) -> dict:
        if command not in COMMANDS:
            raise EngineError(
                "unknown_command",
                f"unknown command {str(command)[:20]!r}; send pause, resume, stop, set, pace or step",
                command=str(command)[:20],
            )
        if command == "set":
            lr = check_lr(lr)
        elif command == "pace":
            pace = check_pace(pace)
        self.check_owner(run_id, token)
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or run.state in FINISHED:
                raise EngineError(
                    "run_finished",
                    f"run {run_id} has finished: it cannot be paused, resumed, stopped or changed any more",
                    run=run_id,
                )
            if command == "pause":
                if not run.paused and run in self._active:
                    self._arm_pause_limit(run)
                run.paused = True
                run.send("pause")
            elif command == "resume":
                run.pauses += 1  # the running timer, if any, no longer applies
                run.paused = False
                run.send("resume")
            elif command == "set":
                run.send("set", lr)
                if run.state == "queued":
                    run.lr = lr
            elif command == "pace":
                run.send("pace", pace)
                if pace != run.pace:
                    self._publish(run, {"type": "pace", "pace": pace})
            elif command == "step":
                if not (run.paused and run in self._active):
                    raise EngineError(
                        "run_not_paused",
                        f"run {run_id} is not paused: pause it, then train one batch at a time",
                        run=run_id,
                    )
                self._arm_pause_limit(run)  # (a class stepping through a run has not forgotten it)
                run.send("step")
            elif run in self._queue:  # stop a run that never started
                self._queue.remove(run)
                run.finished = time.time()
                self._publish(
                    run,
                    {
                        "type": "done",
                        "reason": "stopped",
                        "step": 0,
                        "seconds": 0.0,
                        "test_loss": None,
                        "test_accuracy": None,
                    },
                )
                self._tell_places()
            else:
                run.send("stop")
            return run.view()

    def check_owner(self, run_id: str, token: str | None) -> None:
        """Raise ``unknown_run`` or ``not_run_owner`` unless ``token`` is the run's control token."""
        with self._lock:
            run = self._runs.get(run_id)
            expected = run.token_hash if run is not None else None
        if expected is None:
            stored = self.store.run(run_id)
            if stored is None:
                raise unknown_run(run_id)
            expected = stored[1]
        if not isinstance(token, str) or not secrets.compare_digest(token_hash(token), expected):
            raise not_owner(run_id)

    def subscribe(self, run_id: str, after: int = 0) -> LocalSubscription:
        with self._lock:
            run = self._runs.get(run_id)
            if run is not None:
                return run.channel.subscribe(after)
        if self.store.run(run_id) is None:
            raise unknown_run(run_id)
        return Channel.replay(self.store.events(run_id)).subscribe(after)

    def save_model(self, run_id: str, name: str, store, token: str | None = None, overwrite: bool = False) -> dict:
        self.check_owner(run_id, token)
        view = self.get(run_id)
        result, path = view["result"], self.models_dir / f"{run_id}.npz"
        if result is None or view["state"] != "done" or not result.get("step") or not path.exists():
            raise EngineError("run_not_finished", "a model can be saved once its run has trained and ended", run=run_id)
        config = view["config"]
        metadata = {
            **{k: config[k] for k in HYPERPARAMETERS},
            "name": name,
            "test_accuracy": result.get("test_accuracy"),
            "dataset": view["dataset"]["name"],
            "model": config["preset"] or "custom",
            "run": run_id,
            "reason": result.get("reason"),
            "created": _iso(time.time()),
        }
        info = store.save(name, Sequential.load(path), metadata, owner=token_hash(token), overwrite=overwrite)
        with self._lock:
            run = self._runs.get(run_id)
            saved = view["saved"] if run is None else run.saved
            if name not in saved:
                saved.append(name)
            if run is None:
                self.store.update(run_id, {**view, "saved": saved})
        return info

    def close(self) -> None:
        with self._lock:
            for run in list(self._queue):
                self._queue.remove(run)
                run.finished = time.time()
                self._publish(
                    run,
                    {
                        "type": "done",
                        "reason": "stopped",
                        "step": 0,
                        "seconds": 0.0,
                        "test_loss": None,
                        "test_accuracy": None,
                    },
                )
            for run in list(self._active):
                run.send("stop")

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
            if run_id not in self._runs and self.store.run(run_id) is None:
                return run_id

    def _check_limits(self, client: str | None) -> None:
        """Refuse a run beyond the limits per client and on the queue (``too_many_runs``, ``queue_full``);
        called with the lock held."""
        mine = sum(1 for r in self._runs.values() if r.client == client) if client is not None else 0
        if mine >= self.max_runs_per_client:
            raise EngineError(
                "too_many_runs",
                f"you already have {mine} runs queued or training; this server allows "
                f"{self.max_runs_per_client} at once: stop one or wait for it to end",
                runs=mine,
                limit=self.max_runs_per_client,
            )
        if len(self._active) >= self.max_concurrent and len(self._queue) >= self.max_queued:
            raise EngineError(
                "queue_full",
                f"{len(self._queue)} runs are already waiting for a trainer: try again when one has finished",
                queued=len(self._queue),
                limit=self.max_queued,
            )

    def _dataset(self, name: str) -> dict:
        """What dataset ``name`` holds (loaded once here to check that it exists; the data itself
        lives in the trainers)."""
        with self._data_lock:
            if name not in self._datasets:
                data = self.load_data(name)
                self._datasets[name] = {
                    "name": data.name,
                    "source": data.source,
                    "train": data.num_train,
                    "test": data.num_test,
                }
            return self._datasets[name]

    def _save_view(self, run: Run) -> None:
        self.store.put_run(run.id, run.created, run.token_hash, run.view(), run.finished)

    def _publish(self, run: Run, message: dict) -> None:
        if message["type"] == "done":  # (before the view says "done": it is read from other threads)
            run.finished = run.finished or time.time()
        run.observe(message)
        event = run.channel.publish(message)
        if event is None:
            return
        self.store.add_event(run.id, event)
        if message["type"] == "done":
            with self._lock:
                self._save_view(run)
                self._runs.pop(run.id, None)
                for gone in self.store.forget_all_but(self.max_finished):
                    (self.models_dir / f"{gone}.npz").unlink(missing_ok=True)
        elif message["type"] != "progress" and message["type"] != "snapshot":
            self._save_view(run)

    def _tell_places(self) -> None:
        """Tell every queued run its (new) place; called with the lock held."""
        for place, run in enumerate(self._queue, start=1):
            if run.place != place:
                self._publish(run, {"type": "status", "state": "queued", "place": place, "running": len(self._active)})

    def _start(self, run: Run) -> None:
        """Start ``run``'s trainer process and its relay thread; called with the lock held."""
        self._active.add(run)
        run.started = time.time()
        run.state, run.place = "running", None
        ours, theirs = _CONTEXT.Pipe()
        run.conn = ours
        run.process = _CONTEXT.Process(
            target=train_process,
            name=f"trainer-{run.id}",
            daemon=True,
            args=(theirs, replace(run.config, lr=run.lr), self.load_data),
            kwargs={
                "max_seconds": self.max_seconds,
                "progress_seconds": self.progress_seconds,
                "pace": run.pace,
                "model_path": str(self.models_dir / f"{run.id}.npz"),
            },
        )
        run.process.start()
        theirs.close()
        if run.paused:  # paused while it waited in the queue (a new learning rate is in its configuration)
            run.send("pause")
            self._arm_pause_limit(run)
        threading.Thread(target=self._relay, args=(run,), name=f"relay-{run.id}", daemon=True).start()

    def _relay(self, run: Run) -> None:
        """Publish the trainer's messages until its ``done`` (or its death). The run's slot is freed (and
        the next queued run started) before its ``done`` is published: whoever hears it may start another."""
        last_step, done = 0, None
        try:
            while True:
                try:
                    message = run.conn.recv()
                except (EOFError, OSError):
                    break
                if message["type"] == "done":
                    done = message
                    break
                if message["type"] != "_ready":
                    last_step = message.get("step", last_step)
                    self._publish(run, message)
        finally:
            with run.send_lock:
                run.conn.close()
                run.conn = None
            run.process.join(5)
            if run.process.is_alive():
                run.process.kill()
                run.process.join()
            exit_code, run.process = run.process.exitcode, None
            with self._lock:
                self._active.discard(run)
                while self._queue and len(self._active) < self.max_concurrent:
                    self._start(self._queue.popleft())
                self._tell_places()
            if done is None:  # the trainer died: killed, out of memory...
                log.error("the trainer of run %s ended without finishing (exit code %s)", run.id, exit_code)
                self._publish(
                    run,
                    {
                        "type": "error",
                        "code": "trainer_died",
                        "params": {},
                        "message": "the training process stopped unexpectedly (out of memory, or "
                        "stopped by the system); the run has ended",
                    },
                )
                done = {
                    "type": "done",
                    "reason": "error",
                    "step": last_step,
                    "seconds": None,
                    "test_loss": None,
                    "test_accuracy": None,
                }
            elif run.stop_reason_limit:
                done.update(reason="pause_limit", limit=self.max_pause_seconds)
            self._publish(run, done)

    def _arm_pause_limit(self, run: Run) -> None:
        """Stop ``run`` if this pause lasts ``max_pause_seconds``; called with the lock held."""
        run.pauses += 1
        timer = threading.Timer(self.max_pause_seconds, self._pause_expired, args=(run, run.pauses))
        timer.daemon = True
        timer.start()

    def _pause_expired(self, run: Run, pause: int) -> None:
        """Stop a run still in the same pause after ``max_pause_seconds``."""
        with self._lock:
            if run.pauses == pause and run.paused and run.state not in FINISHED:
                run.stop_reason_limit = True
                run.send("stop")

    def _interrupt_leftovers(self) -> None:
        """Runs a previous server left unfinished end as ``interrupted``, with a message."""
        for run_id, view in self.store.unfinished():
            history = self.store.events(run_id)
            progress = [e.data for e in history if e.type == "progress"]
            if progress:  # (the stored view is written at each state change, the progress is in the events)
                view["progress"] = {
                    k: progress[-1][k]
                    for k in (
                        "step",
                        "steps_total",
                        "epoch",
                        "loss",
                        "accuracy",
                        "samples_per_s",
                        "seconds_left",
                        "elapsed",
                    )
                }
            channel = Channel.replay(history)
            event = channel.publish(
                {
                    "type": "done",
                    "reason": "interrupted",
                    "step": (view["progress"] or {}).get("step", 0),
                    "seconds": None,
                    "test_loss": None,
                    "test_accuracy": None,
                }
            )
            if event is None:  # it had ended; only its view was not written
                event = history[-1]
            else:
                self.store.add_event(run_id, event)
            now = time.time()
            self.store.update(
                run_id,
                {
                    **view,
                    "state": "interrupted",
                    "place": None,
                    "result": event.data,
                    "finished": _iso(now),
                    "viewers": 0,
                    "events": event.seq,
                },
                finished=now,
            )
