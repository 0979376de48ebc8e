"""Saved models: the pretrained ones shipped in the package, and the ones trained on this server.

Both the training page (which saves) and the draw-a-digit page (which lists and predicts) use one
:class:`ModelStore`. Models are ``.npz`` files written by :meth:`engine.model.Sequential.save`
(atomically); a loaded model is cached with a lock, because a model's layers keep per-call
buffers and must not run two forward passes at once.

A save cut off by a crash leaves a hidden temporary file (``.<name>.npz.<random>.tmp``) in the
models folder: a new store removes those older than :data:`LEFTOVER_SECONDS`. A file that cannot
be read as a model is left out of the list (with a log line), never an error for the whole list.
"""

import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import EngineError
from engine.model import Sequential

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
DEFAULT_MODEL = "lenet5"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,47}$")
LEFTOVER_SECONDS = 10.0  # a temporary file older than this is a save that will never finish
log = logging.getLogger(__name__)


def default_trained_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cnn-playground" / "models"


@dataclass
class LoadedModel:
    """A model ready to run: hold ``lock`` around every forward pass."""

    name: str
    source: str  # "pretrained" or "trained"
    model: Sequential
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def info(self) -> dict:
        meta = self.model.metadata
        return {
            "name": self.name,
            "source": self.source,
            "test_accuracy": meta.get("test_accuracy"),
            "dataset": meta.get("dataset"),
            "epochs": meta.get("epochs"),
            "params": self.model.num_params,
            "created": meta.get("created"),
        }


class ModelStore:
    def __init__(self, trained_dir: Path | None = None, pretrained_dir: Path = PRETRAINED_DIR):
        self.trained_dir = Path(trained_dir) if trained_dir else default_trained_dir()
        self.pretrained_dir = Path(pretrained_dir)
        self._cache: dict[str, tuple[float, LoadedModel]] = {}
        self._lock = threading.Lock()
        self.remove_leftovers()

    def remove_leftovers(self, older_than: float = LEFTOVER_SECONDS) -> list[Path]:
        """Delete the temporary files of saves interrupted ``older_than`` seconds ago or more (see
        :meth:`engine.model.Sequential.save`); the paths removed."""
        removed = []
        if not self.trained_dir.is_dir():
            return removed
        now = time.time()
        for path in self.trained_dir.glob(".*.npz.*.tmp"):
            try:
                if path.is_file() and now - path.stat().st_mtime >= older_than:
                    path.unlink()
                    removed.append(path)
            except OSError as error:  # gone meanwhile, or not ours to delete
                log.warning("could not remove the leftover temporary file %s: %s", path, error)
        if removed:
            log.info("removed %d leftover temporary model file(s) in %s", len(removed), self.trained_dir)
        return removed

    def _path(self, name: str) -> tuple[Path, str] | None:
        for folder, source in ((self.pretrained_dir, "pretrained"), (self.trained_dir, "trained")):
            path = folder / f"{name}.npz"
            if path.is_file():
                return path, source
        return None

    def names(self) -> list[tuple[str, str]]:
        """``(name, source)`` of every model, pretrained first, then trained ones by name."""
        seen, out = set(), []
        for folder, source in ((self.pretrained_dir, "pretrained"), (self.trained_dir, "trained")):
            if folder.is_dir():
                for path in sorted(folder.glob("*.npz")):
                    if path.stem not in seen and _NAME.match(path.stem):
                        seen.add(path.stem)
                        out.append((path.stem, source))
        return out

    def list(self) -> list[dict]:
        """Every model's description; a file that cannot be read is left out (and logged)."""
        infos = []
        for name, _ in self.names():
            try:
                infos.append(self.get(name).info)
            except (EngineError, OSError) as error:  # (OSError: deleted or unreadable meanwhile)
                log.warning("the model file %r cannot be read, left out of the list: %s", name, error)
        return infos

    def get(self, name: str = DEFAULT_MODEL) -> LoadedModel:
        found = self._path(name) if isinstance(name, str) and _NAME.match(name) else None
        if found is None:
            raise EngineError("unknown_model", f"there is no model called {name!r}", model=str(name)[:64])
        path, source = found
        mtime = path.stat().st_mtime
        with self._lock:
            cached = self._cache.get(name)
            if cached and cached[0] == mtime:
                return cached[1]
        loaded = LoadedModel(name, source, Sequential.load(path))
        with self._lock:
            self._cache[name] = (mtime, loaded)
        return loaded

    def save(
        self,
        name: str,
        model: Sequential,
        metadata: dict | None = None,
        owner: str | None = None,
        overwrite: bool = False,
    ) -> dict:
        """Save a trained model under ``name`` (letters, digits, space, ``_.-``; up to 48 characters).

        ``owner`` (the SHA-256 of the saving run's control token) is kept with it: a name already taken
        is refused (``model_name_taken``) unless ``overwrite`` and the same owner saved it
        (``not_model_owner`` otherwise)."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise EngineError(
                "bad_model_name",
                "a model name is 1 to 48 letters, digits, spaces, '_', '.' or '-', starting with a letter or digit",
                model=str(name)[:64],
            )
        if (self.pretrained_dir / f"{name}.npz").exists():
            raise EngineError(
                "model_name_taken", f"{name!r} is the name of a shipped model; choose another", model=name
            )
        path = self.trained_dir / f"{name}.npz"
        if path.exists():
            if not overwrite:
                raise EngineError(
                    "model_name_in_use",
                    f"a model called {name!r} exists already: choose another name (or overwrite it, if you saved it)",
                    model=name,
                )
            try:
                taken_by = Sequential.load(path).metadata.get("owner")
            except EngineError:
                taken_by = None  # an unreadable file may be replaced by whoever asks
            if taken_by is not None and taken_by != owner:
                raise EngineError(
                    "not_model_owner",
                    f"the model {name!r} was saved from another browser's run: choose another name",
                    model=name,
                )
        model.save(path, {**(metadata or {}), "owner": owner})
        with self._lock:
            self._cache.pop(name, None)
        return self.get(name).info
