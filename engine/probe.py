"""One cell of a convolution or pooling layer's feature map, and the numbers that made it.

A convolution layer's output at ``(channel f, row i, column j)`` is filter ``f`` (its kernel over
every input channel, plus its bias) applied to the window of the layer's input under it; a pooling
layer's is the maximum or the mean of one channel's window. :func:`cell_window` returns that
window, the kernel and the value, so the convolution and pooling labs can replay the cell by hand
(``/conv`` and ``/pool`` open on exactly these numbers from the draw page).

Shapes follow PyTorch: the input is ``(1, C, H, W)`` as :func:`engine.data.normalise` gives it, a
window is ``(C, kh, kw)`` for a convolution (zero padding included as zeros; with a dilation the
window keeps only the cells the kernel touches, so it reads as an ordinary kh x kw window) and
``(kh, kw)`` for pooling. Indices are 0-based.
"""

from dataclasses import dataclass

import numpy as np

from .errors import EngineError
from .layers import AvgPool2D, Conv2D, MaxPool2D
from .reference import padding_source
from .shapes import pool_divisors


@dataclass
class CellWindow:
    """What one feature-map cell was computed from.

    - ``layer``, ``type`` (``conv``, ``maxpool``, ``avgpool``), ``channel``, ``row``, ``column``: the cell;
    - ``source``: the name of the layer whose output the window is taken from (``"input"``: the image);
    - ``patch``: conv (C, kh, kw), pool (kh, kw): the window of that input under the cell; for a
      grouped convolution (C/groups, kh, kw), the channels of the filter's group only;
    - ``kernel`` (C/groups, kh, kw) and ``bias``: conv only, filter ``channel``'s weights (bias 0 without one);
    - ``value``: the layer's output at the cell, as the network computed it;
    - ``size``: ``(kh, kw)``, the kernel's or the pooling window's.
    """

    layer: str
    type: str
    channel: int
    row: int
    column: int
    source: str
    patch: np.ndarray
    kernel: np.ndarray | None
    bias: float | None
    value: float
    size: tuple[int, int]


def cell_window(model, x: np.ndarray, layer: str, channel: int, row: int, column: int) -> CellWindow:
    """The window behind ``layer``'s output at ``(channel, row, column)`` for the one input ``x``
    (1, C, H, W). Runs one forward pass (callers sharing ``model`` between threads hold its lock).

    Errors (:class:`EngineError`): ``no_such_layer``; ``not_a_map_layer`` (neither convolution nor
    pooling); ``cell_outside_map`` (an index outside the map, naming its size);
    ``window_in_padding``: a max-pooling window that reaches into the padding, whose cells are
    minus infinity and cannot be shown as numbers; ``window_divisor``: an average-pooling window
    that divides by fewer cells than its size (``count_include_pad`` off, or a ``ceil_mode`` window
    cut at the edge), which the pooling lab, averaging the window's kh x kw cells, would not replay.
    """
    names = [l.name for l in model.layers]
    if layer not in names:
        raise EngineError(
            "no_such_layer",
            f"the model has no layer {layer!r}; its layers are {', '.join(names)}",
            layer=layer,
            layers=", ".join(names),
        )
    index = names.index(layer)
    target = model.layers[index]
    if not isinstance(target, (Conv2D, MaxPool2D, AvgPool2D)):
        raise EngineError(
            "not_a_map_layer",
            f"{layer} is a {target.type} layer: only convolution and pooling layers have windows to open in a lab",
            layer=layer,
            type=target.type,
        )
    activations = model.activations(x)
    inputs = np.asarray(x if index == 0 else activations[index - 1][1], dtype=np.float64)[0]
    out = np.asarray(activations[index][1], dtype=np.float64)[0]
    channels, height, width = out.shape
    for name, value, limit in (("channel", channel, channels), ("row", row, height), ("column", column, width)):
        if not 0 <= value < limit:
            raise EngineError(
                "cell_outside_map",
                f"{layer}'s output is {channels} x {height} x {width}: {name} {value} is outside 0..{limit - 1}",
                layer=layer,
                name=name,
                value=value,
                limit=limit - 1,
            )
    kh, kw = target.kh, target.kw
    is_conv = isinstance(target, Conv2D)
    (sh, sw), (ph, pw) = target.s, ((target.sides[0], target.sides[2]) if is_conv else target.p)
    dh, dw = target.d if is_conv else (1, 1)
    rows = row * sh - ph + dh * np.arange(kh)
    cols = column * sw - pw + dw * np.arange(kw)
    inside_r = (rows >= 0) & (rows < inputs.shape[1])
    inside_c = (cols >= 0) & (cols < inputs.shape[2])
    window = np.zeros((inputs.shape[0], kh, kw))  # padding cells: zeros (convolution, average pooling)
    if is_conv and target.padding_mode != "zeros":  # reflected, replicated or wrapped: the cells they copy
        rows = np.array([padding_source(int(r), inputs.shape[1], target.padding_mode) for r in rows])
        cols = np.array([padding_source(int(q), inputs.shape[2], target.padding_mode) for q in cols])
        inside_r, inside_c = np.ones(kh, bool), np.ones(kw, bool)
    window[np.ix_(np.arange(inputs.shape[0]), inside_r, inside_c)] = inputs[
        np.ix_(np.arange(inputs.shape[0]), rows[inside_r], cols[inside_c])
    ]
    source = "input" if index == 0 else names[index - 1]
    value = float(out[channel, row, column])
    if isinstance(target, Conv2D):
        if target.g > 1:  # a grouped convolution: the filter reads its group's channels only
            per = inputs.shape[0] // target.g
            first = channel // (channels // target.g) * per
            window = window[first : first + per]
        kernel = np.asarray(target.params["W"][channel], dtype=np.float64)
        bias = float(target.params["b"][channel]) if target.bias else 0.0
        return CellWindow(layer, target.type, channel, row, column, source, window, kernel, bias, value, (kh, kw))
    if isinstance(target, MaxPool2D) and not (inside_r.all() and inside_c.all()):
        raise EngineError(
            "window_in_padding",
            f"this window of {layer} reaches into its padding, whose cells are "
            f"minus infinity: the pooling lab cannot show it; choose a cell further from the edge",
            layer=layer,
        )
    if isinstance(target, AvgPool2D):
        divisor = (
            pool_divisors(inputs.shape[1], kh, ph, sh, row + 1, target.count_include_pad)[row]
            * pool_divisors(inputs.shape[2], kw, pw, sw, column + 1, target.count_include_pad)[column]
        )
        if divisor != kh * kw:
            raise EngineError(
                "window_divisor",
                f"this window of {layer} divides by {divisor} cells, not {kh * kw} "
                f"(count_include_pad is off or the window runs past the edge): the pooling lab cannot "
                f"replay it from the window alone; choose a cell further from the edge",
                layer=layer,
                divisor=divisor,
                size=kh * kw,
            )
    return CellWindow(layer, target.type, channel, row, column, source, window[channel], None, None, value, (kh, kw))
