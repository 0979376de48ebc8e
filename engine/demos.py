"""Computations the labs show besides the traces themselves.

- :func:`im2col_matrix`: the notes' matrix form of convolution. Every window of the padded
  input becomes one column of a matrix; every filter becomes one row; the convolution is then one
  matrix product, ``kernel_rows @ columns + bias``.
- :func:`pool_translation`: shift the input one pixel and count how many cells of the unpooled
  map change against how many pooled outputs change: pooling tolerates small shifts. Not always:
  a window whose largest value leaves it (or meets a larger one) changes, and on a small map like
  the notes' 4x4 example a shift can change every pooled value; :attr:`ShiftDemo.verdict` says which.
"""

from dataclasses import dataclass

import numpy as np

from .errors import EngineError
from .reference import _check_grid, check_pool_mode, conv_operands, pad_conv_input, trace_pool
from .shapes import Geometry, conv_geometry, flag, pool_geometry


@dataclass
class Im2col:
    """The convolution as one matrix product.

    columns: (C*kh*kw, OH*OW): column j holds the window of output cell j (row-major), its rows
    in window order (channel, kernel row, kernel column), the same order as a trace's products.
    kernel_rows: (F, C*kh*kw): filter f flattened in the same order.
    bias: (F,). product: (F, OH*OW) = kernel_rows @ columns + bias[:, None].
    row_offsets: for each row of ``columns``, the (channel, m, n) kernel offset it comes from.
    output_shape: (F, OH, OW).
    """

    columns: np.ndarray
    kernel_rows: np.ndarray
    bias: np.ndarray
    product: np.ndarray
    row_offsets: list
    output_shape: tuple


def im2col_matrix(x, kernel, bias=0.0, stride=1, padding=0, dilation=1, padding_mode="zeros", groups=1) -> Im2col:
    """Unroll the windows of ``x`` (C, H, W) for ``kernel`` (F, C/groups, kh, kw) into a matrix.

    Loops over the kernel offsets (C x kh x kw), not over the output cells: each offset
    contributes one row, the input values it meets at every window position. ``padding`` and
    ``padding_mode`` as :func:`engine.reference.conv2d_trace`. With ``groups``, the
    kernel rows are F x (C*kh*kw) with zeros where a filter does not read a channel (a block
    diagonal: filter group i against channel group i), so ``kernel_rows @ columns`` is still the output.
    """
    x, k, b = conv_operands(x, kernel, bias, groups)
    return im2col_of(
        x,
        k,
        b,
        conv_geometry(
            x.shape[1], x.shape[2], k.shape[2], k.shape[3], padding, stride, dilation, padding_mode=padding_mode
        ),
        groups,
    )


def im2col_of(x: np.ndarray, k: np.ndarray, b: np.ndarray, geometry: Geometry, groups: int = 1) -> Im2col:
    """:func:`im2col_matrix` on operands already checked (:func:`engine.reference.conv_operands`, with
    these ``groups``), with the ``geometry`` of :func:`engine.shapes.conv_geometry` for their shapes
    (its padding per side and padding mode): nothing is checked again."""
    n_filters, cg, kh, kw = k.shape
    c = x.shape[0]
    (sh, sw), (dh, dw), (oh, ow) = geometry.stride, geometry.dilation, geometry.out
    xp = pad_conv_input(x, geometry.sides, geometry.padding_mode)
    columns = np.zeros((c * kh * kw, oh * ow))
    offsets = []
    for ch in range(c):
        for m in range(kh):
            for n in range(kw):
                r, q = m * dh, n * dw
                columns[len(offsets)] = xp[ch, r : r + sh * (oh - 1) + 1 : sh, q : q + sw * (ow - 1) + 1 : sw].ravel()
                offsets.append((ch, m, n))
    rows = np.zeros((n_filters, c * kh * kw))
    fg, width = n_filters // groups, cg * kh * kw
    for g in range(groups):
        rows[g * fg : (g + 1) * fg, g * width : (g + 1) * width] = k[g * fg : (g + 1) * fg].reshape(fg, width)
    b = np.array(b, dtype=np.float64)
    return Im2col(
        columns=columns,
        kernel_rows=rows,
        bias=b,
        product=rows @ columns + b[:, None],
        row_offsets=offsets,
        output_shape=(n_filters, oh, ow),
    )


SHIFTS = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}

#: The translation demo's input (our own 8x8 feature map, not from the notes): shifted one pixel in
#: any of the four directions (zeros coming in), 63 or 64 of its 64 cells change, but only 4 of its
#: 16 max-pooled (2x2, stride 2) outputs do: most windows' largest value is still inside the window
#: after the shift, or an equal one comes in. Average pooling tolerates less: 11 to 15 of the 16
#: averages change.
SHIFT_DEMO_INPUT = [
    [9, 1, 9, 6, 9, 2, 6, 4],
    [1, 7, 1, 0, 1, 6, 4, 6],
    [7, 1, 8, 4, 5, 8, 0, 1],
    [3, 7, 1, 0, 8, 5, 1, 6],
    [6, 1, 8, 2, 0, 1, 0, 1],
    [7, 4, 7, 8, 1, 4, 1, 0],
    [1, 0, 4, 0, 2, 0, 3, 1],
    [5, 3, 1, 4, 3, 4, 1, 3],
]


def shift_image(x, direction: str = "right", fill: float = 0.0) -> np.ndarray:
    """``x`` (C, H, W) moved one pixel; the cells that come in from outside take ``fill``."""
    if direction not in SHIFTS:
        raise EngineError(
            "bad_shift",
            f"unknown shift {direction!r}: use one of {', '.join(SHIFTS)}",
            direction=str(direction),
            allowed=list(SHIFTS),
        )
    x = np.asarray(x, dtype=np.float64)
    dy, dx = SHIFTS[direction]
    h, w = x.shape[1:]
    out = np.full_like(x, fill)
    out[:, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = x[
        :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


@dataclass
class ShiftDemo:
    """The input and its pooled map, before and after a one-pixel shift, and what changed.

    shifted: (C, H, W); pooled, shifted_pooled: (C, OH, OW); input_changed (C, H, W) and
    output_changed (C, OH, OW) are boolean masks; the counts and fractions summarise them, and
    :attr:`verdict` says in one word whether pooling hid part of the shift.
    """

    direction: str
    shifted: np.ndarray
    pooled: np.ndarray
    shifted_pooled: np.ndarray
    input_changed: np.ndarray
    output_changed: np.ndarray

    @property
    def input_changed_count(self) -> int:
        return int(self.input_changed.sum())

    @property
    def output_changed_count(self) -> int:
        return int(self.output_changed.sum())

    @property
    def input_changed_fraction(self) -> float:
        return self.input_changed_count / self.input_changed.size

    @property
    def output_changed_fraction(self) -> float:
        return self.output_changed_count / self.output_changed.size

    @property
    def verdict(self) -> str:
        """``"fewer"``: a smaller share of the pooled outputs changed than of the input cells (what
        pooling is for); ``"all"``: every pooled output changed; ``"not_fewer"``: some did not, but
        no smaller a share than of the input; ``"unchanged"``: the shift changed no input cell."""
        if self.input_changed_count == 0:
            return "unchanged"
        if self.output_changed_count == self.output_changed.size:
            return "all"
        return "fewer" if self.output_changed_fraction < self.input_changed_fraction else "not_fewer"


def pool_translation(
    x, size=2, stride=None, padding=0, mode="max", direction="right", ceil_mode=False, count_include_pad=True
) -> ShiftDemo:
    """Pool ``x`` (C, H, W) and its one-pixel shift (zeros come in), and compare cell by cell.
    ``ceil_mode`` and ``count_include_pad`` as :func:`engine.reference.pool2d_trace`."""
    x = _check_grid(x, "the input", 3)
    check_pool_mode(mode)
    count_include_pad = flag(count_include_pad, "count_include_pad")
    geometry = pool_geometry(x.shape[1], x.shape[2], size, stride, padding, ceil_mode=ceil_mode)
    return translation_of(x, geometry, mode, direction, count_include_pad)


def translation_of(
    x: np.ndarray, geometry: Geometry, mode: str = "max", direction: str = "right", count_include_pad: bool = True
) -> ShiftDemo:
    """:func:`pool_translation` on an input, mode and ``geometry`` (:func:`engine.shapes.pool_geometry`)
    already checked: nothing is checked again."""
    shifted = shift_image(x, direction)
    pooled = trace_pool(x, geometry, mode, count_include_pad)[0]
    shifted_pooled = trace_pool(shifted, geometry, mode, count_include_pad)[0]
    return ShiftDemo(
        direction=direction,
        shifted=shifted,
        pooled=pooled,
        shifted_pooled=shifted_pooled,
        input_changed=shifted != x,
        output_changed=shifted_pooled != pooled,
    )
