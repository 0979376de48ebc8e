"""Dependencies shared by the routers, as ``Annotated`` aliases that keep route signatures short."""
from functools import lru_cache
from typing import Annotated

from fastapi import Depends

from .model_store import ModelStore
from .settings import Settings, get_settings

SettingsDep = Annotated[Settings, Depends(get_settings)]


@lru_cache
def _store(trained_dir) -> ModelStore:
    return ModelStore(trained_dir)


def get_model_store(settings: SettingsDep) -> ModelStore:
    return _store(settings.runs_dir)


ModelStoreDep = Annotated[ModelStore, Depends(get_model_store)]
