"""The only bridge between request/response models and NumPy arrays.

Requests carry grids as nested JSON lists; :func:`to_array` turns one into a float64 array or
raises :class:`engine.errors.EngineError` with a code the app translates and the place of the
problem ("the input, row 2: has 2 numbers but row 1 has 3"). It refuses ragged rows, text, NaN
and infinities, empty grids, the wrong number of dimensions and sizes beyond the limits in
:mod:`app.limits`. :func:`to_json` is the way back, refusing results that overflowed.

A position is a list of ``[dimension, index]`` pairs with 1-based indices, for example
``[["row", 2], ["column", 3]]``: the error handler writes it out in the request's language.
"""

import base64
import binascii
import math
from numbers import Real

import numpy as np

from engine.errors import EngineError
from engine.shapes import shown_int

from .limits import MAX_ABS_VALUE

# Names of the dimensions of a grid with 2, 3 or 4 dimensions, outermost first.
DIMENSION_NAMES = {
    1: ("value",),
    2: ("row", "column"),
    3: ("channel", "row", "column"),
    4: ("filter", "channel", "row", "column"),
}


def _depth(value) -> tuple[int, bool]:
    """Nesting depth along the first entries, and whether that chain ends in an empty list."""
    depth = 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    if isinstance(value, list):  # an empty list still counts as a level
        return depth + 1, True
    return depth, False


def _position(names, path) -> list:
    return [[names[k], i + 1] for k, i in enumerate(path)]


def _check_leaf(value, what, names, path):
    if isinstance(value, str) and not value.strip():
        raise EngineError(
            "blank_cell",
            f"{what}, {_english(names, path)}: the cell is empty; type a number",
            what=what,
            position=_position(names, path),
        )
    if isinstance(value, bool) or not isinstance(value, Real):
        shown = value if isinstance(value, str) else ("null" if value is None else type(value).__name__)
        raise EngineError(
            "not_number",
            f"{what}, {_english(names, path)}: {shown!r} is not a number",
            what=what,
            position=_position(names, path),
            value=str(shown)[:40],
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise EngineError(
            "not_finite_at",
            f"{what}, {_english(names, path)}: {value} is not a finite number",
            what=what,
            position=_position(names, path),
            value=str(value),
        )
    if abs(value) > MAX_ABS_VALUE:  # (before any float(): an integer beyond 1e308 has none)
        raise EngineError(
            "number_too_large",
            f"{what}, {_english(names, path)}: {shown_number(value)} is too large (at most {MAX_ABS_VALUE:g})",
            what=what,
            position=_position(names, path),
            value=shown_number(value),
            limit=f"{MAX_ABS_VALUE:g}",
        )


def shown_number(value) -> str:
    """A number as a message shows it: ``1e+09``, or ``1e+400`` for an integer too large for a float."""
    try:
        return f"{float(value):g}"
    except OverflowError:
        return shown_int(value)


def _english(names, path) -> str:
    return ", ".join(f"{names[k]} {i + 1}" for k, i in enumerate(path)) or "the whole grid"


def _shape_of(value, what, names, path) -> tuple:
    """The shape of a rectangular nested list, checking every leaf; errors name the place."""
    level = len(path)
    if level == len(names):
        _check_leaf(value, what, names, path)
        return ()
    if not isinstance(value, list):
        raise EngineError(
            "bad_nesting",
            f"{what}, {_english(names, path)}: expected a list of {names[level]}s",
            what=what,
            position=_position(names, path),
            expected=names[level],
        )
    if not value:
        raise EngineError(
            "empty",
            f"{what} is empty" + (f" at {_english(names, path)}" if path else ""),
            what=what,
            position=_position(names, path),
        )
    first = _shape_of(value[0], what, names, path + [0])
    for i, item in enumerate(value[1:], start=1):
        shape = _shape_of(item, what, names, path + [i])
        if shape != first:
            if len(shape) == 1:
                raise EngineError(
                    "ragged",
                    f"{what}: {_english(names, path + [i])} has {shape[0]} numbers but "
                    f"{_english(names, path + [0])} has {first[0]}",
                    what=what,
                    position=_position(names, path + [i]),
                    first=_position(names, path + [0]),
                    length=shape[0],
                    expected=first[0],
                )
            raise EngineError(
                "ragged_shape",
                f"{what}: {_english(names, path + [i])} is {'x'.join(map(str, shape))} but "
                f"{_english(names, path + [0])} is {'x'.join(map(str, first))}",
                what=what,
                position=_position(names, path + [i]),
                first=_position(names, path + [0]),
                shape=list(shape),
                expected=list(first),
            )
    return (len(value),) + first


def to_array(value, what: str, ndims: tuple[int, ...], limits: dict[str, int] | None = None) -> np.ndarray:
    """A nested list as a float64 array with one of the allowed numbers of dimensions.

    what: the field's name for messages ("input", "kernel"); ndims: allowed dimensions, e.g.
    ``(2, 3)``; limits: the largest size per dimension name, e.g. ``{"row": 64, "column": 64,
    "channel": 16}``. Every refusal is an :class:`EngineError` naming the place.
    """
    limits = limits or {}
    if not isinstance(value, list):
        raise EngineError(
            "not_grid",
            f"{what} must be a list of rows of numbers, got {str(value)[:40]!r}",
            what=what,
            value=str(value)[:40],
        )
    depth, ends_empty = _depth(value)
    if ends_empty and depth <= max(ndims):
        raise EngineError("empty", f"{what} is empty", what=what, position=[])
    if depth not in ndims:
        raise EngineError(
            "bad_grid_ndim",
            f"{what} must have {' or '.join(map(str, ndims))} dimensions, got {depth}",
            what=what,
            allowed=list(ndims),
            ndim=depth,
        )
    names = DIMENSION_NAMES[depth]
    _check_limits_along_first(value, what, names, limits)
    plain = _plain_grid(value, depth)
    if plain is not None:
        _check_limits(plain.shape, what, names, limits)
        return plain
    shape = _shape_of(value, what, names, [])
    _check_limits(shape, what, names, limits)
    return np.asarray(value, dtype=np.float64)


_PLAIN_NUMBERS = {int, float}


def from_pixels(pixels, shape, what: str, max_side: int) -> np.ndarray:
    """A grid sent as bytes: ``pixels`` is base64 of ``rows x columns`` uint8 values (row-major), read as
    ``value / 255`` in [0, 1], float64 (the page's drawing: a canvas's alpha channel, 0 = no ink).

    A 128 x 128 drawing is 22 KB of text this way instead of about 70 KB of JSON numbers, and is read
    in microseconds instead of milliseconds. Errors: ``bad_pixels`` (with what is wrong)."""
    if (
        not isinstance(shape, list)
        or len(shape) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= max_side for n in shape)
    ):
        raise EngineError(
            "bad_pixels",
            f"{what}: shape must be [rows, columns], each 1 to {max_side}, got {str(shape)[:40]}",
            what=what,
            problem="shape",
            limit=max_side,
        )
    if not isinstance(pixels, str) or len(pixels) > 4 * (max_side * max_side // 3 + 1):
        raise EngineError(
            "bad_pixels",
            f"{what}: pixels must be base64 text of at most {max_side}x{max_side} bytes",
            what=what,
            problem="text",
            limit=max_side,
        )
    try:
        raw = base64.b64decode(pixels, validate=True)
    except (binascii.Error, ValueError):
        raise EngineError(
            "bad_pixels", f"{what}: pixels is not base64 text", what=what, problem="base64", limit=max_side
        ) from None
    rows, columns = shape
    if len(raw) != rows * columns:
        raise EngineError(
            "bad_pixels",
            f"{what}: {len(raw)} bytes for a {rows}x{columns} shape (needs {rows * columns})",
            what=what,
            problem="size",
            limit=max_side,
        )
    return np.frombuffer(raw, dtype=np.uint8).reshape(rows, columns) / 255.0


def _innermost(value, depth):
    """The innermost lists (rows of numbers) of a grid with ``depth`` dimensions."""
    if depth == 1:
        yield value
    else:
        for item in value:
            yield from _innermost(item, depth - 1)


def _plain_grid(value, depth: int) -> np.ndarray | None:
    """Fast path: a rectangular grid of plain, finite, not too large numbers as a float64 array.

    The careful walk in :func:`_shape_of` costs a few microseconds a number (0.2 s for a
    280 x 280 drawing); here NumPy reads the grid and the types are checked a row at a time.
    Anything else (text, booleans, null, ragged rows, NaN, huge numbers) gives None, and the
    careful walk then finds and explains it: both paths accept exactly the same grids.
    """
    try:
        a = np.array(value, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        return None
    if a.ndim != depth or not all(set(map(type, row)) <= _PLAIN_NUMBERS for row in _innermost(value, depth)):
        return None
    if not np.isfinite(a).all() or np.abs(a).max() > MAX_ABS_VALUE:
        return None
    return a


def _check_limits_along_first(value, what, names, limits):
    """Refuse an oversize grid before walking all of it (the first entry at each level)."""
    shape = []
    while isinstance(value, list) and value:
        shape.append(len(value))
        value = value[0]
    if len(shape) == len(names):
        _check_limits(tuple(shape), what, names, limits)


def _check_limits(shape, what, names, limits):
    for name, size in zip(names, shape):
        limit = limits.get(name)
        if limit is not None and size > limit:
            raise EngineError(
                "too_big",
                f"{what} has {size} {name}s; at most {limit} are allowed (shape {'x'.join(map(str, shape))})",
                what=what,
                dimension=name,
                count=size,
                limit=limit,
                shape=list(shape),
            )


def to_bias(value, filters: int) -> np.ndarray:
    """A bias (one number for every filter, or one per filter) as a float64 array of shape (F,)."""
    if isinstance(value, list):
        b = to_array(value, "bias", (1,))
        if b.shape != (filters,):
            raise EngineError(
                "bias_mismatch",
                f"there are {filters} filter(s) but {b.shape[0]} bias value(s)",
                filters=filters,
                biases=int(b.shape[0]),
            )
        return b
    # (the size first: math.isfinite() cannot take an integer beyond 1e308)
    if isinstance(value, bool) or not isinstance(value, Real) or abs(value) > MAX_ABS_VALUE or not math.isfinite(value):
        shown = shown_number(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)[:40]
        raise EngineError("bad_number", f"bias: {shown!r} is not a usable number", what="bias", value=shown)
    return np.full(filters, float(value))


def check_int(value: int, what: str, limit: int) -> None:
    """Refuse a stride, padding, dilation or window size beyond its limit."""
    for v in value if isinstance(value, (list, tuple)) else [value]:
        if v > limit:
            raise EngineError(
                "too_large_value",
                f"{what} is {shown_int(v)}; at most {limit} is allowed",
                what=what,
                value=shown_int(v),
                limit=limit,
            )


def to_json(a: np.ndarray, what: str = "output") -> list:
    """An array as nested lists of floats, refusing infinities and NaN (an overflow)."""
    if not np.all(np.isfinite(a)):
        raise EngineError("overflow", f"the {what} overflowed: the numbers are too large", what=what)
    return a.tolist()
