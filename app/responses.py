"""JSON for every answer and every run event, with no non-finite number in it.

:func:`to_json` (bytes) and :func:`dumps` (text) are the one place that turns data into JSON:
NaN and infinite floats (Python floats, NumPy scalars, inside NumPy arrays) become ``null``, since
JSON has no such numbers and a browser's ``JSON.parse`` refuses them; NumPy scalars and arrays
become numbers and lists. :class:`JSONResponse` (the app's default response class), the routers'
:func:`json_response` and the run event channel all use it.

A traced convolution is thousands of small lists; letting FastAPI validate the returned dict
against its response model and then serialise it costs more than the trace itself. The routers
build exactly what their response model describes (the tests validate real answers against the
models) and send it with :func:`json_response`, which pydantic-core serialises in one pass.
"""

import re

import numpy as np
import pydantic_core
from fastapi import Response
from fastapi.responses import JSONResponse as _StarletteJSONResponse


def _numpy(value):
    """pydantic-core's fallback for what it does not know: NumPy arrays and scalars as plain values."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(value):
    """``value`` with every lone surrogate in its text (keys included) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_surrogates(v) for v in value]
    return value


def to_json(data) -> bytes:
    """``data`` as compact UTF-8 JSON; NaN and +-inf (also in NumPy values) as ``null``; a lone
    surrogate echoed from a user's text (it has no UTF-8 form) as U+FFFD.

    Raises ``pydantic_core.PydanticSerializationError`` for a value that has no JSON form."""
    try:
        return pydantic_core.to_json(data, inf_nan_mode="null", fallback=_numpy)
    except pydantic_core.PydanticSerializationError as error:
        if "surrogates not allowed" not in str(error):
            raise
        return pydantic_core.to_json(_without_surrogates(data), inf_nan_mode="null", fallback=_numpy)


def dumps(data) -> str:
    """:func:`to_json` as text (for websockets)."""
    return to_json(data).decode("utf-8")


class JSONResponse(_StarletteJSONResponse):
    """The app's default response class: :func:`to_json` instead of ``json.dumps(allow_nan=False)``."""

    def render(self, content) -> bytes:
        return to_json(content)


def json_response(data) -> Response:
    return Response(to_json(data), media_type="application/json")
