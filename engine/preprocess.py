"""A drawing made into an MNIST digit, the way MNIST itself was made, with every step kept for display.

MNIST's digits were written on paper, scanned, and then (LeCun, Cortes and Burges):

1. cropped to the bounding box of the ink;
2. scaled to fit a 20 x 20 box, keeping the aspect ratio, with anti-aliasing (so a thin stroke turns
   grey instead of vanishing);
3. placed in a 28 x 28 field, shifted by whole pixels so that the centre of mass of the ink falls in
   the field's centre pixel: row 14, column 14 (counting from 0). Every digit of MNIST has its centre
   of mass there (in the coordinates below, between 14 and 15 in both directions; the bundled sample's
   2,000 test digits all do), so a digit of MNIST itself comes back unchanged.

:func:`preprocess` does the same to a drawing: a 2-D array of ink intensities in [0, 1] (ink 1,
background 0), any size up to 512 x 512. A network trained on MNIST only reads digits well when
they look like this: a small digit drawn in a corner of the canvas becomes a large digit in the
middle, like every training image.

Coordinates: pixel ``(i, j)`` covers the square ``[i, i+1) x [j, j+1)``, so its centre is
``(i + 0.5, j + 0.5)``; the centre pixel ``(14, 14)`` covers ``[14, 15) x [14, 15)``. (The field's
geometric centre, the corner ``(14, 14)`` between four pixels, cannot hold a centre of mass after a
whole-pixel shift any better than half a pixel away; MNIST chose the pixel, and so do we.)
"""

import math
from dataclasses import dataclass

import numpy as np

from .errors import EngineError

FIELD = 28  # the network's input is FIELD x FIELD
BOX = 20  # the digit is scaled to fit BOX x BOX inside it
MAX_SIDE = 512  # the largest drawing accepted, per side
INK_LEVEL = 0.1  # a pixel at least this dark counts as ink for the bounding box
MIN_INK = 0.0005  # a drawing whose mean intensity is below this (0.05%) is "nearly empty"
MIN_EXTENT = 0.1  # ink spanning less than this fraction of the canvas's longer side is a dot, not a digit
CENTRE_PIXEL = FIELD // 2  # MNIST's centre of mass falls in pixel (14, 14): rows and columns [14, 15)


@dataclass
class Preprocessed:
    """Every step of :func:`preprocess`. Arrays are float64 ink intensities in [0, 1].

    - ``drawing`` (H, W): the drawing as given;
    - ``bbox``: ``(top, left, height, width)`` of the ink in the drawing (every pixel above 0);
    - ``cropped`` (height, width): the drawing inside that box;
    - ``scale``: new size / old size of the crop (below 1 shrinks, above 1 enlarges);
    - ``fitted`` (fh, fw): the crop scaled to fit 20 x 20, the longer side exactly 20;
    - ``fitted_centre``: centre of mass ``(row, column)`` of ``fitted`` in its own coordinates;
    - ``offset``: ``(top, left)`` where ``fitted`` is placed in the 28 x 28 field;
    - ``image`` (28, 28): the result, what the network sees;
    - ``centre``: centre of mass of ``image``, in the centre pixel: ``14 <= row, column < 15``
      (unless the digit is so lopsided that it touches the field's edge first);
    - ``ink``: the drawing's mean intensity (0.01 is 1% of the canvas fully inked).
    """

    drawing: np.ndarray
    bbox: tuple[int, int, int, int]
    cropped: np.ndarray
    scale: float
    fitted: np.ndarray
    fitted_centre: tuple[float, float]
    offset: tuple[int, int]
    image: np.ndarray
    centre: tuple[float, float]
    ink: float


def check_drawing(drawing) -> np.ndarray:
    """The drawing as a float64 (H, W) array, or an :class:`EngineError` a student understands.

    Refuses: anything but a 2-D grid, a side longer than :data:`MAX_SIDE`, NaN and infinities,
    values outside [0, 1] (naming the first one), an empty or nearly empty canvas
    (``empty_drawing``: "draw a digit first"), and ink that is only a dot: its bounding box spans
    less than a tenth of the canvas (``drawing_too_small``).
    """
    a = np.asarray(drawing, dtype=np.float64)
    if a.ndim != 2 or a.size == 0:
        raise EngineError(
            "drawing_not_2d",
            f"the drawing must be a 2-D grid of ink intensities (rows of numbers), got shape {list(a.shape)}",
            shape=list(a.shape),
        )
    h, w = a.shape
    if h > MAX_SIDE or w > MAX_SIDE:
        raise EngineError(
            "drawing_too_large",
            f"the drawing is {h}x{w}; at most {MAX_SIDE}x{MAX_SIDE} is allowed",
            height=h,
            width=w,
            limit=MAX_SIDE,
        )
    bad = ~np.isfinite(a) | (a < 0) | (a > 1)
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        value = float(a[r, c])
        raise EngineError(
            "ink_out_of_range",
            f"the drawing, row {r + 1}, column {c + 1}: {value:g} is not an ink "
            f"intensity between 0 (background) and 1 (ink)",
            position=[["row", r + 1], ["column", c + 1]],
            value=f"{value:g}",
        )
    ink = float(a.mean())
    if ink < MIN_INK or not (a >= INK_LEVEL).any():
        raise EngineError(
            "empty_drawing",
            f"draw a digit first: the canvas is {'empty' if ink == 0 else 'nearly empty'}"
            f" ({100 * ink:.2f}% ink; at least {100 * MIN_INK:g}% is needed)",
            ink_percent=round(100 * ink, 2),
            min_percent=100 * MIN_INK,
        )
    extent, side = max(ink_bbox(a)[2:]), max(h, w)
    minimum = math.ceil(MIN_EXTENT * side)
    if extent < minimum:
        raise EngineError(
            "drawing_too_small",
            f"draw a digit first: the ink spans only {extent} pixel(s) of the "
            f"canvas's {side}; a digit needs at least {minimum}",
            extent=extent,
            side=side,
            minimum=minimum,
        )
    return a


def ink_bbox(image: np.ndarray, level: float = INK_LEVEL) -> tuple[int, int, int, int]:
    """``(top, left, height, width)`` of the pixels at least ``level`` dark (above 0 for ``level`` 0;
    there must be some)."""
    ink = image > 0 if level <= 0 else image >= level
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    top, left = int(rows[0]), int(cols[0])
    return top, left, int(rows[-1]) - top + 1, int(cols[-1]) - left + 1


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in): how a row of ``n_in`` pixels is resampled to ``n_out`` by area averaging.

    New pixel ``i`` covers ``[i*s, (i+1)*s)`` of the old row, with ``s = n_in / n_out``; old pixel
    ``j`` covers ``[j, j+1)``. Its weight is the length of the overlap divided by ``s``, so each
    row of weights sums to 1: a new pixel is the average of exactly the part of the old row it
    covers. Shrinking, that averages several pixels (anti-aliasing); enlarging, a new pixel copies
    the old one it lies in, or blends the two it straddles.
    """
    s = n_in / n_out
    start = np.arange(n_out)[:, None] * s
    j = np.arange(n_in)[None, :]
    overlap = np.minimum(start + s, j + 1) - np.maximum(start, j)
    return np.clip(overlap, 0.0, None) / s


def resample_area(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """(H, W) -> (out_h, out_w) by area averaging: rows, then columns (the box filter is separable)."""
    h, w = image.shape
    return area_weights(h, out_h) @ image @ area_weights(w, out_w).T


def fit_size(h: int, w: int, box: int = BOX) -> tuple[int, int]:
    """The size of an h x w image scaled to fit box x box with its aspect ratio kept (longer side = box)."""
    longer = max(h, w)
    return max(1, round(h * box / longer)), max(1, round(w * box / longer))


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """``(row, column)`` of the intensity-weighted mean of the pixel centres (``i + 0.5``)."""
    total = image.sum()
    rows = np.arange(image.shape[0]) + 0.5
    cols = np.arange(image.shape[1]) + 0.5
    return float(image.sum(axis=1) @ rows / total), float(image.sum(axis=0) @ cols / total)


def place(fitted: np.ndarray, field: int = FIELD) -> tuple[np.ndarray, tuple[int, int]]:
    """Put ``fitted`` in a field x field image, shifted by whole pixels so its centre of mass falls in
    the centre pixel ``field // 2`` (``[14, 15)`` in each direction for MNIST's 28), as in MNIST.
    The shift is limited so that no ink leaves the field: a digit whose mass sits far to one side ends
    up touching the edge. Returns the image and the ``(top, left)`` where ``fitted`` was put."""
    fh, fw = fitted.shape
    cy, cx = centre_of_mass(fitted)
    centre = field // 2
    # the smallest shift s with cy + s >= centre (then cy + s < centre + 1 too); 1e-9: a centre of mass
    # that float rounding puts a hair below a whole number (9.9999999999 for 10) counts as that number
    top = min(max(math.ceil(centre - cy - 1e-9), 0), field - fh)
    left = min(max(math.ceil(centre - cx - 1e-9), 0), field - fw)
    out = np.zeros((field, field))
    out[top : top + fh, left : left + fw] = fitted
    return out, (top, left)


def preprocess(drawing) -> Preprocessed:
    """A drawing (H, W), ink in [0, 1], as a 28 x 28 MNIST-style digit, keeping every step."""
    a = check_drawing(drawing)
    top, left, h, w = ink_bbox(a, 0.0)  # every trace of ink, however faint, as MNIST's 20 x 20 box holds
    cropped = a[top : top + h, left : left + w]
    fh, fw = fit_size(h, w)
    fitted = np.clip(resample_area(cropped, fh, fw), 0.0, 1.0)  # clip: float rounding only
    image, offset = place(fitted)
    return Preprocessed(
        drawing=a,
        bbox=(top, left, h, w),
        cropped=cropped,
        scale=max(fh, fw) / max(h, w),
        fitted=fitted,
        fitted_centre=centre_of_mass(fitted),
        offset=offset,
        image=image,
        centre=centre_of_mass(image),
        ink=float(a.mean()),
    )


# ---- does it look like a handwritten digit? ---------------------------------------------------------
# Thresholds measured on the 2,000 bundled MNIST test digits (tests/engine/test_preprocess.py checks that
# at most 1% of them are flagged; 6 of them, 0.3%, are, all by THICK_STROKES) and on drawings of the draw page's pad
# (128 x 128, pen 8.5% of its side): a digit drawn across most of the pad has relative strokes of
# 0.08-0.12, at half the pad 0.15-0.17, at a quarter 0.23-0.27, a round dot 0.36-0.40.
DARK_BACKGROUND = 0.5  # the pad's edge (or the whole pad) more than half ink: light-on-dark or scribbled over
THICK_STROKES = 0.2  # stroke width / digit size above this: above MNIST's 99.5th percentile, 0.194 (median 0.10)
DOT = 0.3  # ... above this: a blot, not strokes (MNIST's largest is 0.294; a disc's is 0.5)


@dataclass
class DigitCheck:
    """Whether a drawing looks like a handwritten digit as MNIST has them, and the numbers that say so.

    - ``hint``: ``None`` (it does), ``"dark_on_light"`` (mostly ink, or ink all along the edge: inverted
      or scribbled over), ``"dot"`` (one blot) or ``"draw_bigger"`` (strokes thick for the digit's size:
      drawn small with the same pen);
    - ``ink``: mean ink of the drawing, 0..1;
    - ``border_ink``: mean ink of its outermost rows and columns (MNIST's are blank: 0);
    - ``stroke``: the stroke width relative to the ink's size: ``2 * area / perimeter`` of the pixels at
      least half as dark as the darkest (for a stroke of width w and length L: 2wL / 2L = w), over the
      longer side of their bounding box (``inf`` when the ink has no edge: the whole drawing is ink).
    """

    hint: str | None
    ink: float
    border_ink: float
    stroke: float

    @property
    def uncertain(self) -> bool:
        """An answer for a drawing with a hint is a guess about something that is not a digit."""
        return self.hint is not None


def digit_check(drawing: np.ndarray) -> DigitCheck:
    """A few array sums over a checked drawing (:func:`check_drawing`; H, W in [0, 1]): cheap enough for
    every pen movement (about 0.1 ms at the pad's 128 x 128)."""
    a = np.asarray(drawing, dtype=np.float64)
    ink = float(a.mean())
    edge = np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])
    border_ink = float(edge.mean())
    dark = a >= 0.5 * a.max()
    area = np.count_nonzero(dark)
    # edges between dark and light neighbours; outside the drawing counts as light (a stroke along the
    # drawing's edge has an edge there too)
    perimeter = (
        np.count_nonzero(dark[1:] != dark[:-1])
        + np.count_nonzero(dark[:, 1:] != dark[:, :-1])
        + np.count_nonzero(dark[0])
        + np.count_nonzero(dark[-1])
        + np.count_nonzero(dark[:, 0])
        + np.count_nonzero(dark[:, -1])
    )
    rows, cols = np.flatnonzero(dark.any(axis=1)), np.flatnonzero(dark.any(axis=0))
    size = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    whole = area == dark.size  # all ink: no edge inside, only the drawing's own border
    stroke = math.inf if whole else 2 * area / perimeter / size
    if ink > DARK_BACKGROUND or border_ink > DARK_BACKGROUND:
        hint = "dark_on_light"
    elif stroke > DOT:
        hint = "dot"
    elif stroke > THICK_STROKES:
        hint = "draw_bigger"
    else:
        hint = None
    return DigitCheck(hint=hint, ink=ink, border_ink=border_ink, stroke=stroke)


def as_input(image) -> np.ndarray:
    """A 28 x 28 image taken as already preprocessed: checked like a drawing, and of the right size."""
    shape = np.shape(image)
    if len(shape) == 2 and shape != (FIELD, FIELD):
        raise EngineError(
            "needs_28x28",
            f"without preprocessing the image must be {FIELD}x{FIELD}, got {shape[0]}x{shape[1]}",
            height=shape[0],
            width=shape[1],
            size=FIELD,
        )
    return check_drawing(image)
