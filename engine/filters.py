"""A kernel over a real picture: the image-filter lab.

- :data:`KERNELS`: classic hand-made kernels (the notes' left-neighbour difference ``[-1, 1]``,
  Sobel, box and Gaussian blur, sharpen, Laplacian), each a 2-D list.
- :func:`apply`: the whole feature map of a grayscale image, by the fast im2col convolution.
- :func:`cost`: the notes' arithmetic for one filter: how many operations the sliding kernel
  needs against how many entries the same map would need as one dense matrix. For the notes'
  320x280 picture and ``[-1, 1]``: a 319x280 map, 319*280*3 = 267,960 operations, against a dense
  matrix of (320*280) * (319*280) = 8,003,072,000 entries.
- :func:`trace_region`: the loop-by-loop trace (:func:`engine.reference.conv2d_trace`) of a small
  block of output cells, computed on the crop of the padded image those cells see.

Images are ``(H, W)`` (row, column); kernels ``(kh, kw)``. Convolution is cross-correlation, as in
:mod:`engine.reference`.
"""

from dataclasses import asdict, dataclass

import numpy as np

from . import fast
from .errors import EngineError
from .reference import _check_grid, padding_source, trace_conv
from .shapes import Geometry, conv_geometry, pair

_GAUSS3 = np.outer([1, 2, 1], [1, 2, 1]) / 16.0  # the binomial approximation of a Gaussian

#: name -> kernel (a 2-D list), in the order the lab offers them.
KERNELS: dict[str, list[list[float]]] = {
    "edge": [[-1.0, 1.0]],
    "sobel_x": [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]],
    "sobel_y": [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]],
    "box_blur": [[1 / 9] * 3 for _ in range(3)],
    "gaussian_blur": _GAUSS3.tolist(),
    "sharpen": [[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]],
    "laplacian": [[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]],
    "identity": [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]],
}


def _image_and_kernel(image, kernel) -> tuple[np.ndarray, np.ndarray]:
    return _check_grid(image, "the image", 2), _check_grid(kernel, "the kernel", 2)


def apply(image, kernel, bias: float = 0.0, stride=1, padding=0, dilation=1, padding_mode="zeros") -> np.ndarray:
    """The feature map of ``image`` (H, W) under ``kernel`` (kh, kw): (OH, OW) float32.

    Runs the fast im2col convolution (:func:`engine.fast.conv2d`) in float32; a stride that leaves
    a remainder rounds the size down (as PyTorch); a kernel that does not fit is an
    :class:`EngineError` showing the output-size arithmetic. ``padding`` and ``padding_mode`` as
    :func:`engine.reference.conv2d_trace`: with an edge filter, zeros make a dark (or bright) frame
    at the picture's border, where reflect or replicate padding continue the picture.
    """
    x, k = _image_and_kernel(image, kernel)
    return feature_map(
        x,
        k,
        bias,
        conv_geometry(
            x.shape[0], x.shape[1], k.shape[0], k.shape[1], padding, stride, dilation, padding_mode=padding_mode
        ),
    )


def feature_map(x: np.ndarray, k: np.ndarray, bias: float, geometry: Geometry) -> np.ndarray:
    """:func:`apply` on an image and kernel already checked, with their ``geometry``
    (:func:`engine.shapes.conv_geometry`): nothing is checked again."""
    out = fast.conv2d(
        x.astype(np.float32)[None, None],
        k.astype(np.float32)[None, None],
        np.array([bias], dtype=np.float32),
        geometry=geometry,
    )
    return out[0, 0]


@dataclass
class FilterCost:
    """The notes' arithmetic for one kernel over one image (numbers, not strings).

    input_cells = H*W; output_cells = OH*OW; ops_per_cell = kh*kw multiplications and
    kh*kw - 1 additions (the bias, if any, is not counted, as in the notes); operations =
    output_cells * ops_per_cell; dense_entries = input_cells * output_cells, the entries of the
    matrix that maps the flattened image to the flattened map; dense_nonzero = output_cells * kh*kw,
    how many of them are not zero.
    """

    height: int
    width: int
    kernel_height: int
    kernel_width: int
    output_height: int
    output_width: int
    input_cells: int
    output_cells: int
    multiplications_per_cell: int
    additions_per_cell: int
    ops_per_cell: int
    operations: int
    dense_entries: int
    dense_nonzero: int

    @property
    def dense_zero_fraction(self) -> float:
        """How much of the dense matrix is zeros."""
        return 1 - self.dense_nonzero / self.dense_entries

    @property
    def dense_per_operation(self) -> int:
        """Dense-matrix entries per operation of the sliding kernel, rounded."""
        return round(self.dense_entries / self.operations) if self.operations else 0

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "dense_zero_fraction": self.dense_zero_fraction,
            "dense_zero_percent": round(100 * self.dense_zero_fraction, 4),
            "dense_per_operation": self.dense_per_operation,
        }


def cost(height: int, width: int, kernel_height: int, kernel_width: int, stride=1, padding=0, dilation=1) -> FilterCost:
    """How much one filter costs done by sliding, against done as one dense matrix product."""
    return cost_of(conv_geometry(height, width, kernel_height, kernel_width, padding, stride, dilation))


def cost_of(geometry: Geometry) -> FilterCost:
    """:func:`cost` of a convolution's ``geometry`` (:func:`engine.shapes.conv_geometry`)."""
    (height, width), (kernel_height, kernel_width), (oh, ow) = geometry.size, geometry.kernel, geometry.out
    taps = kernel_height * kernel_width
    cells = oh * ow
    return FilterCost(
        height=height,
        width=width,
        kernel_height=kernel_height,
        kernel_width=kernel_width,
        output_height=oh,
        output_width=ow,
        input_cells=height * width,
        output_cells=cells,
        multiplications_per_cell=taps,
        additions_per_cell=taps - 1,
        ops_per_cell=2 * taps - 1,
        operations=cells * (2 * taps - 1),
        dense_entries=height * width * cells,
        dense_nonzero=cells * taps,
    )


def trace_region(
    image, kernel, row: int, col: int, size=4, bias: float = 0.0, stride=1, padding=0, dilation=1, padding_mode="zeros"
) -> dict:
    """The reference trace of the output cells ``[row, row + size) x [col, col + size)``.

    ``size`` is one number or (rows, cols); the block is cut to the output's edge, and ``row`` and
    ``col`` must lie inside the output. Only the crop of the padded image that these cells see is
    traced (an error's ``row`` and ``col`` params count from 1, as the message does). Returns ``row``, ``col``, ``rows``, ``cols`` (the block actually traced), ``top`` and
    ``left`` (where the crop starts in the padded image), ``input`` (the crop, 2-D float64),
    ``output`` (rows x cols) and ``steps``: one per cell in row-major order as in
    :func:`engine.reference.conv2d_trace`, but with ``row`` and ``col`` in the whole output while
    ``top``, ``left`` and ``cells`` ([channel, row, col]) are in the crop.
    """
    x, k = _image_and_kernel(image, kernel)
    geometry = conv_geometry(
        x.shape[0], x.shape[1], k.shape[0], k.shape[1], padding, stride, dilation, padding_mode=padding_mode
    )
    return trace_block(x, k, geometry, row, col, size, bias)


def trace_block(
    x: np.ndarray, k: np.ndarray, geometry: Geometry, row: int, col: int, size=4, bias: float = 0.0
) -> dict:
    """:func:`trace_region` on an image and kernel already checked, with their ``geometry``
    (:func:`engine.shapes.conv_geometry`): they are not checked again."""
    kh, kw = k.shape
    (sh, sw), (dh, dw), (oh, ow) = geometry.stride, geometry.dilation, geometry.out
    sides, padding_mode = geometry.sides, geometry.padding_mode
    size_h, size_w = pair(size, "size")
    if size_h < 1 or size_w < 1:
        raise EngineError(
            "bad_trace_size", f"the traced block must be at least 1x1, got {size_h}x{size_w}", size=[size_h, size_w]
        )
    for value, what in ((row, "row"), (col, "col")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise EngineError(
                "not_integer", f"the traced {what} must be a whole number, got {value!r}", what=what, value=value
            )
    if not (0 <= row < oh and 0 <= col < ow):
        raise EngineError(
            "bad_trace_region",
            f"the traced block starts at output row {row + 1}, column {col + 1}, outside the {oh}x{ow} feature map",
            row=row + 1,
            col=col + 1,
            shape=[oh, ow],
        )
    rows, cols = min(size_h, oh - row), min(size_w, ow - col)
    top, left = row * sh, col * sw
    span_h, span_w = (rows - 1) * sh + dh * (kh - 1) + 1, (cols - 1) * sw + dw * (kw - 1) + 1
    crop = np.zeros((span_h, span_w))  # the block of the padded picture the cells see, filled as padding_mode says
    for r in range(span_h):
        for q in range(span_w):
            i = padding_source(top + r - sides[0], x.shape[0], padding_mode)
            j = padding_source(left + q - sides[2], x.shape[1], padding_mode)
            if i is not None and j is not None:
                crop[r, q] = x[i, j]
    crop_geometry = Geometry(
        crop.shape, (kh, kw), (sh, sw), ((0, 0), (0, 0)), (dh, dw), (rows, cols)
    )  # (by construction)
    out, steps = trace_conv(crop[None], k[None, None], np.full(1, float(bias)), crop_geometry)
    for step in steps:
        step["row"] += row
        step["col"] += col
    return {
        "row": row,
        "col": col,
        "rows": rows,
        "cols": cols,
        "top": top,
        "left": left,
        "input": crop,
        "output": out[0],
        "steps": steps,
    }
