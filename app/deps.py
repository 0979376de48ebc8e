"""Dependencies shared by the routers, as ``Annotated`` aliases that keep route signatures short."""

import json
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from starlette.requests import HTTPConnection

from .model_store import ModelStore
from .settings import Settings, get_settings

SettingsDep = Annotated[Settings, Depends(get_settings)]


@lru_cache
def _store(trained_dir) -> ModelStore:
    return ModelStore(trained_dir)


def get_model_store(settings: SettingsDep) -> ModelStore:
    return _store(settings.runs_dir)


ModelStoreDep = Annotated[ModelStore, Depends(get_model_store)]


async def no_unread_body(connection: HTTPConnection) -> None:
    """Installed on every route (``FastAPI(dependencies=...)``): a request to an operation that takes no
    body (``POST /api/runs/{id}/pause``) may send none, or ``{}``; any field in it is refused as
    unknown (422, ``invalid_request``, the field named), since nothing would read it."""
    route = connection.scope.get("route")
    if (
        not isinstance(connection, Request)
        or connection.method in ("GET", "HEAD", "OPTIONS")
        or getattr(route, "body_field", None) is not None
    ):
        return
    raw = await connection.body()
    if not raw.strip():
        return
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error", "input": {}}]
        ) from None
    if data == {}:
        return
    if not isinstance(data, dict):
        raise RequestValidationError(
            [
                {
                    "type": "model_attributes_type",
                    "loc": ("body",),
                    "msg": "Input should be a valid dictionary",
                    "input": data,
                }
            ]
        )
    raise RequestValidationError(
        [
            {"type": "extra_forbidden", "loc": ("body", name), "input": value, "msg": "Extra inputs are not permitted"}
            for name, value in data.items()
        ]
    )
