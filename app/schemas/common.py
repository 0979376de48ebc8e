"""Field types shared by the request models.

Grids arrive as plain JSON and are checked by :mod:`app.arrays` (which explains ragged rows,
text, NaN and sizes with the place of the problem); the models here only describe them for
``/docs``. Whole numbers that may also be pairs (stride, padding, dilation, window size) are
checked here with one clear error instead of pydantic's two-branch union errors.

Numbers and switches in request bodies are strict (``Field(strict=True)``): ``true`` is not a
number, ``"0.1"`` is not a number and ``1`` is not ``true``; a whole number is taken where a
number is expected, but a whole-number field refuses ``3.0``. Unknown fields are refused
(:class:`StrictRequest`).
"""
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from engine.errors import EngineError


class StrictRequest(BaseModel):
    """The base of every request body and websocket message: a field the model does not know is
    refused (``extra_forbidden``, naming the field), never ignored, so that a request cannot look
    accepted while one of its options had no effect."""

    model_config = ConfigDict(extra="forbid")


def message_fields(data: dict, kind: str, allowed: tuple[str, ...]) -> dict:
    """A websocket message (a JSON object of ``kind``) whose fields are all among ``allowed``; else
    ``EngineError("unknown_message_field")`` naming the first field it does not take."""
    for name in data:
        if name not in allowed:
            shown = str(name)[:40]
            raise EngineError("unknown_message_field", f"a {kind!r} message has no field {shown!r}; it takes "
                              + ", ".join(allowed), field=shown, kind=kind, allowed=list(allowed))
    return data


def _grid(value: Any) -> Any:
    return value  # checked, with positions, by app.arrays.to_array


def _int_or_pair(value: Any) -> int | list[int]:
    def whole(v) -> bool:
        return not isinstance(v, bool) and (isinstance(v, int) or (isinstance(v, float) and v.is_integer()))

    if whole(value):
        return int(value)
    if isinstance(value, list) and len(value) == 2 and all(whole(v) for v in value):
        return [int(v) for v in value]
    raise PydanticCustomError("int_or_pair", "expected a whole number or a pair of whole numbers, got {input}",
                              {"input": str(value)[:40]})


Grid = Annotated[Any, PlainValidator(_grid), WithJsonSchema(
    {"type": "array", "items": {"type": "array"}, "description": "a grid of numbers as nested lists"})]

NumberOrList = Annotated[Any, PlainValidator(_grid), WithJsonSchema(
    {"anyOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}}]})]

IntOrPair = Annotated[int | list[int], PlainValidator(_int_or_pair), WithJsonSchema(
    {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}],
     "description": "one whole number, or [vertical, horizontal]"})]


class Unread(BaseModel):
    """The input rows and columns (0-based, without padding) that no window reads: the last ones a
    stride leaves over (the output size rounds down), and the gaps of a stride larger than the window."""

    rows: list[int]
    cols: list[int]


class ErrorResponse(BaseModel):
    """Every 4xx answer: ``detail`` is the message in the request's language, ``code`` is stable."""

    detail: str
    code: str
    params: dict[str, Any] = {}
