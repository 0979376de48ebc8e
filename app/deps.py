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


# GET /api/activations/{name} reads each query parameter as a setting of the function (the engine
# refuses an unknown one by name): its query is free-form.
FREE_QUERY_PATHS = frozenset({"/api/activations/{name}"})
_known_query: dict[int, frozenset[str]] = {}


def _query_names(route) -> frozenset[str]:
    """The query parameters ``route`` declares (its own and its dependencies'), and ``lang``."""
    names = _known_query.get(id(route))
    if names is None:
        found, stack = {"lang"}, [route.dependant]
        while stack:
            dependant = stack.pop()
            found.update(field.alias for field in dependant.query_params)
            stack.extend(dependant.dependencies)
        names = _known_query[id(route)] = frozenset(found)
    return names


async def no_unknown_query(connection: HTTPConnection) -> None:
    """Installed on every route: a query parameter that an API operation does not take
    (``GET /api/runs?limit=5``) is refused as unknown (422, ``invalid_request``, the parameter named),
    as an unknown field of a body is, rather than ignored. Pages are left alone: their query (a lab's
    set-up) is read by the page's own script."""
    if not isinstance(connection, Request) or not connection.url.path.startswith("/api/"):
        return
    route = connection.scope.get("route")
    if route is None or getattr(route, "path", None) in FREE_QUERY_PATHS:
        return
    known = _query_names(route)
    unknown = [name for name in connection.query_params if name not in known]
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "input": connection.query_params[name],
                    "msg": "Extra inputs are not permitted",
                }
                for name in unknown
            ]
        )
