"""The interface the routes use: a registry of training runs and the fan-out of their events.

The routes only ever talk to a :class:`RunRegistry`. The embedded one
(:class:`app.runs.local.LocalRunRegistry`) trains in trainer processes, fans events out to asyncio
queues and keeps runs in SQLite. Another implementation can keep the same five operations over
a shared store, for example Redis: ``create`` pushes the run onto a list that trainer processes
pop from, ``control`` publishes the command on the run's channel, and each event is appended to a
Redis stream (``XADD``), which gives ``subscribe`` its history (``XRANGE``) and the live tail
(``XREAD BLOCK``) in one structure. Nothing in the routes changes.

Events are JSON messages (see :mod:`app.runs.events`) numbered from 1 by ``seq``; a viewer that
reconnects passes the last ``seq`` it saw as ``after`` and misses nothing.
"""

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from engine.errors import EngineError

COMMANDS = ("pause", "resume", "stop", "set", "pace", "step")
# A run's pace: at most this many steps a second, each sending its progress and a snapshot, or None
# (as fast as it trains, events throttled). "step" trains one batch of a paused run.
MAX_PACE = 10
STATES = ("queued", "running", "paused", "done", "diverged", "interrupted")


@dataclass(frozen=True)
class RunConfig:
    """What to train: the network spec (``preset`` names it when it came from one) and the hyperparameters."""

    spec: dict
    preset: str | None = None
    epochs: int = 1
    batch_size: int = 64
    lr: float = 0.05
    optimizer: str = "momentum"
    seed: int = 0
    dataset: str = "sample"
    l2: float = 0.0
    dropout: float | None = None

    def public(self) -> dict:
        """The configuration as the API shows it and a saved model records it: the same names throughout."""
        return asdict(self)


# The training settings of a run (all but the network), named as in the request, the view and the saved model.
HYPERPARAMETERS = tuple(f.name for f in fields(RunConfig) if f.name not in ("spec", "preset"))


@dataclass(frozen=True)
class Event:
    """One message of a run: ``seq`` (1, 2, ...), ``type``, its JSON text (sent as is to every viewer)
    and the message as a dict."""

    seq: int
    type: str
    text: str
    data: dict[str, Any] = field(repr=False)


class SlowViewer(Exception):
    """Raised by a subscription whose viewer fell too far behind: it should reconnect with ``after``."""


class Subscription(ABC):
    """A viewer's stream of a run's events: first the history after ``after``, then live ones, ending
    after the ``done`` event. Iterate it with ``async for``; ``close()`` when the viewer leaves. A viewer that
    falls too far behind gets :class:`SlowViewer` and should reconnect with the last ``seq`` it saw."""

    @abstractmethod
    def __aiter__(self) -> AsyncIterator[Event]: ...

    @abstractmethod
    def close(self) -> None: ...


class RunRegistry(ABC):
    """Create, find, list and control runs, and subscribe to their events (see the module docstring).

    Every method but ``subscribe`` may be called from any thread; ``subscribe`` is called on the event
    loop that will iterate the subscription. Errors are :class:`EngineError` with the codes
    ``unknown_run`` (the routes answer 404), ``not_run_owner`` (403), ``run_finished`` /
    ``run_not_finished`` / ``run_not_paused`` / ``model_name_taken`` (409), or the
    network's and hyperparameters' own codes (422).
    """

    @abstractmethod
    def create(self, config: RunConfig, client: str | None = None, pace: int | None = None) -> dict:
        """Check the network and the caps (and the runs ``client``, an address, already has), then start the
        run or queue it, at ``pace`` steps a second (None: full speed). Returns its :meth:`get` view and its
        ``control_token``."""

    @abstractmethod
    def get(self, run_id: str) -> dict:
        """The run's state, place in the queue, configuration, latest progress and result."""

    @abstractmethod
    def list(self) -> list[dict]:
        """Every run kept (running, queued, and the most recent finished ones), newest first."""

    max_concurrent: int  # runs that train at once

    @abstractmethod
    def control(
        self, run_id: str, command: str, lr: float | None = None, token: str | None = None, pace: int | None = None
    ) -> dict:
        """``pause``, ``resume``, ``stop``, ``set`` (a new learning rate ``lr``), ``pace`` (``pace`` steps a
        second, None for full speed: ``bad_pace`` otherwise) or ``step`` (one batch of a paused run:
        ``run_not_paused`` otherwise), given the run's control ``token`` (``not_run_owner`` otherwise).
        Returns the run's view."""

    @abstractmethod
    def subscribe(self, run_id: str, after: int = 0) -> Subscription:
        """The run's events with ``seq > after``: its (compacted) history, then live ones."""

    @abstractmethod
    def save_model(self, run_id: str, name: str, store, token: str | None = None, overwrite: bool = False) -> dict:
        """Save a finished run's model in ``store`` (:class:`app.model_store.ModelStore`) under ``name``,
        given the run's control ``token``."""

    def close(self) -> None:
        """Stop every run (at shutdown)."""


def unknown_run(run_id: str) -> EngineError:
    return EngineError(
        "unknown_run",
        f"there is no training run {run_id!r} (finished runs are kept for a while only)",
        run=str(run_id)[:40],
    )
