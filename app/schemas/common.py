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
            raise EngineError(
                "unknown_message_field",
                f"a {kind!r} message has no field {shown!r}; it takes " + ", ".join(allowed),
                field=shown,
                kind=kind,
                allowed=list(allowed),
            )
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
    raise PydanticCustomError(
        "int_or_pair", "expected a whole number or a pair of whole numbers, got {input}", {"input": str(value)[:40]}
    )


Grid = Annotated[
    Any,
    PlainValidator(_grid),
    WithJsonSchema({"type": "array", "items": {"type": "array"}, "description": "a grid of numbers as nested lists"}),
]

NumberOrList = Annotated[
    Any,
    PlainValidator(_grid),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}}]}),
]

IntOrPair = Annotated[
    int | list[int],
    PlainValidator(_int_or_pair),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer"},
                {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
            ],
            "description": "one whole number, or [vertical, horizontal]",
        }
    ),
]


def _padding(value: Any) -> Any:
    if isinstance(value, (str, dict)):
        return value  # a name ("same", "valid") or per side: checked, field by field, by engine.shapes.resolve_padding
    try:
        return _int_or_pair(value)
    except PydanticCustomError:
        raise PydanticCustomError(
            "padding_form",
            "expected a whole number, a pair, an object with top, bottom, left "
            'and right, "valid" or "same", got {input}',
            {"input": str(value)[:40]},
        ) from None


Padding = Annotated[
    Any,
    PlainValidator(_padding),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2},
                {
                    "type": "object",
                    "properties": {
                        side: {"type": "integer", "minimum": 0} for side in ("top", "bottom", "left", "right")
                    },
                    "required": ["top", "bottom", "left", "right"],
                    "additionalProperties": False,
                },
                {"type": "string", "enum": ["valid", "same"]},
            ],
            "description": 'one whole number (every side), [vertical, horizontal], {top, bottom, left, right}, "valid" '
            '(no padding) or "same" (stride 1 only: the output keeps the input\'s size; with an even '
            "kernel the extra row and column go at the bottom and right, as in PyTorch)",
        }
    ),
]

PADDING_MODE_DESCRIPTION = (
    "how padding cells are filled, as PyTorch's Conv2d padding_mode: zeros, reflect (mirrored, "
    "the edge not repeated; each side smaller than the input), replicate (the edge repeated) "
    "or circular (wrapped around; at most the input's size)"
)


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
