"""The run registry as an overridable dependency (tests give it a small dataset)."""
import logging
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends

from engine import data as mnist
from engine.errors import EngineError

from ..deps import SettingsDep
from .base import RunRegistry
from .local import LocalRunRegistry

log = logging.getLogger(__name__)


def dataset_loader(data_dir: Path | None):
    """``load(name)`` for the registry: the bundled sample, or full MNIST where this server has it."""

    def load(name: str) -> mnist.Mnist:
        try:
            return mnist.load(name, data_dir=data_dir)
        except EngineError as error:
            if error.code == "mnist_not_found":
                raise EngineError("mnist_unavailable", "full MNIST is not on this server: train on the bundled "
                                  "sample (the server's administrator can get MNIST with `cnn-playground data "
                                  "--download`)") from None
            # A damaged file: its path and the details are for the server's log, not for the user.
            log.error("the %s data (%s) cannot be read: %s", name, data_dir or "found by engine.data.locate", error)
            raise EngineError("dataset_unreadable", f"the {name} data on this server cannot be read; the server's "
                              "log says why", dataset=str(name)[:20]) from None

    return load


def mnist_available(data_dir: Path | None) -> bool:
    return mnist.locate(data_dir) is not None


@lru_cache
def _registry(data_dir: Path | None, max_concurrent: int, max_seconds: float, max_params: int) -> RunRegistry:
    return LocalRunRegistry(dataset_loader(data_dir), max_concurrent=max_concurrent, max_seconds=max_seconds,
                            max_params=max_params)


def get_run_registry(settings: SettingsDep) -> RunRegistry:
    return _registry(settings.data_dir, settings.max_concurrent_runs, settings.max_run_seconds,
                     settings.max_model_params)


RunRegistryDep = Annotated[RunRegistry, Depends(get_run_registry)]
