"""The run registry as an overridable dependency (tests give it a small dataset)."""

import logging
from functools import lru_cache, partial
from pathlib import Path
from typing import Annotated

from fastapi import Depends

from engine import data as mnist
from engine.errors import EngineError

from ..deps import SettingsDep
from ..model_store import default_trained_dir
from . import network
from .base import RunRegistry
from .local import LocalRunRegistry

log = logging.getLogger(__name__)


def load_dataset(name: str, data_dir: Path | None) -> mnist.Mnist:
    """The bundled sample, or full MNIST where this server has it."""
    try:
        return mnist.load(name, data_dir=data_dir)
    except EngineError as error:
        if error.code == "mnist_not_found":
            raise EngineError(
                "mnist_unavailable",
                "full MNIST is not on this server: train on the bundled sample "
                "(the server's administrator can get MNIST with `cnn-playground data --download`)",
            ) from None
        # A damaged file: its path and the details are for the server's log, not for the user.
        log.error("the %s data (%s) cannot be read: %s", name, data_dir or "found by engine.data.locate", error)
        raise EngineError(
            "dataset_unreadable",
            f"the {name} data on this server cannot be read; the server's log says why",
            dataset=str(name)[:20],
        ) from None


def dataset_loader(data_dir: Path | None):
    """``load(name)`` for the registry; picklable, because the trainer processes call it."""
    return partial(load_dataset, data_dir=data_dir)


def default_state_dir() -> Path:
    """Where runs are kept between restarts when no ``CNN_PLAYGROUND_STATE_DIR`` is set: the user cache."""
    return default_trained_dir().parent / "state"


def mnist_available(data_dir: Path | None) -> bool:
    return mnist.locate(data_dir) is not None


@lru_cache
def _registry(
    data_dir: Path | None,
    state_dir: Path | None,
    max_concurrent: int | None,
    max_seconds: float,
    max_params: int,
    max_memory_mb: int,
    max_runs_per_client: int,
    max_queued: int,
) -> RunRegistry:
    return LocalRunRegistry(
        dataset_loader(data_dir),
        state_dir or default_state_dir(),
        max_concurrent=max_concurrent,
        max_seconds=max_seconds,
        max_params=max_params,
        max_memory_bytes=max_memory_mb * network.MB,
        max_runs_per_client=max_runs_per_client,
        max_queued=max_queued,
    )


def get_run_registry(settings: SettingsDep) -> RunRegistry:
    return _registry(
        settings.data_dir,
        settings.state_dir,
        settings.max_concurrent_runs,
        settings.max_run_seconds,
        settings.max_model_params,
        settings.max_run_memory_mb,
        settings.max_runs_per_client,
        settings.max_queued_runs,
    )


RunRegistryDep = Annotated[RunRegistry, Depends(get_run_registry)]
