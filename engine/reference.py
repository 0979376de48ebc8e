"""Convolution and pooling as plain loops: the oracle for the fast path, and the source of traces.

Each iteration of the innermost loop over output cells is one animation frame in the labs: the
trace records, for every output cell in row-major order (filter, row, col), where the window sits
in the padded input, the element-wise products in window order, their sum, the bias, the
activation and the final value. Nothing here is fast; everything here is easy to check by hand.

Convolution is cross-correlation, as in every deep-learning framework:
    out[f, i, j] = sum_{c,m,n} x_pad[c, i*S + m*D, j*S + n*D] * k[f, c, m, n] + b[f]
where x_pad is the input with its padding (per side, filled as ``padding_mode`` says:
:func:`padding_source`, one position at a time).
"""

import numpy as np

from .errors import EngineError
from .shapes import Geometry, check_groups, conv_geometry, flag, pair, pool_geometry


def _check_grid(a: np.ndarray, what: str, ndim: int) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != ndim:
        raise EngineError(
            "bad_ndim",
            f"{what} must have {ndim} dimensions, got shape {a.shape}",
            what=what,
            expected=ndim,
            shape=list(a.shape),
        )
    if a.size == 0:
        raise EngineError("empty", f"{what} is empty", what=what)
    if not np.all(np.isfinite(a)):
        raise EngineError("not_finite", f"{what} contains a value that is not a finite number", what=what)
    return a


def pad_input(x: np.ndarray, padding, value: float = 0.0) -> np.ndarray:
    """Pad a ``(C, H, W)`` array on both sides of H and W with ``value``."""
    ph, pw = pair(padding, "padding")
    return np.pad(x, ((0, 0), (ph, ph), (pw, pw)), constant_values=value)


def padding_source(index: int, size: int, mode: str = "zeros") -> int | None:
    """Which input position a padded position copies along one axis, or None for a zero.

    ``index`` counts from the input's first row (or column): -1 is the padding row just above it,
    ``size`` the one just below. PyTorch's modes: ``reflect`` mirrors at the edge without repeating
    it (-1 -> 1, size -> size - 2), ``replicate`` repeats the edge (-1 -> 0), ``circular`` wraps
    around (-1 -> size - 1, size -> 0), ``zeros`` gives None. The limits (reflect: less than
    ``size`` beyond the edge; circular: at most ``size``) are checked by
    :func:`engine.shapes.check_padding_mode` before this is asked.
    """
    if 0 <= index < size or mode == "zeros":
        return index if 0 <= index < size else None
    if mode == "replicate":
        return 0 if index < 0 else size - 1
    if mode == "reflect":
        return -index if index < 0 else 2 * (size - 1) - index
    return index % size  # circular


def pad_conv_input(x: np.ndarray, sides, mode: str = "zeros") -> np.ndarray:
    """Pad a ``(C, H, W)`` array by ``sides`` = (top, bottom, left, right), one cell at a time, each
    padding cell filled as ``mode`` says (:func:`padding_source`)."""
    top, bottom, left, right = sides
    c, h, w = x.shape
    out = np.zeros((c, h + top + bottom, w + left + right), dtype=x.dtype)
    for r in range(out.shape[1]):
        for q in range(out.shape[2]):
            i, j = padding_source(r - top, h, mode), padding_source(q - left, w, mode)
            if i is not None and j is not None:
                out[:, r, q] = x[:, i, j]
    return out


def conv2d_trace(
    x,
    kernel,
    bias=0.0,
    stride=1,
    padding=0,
    dilation=1,
    activation=None,
    activation_params=None,
    padding_mode="zeros",
    groups=1,
):
    """Convolve one sample, loop by loop, and record every step.

    x: (C, H, W); kernel: (F, C/groups, kh, kw); bias: a number or (F,).
    padding: any form :func:`engine.shapes.resolve_padding` takes (a number, a pair, per side,
    "valid", "same"); padding_mode: zeros, reflect, replicate or circular (PyTorch's).
    groups (PyTorch's): filter ``f`` belongs to group ``f // (F/groups)`` and reads only that group's
    input channels, ``group*C/groups`` to ``(group+1)*C/groups - 1`` (C and F divisible by groups).
    activation: None or a name from :data:`engine.activations.ACTIVATIONS`.
    Returns ``(out, steps)``: out is (F, OH, OW) float64; steps is a list of dicts, one per output
    cell in (filter, row, col) order, with keys ``filter``, ``row``, ``col``, ``top``, ``left``
    (the window's top-left corner in the padded input), ``cells`` (the [row, col] in the padded
    input of each window element, in window order c, m, n), ``inputs``, ``weights``, ``products``,
    ``channel_sums`` (C/groups,: the products of each input channel the filter reads, added up),
    ``sum``, ``bias``, ``z`` (sum + bias), ``activation`` (its name, or None) and ``value`` (after
    the activation). With groups, ``cells`` name the input channel actually read.
    """
    x, k, b = conv_operands(x, kernel, bias, groups)
    geometry = conv_geometry(
        x.shape[1], x.shape[2], k.shape[2], k.shape[3], padding, stride, dilation, padding_mode=padding_mode
    )
    return trace_conv(x, k, b, geometry, activation, activation_params, groups)


def conv_operands(x, kernel, bias=0.0, groups=1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``x`` (C, H, W), ``kernel`` (F, C/groups, kh, kw) and ``bias`` (a number or (F,)) checked, as
    float64 arrays, the bias as (F,): ``bad_ndim``, ``empty``, ``not_finite``, the groups' errors
    (:func:`engine.shapes.check_groups`), ``channel_mismatch``, ``bias_mismatch``."""
    x = _check_grid(x, "the input", 3)
    k = _check_grid(kernel, "the kernel", 4)
    n_filters, c = k.shape[:2]
    check_groups(None, groups, x.shape[0], n_filters)
    if c * groups != x.shape[0]:
        raise EngineError(
            "channel_mismatch",
            f"the kernel has {c * groups} channel(s) but the input has {x.shape[0]}",
            kernel_channels=c * groups,
            input_channels=x.shape[0],
        )
    b = (
        np.broadcast_to(np.asarray(bias, dtype=np.float64), (n_filters,))
        if np.ndim(bias) == 0
        else _check_grid(bias, "the bias", 1)
    )
    if b.shape != (n_filters,):
        raise EngineError(
            "bias_mismatch",
            f"there are {n_filters} filter(s) but {b.shape[0]} bias value(s)",
            filters=n_filters,
            biases=int(b.shape[0]),
        )
    return x, k, b


def trace_conv(
    x: np.ndarray,
    k: np.ndarray,
    b: np.ndarray,
    geometry: Geometry,
    activation=None,
    activation_params=None,
    groups: int = 1,
):
    """:func:`conv2d_trace` on operands already checked (:func:`conv_operands`, with these ``groups``)
    with the ``geometry`` of :func:`engine.shapes.conv_geometry` for their shapes (its padding per
    side and padding mode): nothing is checked again."""
    n_filters, c, kh, kw = k.shape
    per_group = n_filters // groups
    (sh, sw), (dh, dw), (oh, ow) = geometry.stride, geometry.dilation, geometry.out
    act = _activation(activation, activation_params)
    xp = pad_conv_input(x, geometry.sides, geometry.padding_mode)
    out = np.zeros((n_filters, oh, ow))
    steps = []
    for f in range(n_filters):
        for i in range(oh):
            for j in range(ow):
                top, left = i * sh, j * sw
                first = (f // per_group) * c  # the first input channel of this filter's group
                cells, inputs, weights = [], [], []
                for ch in range(c):
                    for m in range(kh):
                        for n in range(kw):
                            r, q = top + m * dh, left + n * dw
                            cells.append([first + ch, r, q])
                            inputs.append(float(xp[first + ch, r, q]))
                            weights.append(float(k[f, ch, m, n]))
                products = [a * w for a, w in zip(inputs, weights)]
                per = kh * kw
                channel_sums = [float(sum(products[ch * per : (ch + 1) * per])) for ch in range(c)]
                total = float(sum(products))
                z = total + float(b[f])
                value = float(act(np.float64(z))) if act else z
                out[f, i, j] = value
                steps.append(
                    {
                        "filter": f,
                        "row": i,
                        "col": j,
                        "top": top,
                        "left": left,
                        "cells": cells,
                        "inputs": inputs,
                        "weights": weights,
                        "products": products,
                        "channel_sums": channel_sums,
                        "sum": total,
                        "bias": float(b[f]),
                        "z": z,
                        "activation": activation,
                        "value": value,
                    }
                )
    return out, steps


def conv2d_reference(x, kernel, bias=0.0, stride=1, padding=0, dilation=1, padding_mode="zeros", groups=1):
    """The convolution of a batch, by the loops above: x (N, C, H, W) -> (N, F, OH, OW)."""
    return np.stack(
        [
            conv2d_trace(s, kernel, bias, stride, padding, dilation, padding_mode=padding_mode, groups=groups)[0]
            for s in x
        ]
    )


def pool2d_trace(x, size=2, stride=None, padding=0, mode="max", ceil_mode=False, count_include_pad=True):
    """Pool one sample, loop by loop, and record every step (PyTorch's ``max_pool2d`` and ``avg_pool2d``).

    x: (C, H, W). Max pooling pads with -infinity (padding never wins); average pooling pads with
    zeros and divides by the window's cells inside the padded input (``count_include_pad``, PyTorch's
    default) or by its cells inside the input only. With ``ceil_mode`` the last window may run past
    the padded input: the part outside is left out (it is not read, and not counted).
    Returns ``(out, steps)``; each step has ``channel``, ``row``, ``col``, ``top``, ``left``, ``cells``
    ([channel, row, col] in the padded input, in window order, only those inside it), ``values``
    (None for a padding cell of a max window) and ``value``; max steps add ``winner`` (the index in
    the window of the first maximum), average steps add ``sum`` and ``count`` (the divisor).
    """
    check_pool_mode(mode)
    x = _check_grid(x, "the input", 3)
    count_include_pad = flag(count_include_pad, "count_include_pad")
    geometry = pool_geometry(x.shape[1], x.shape[2], size, stride, padding, ceil_mode=ceil_mode)
    return trace_pool(x, geometry, mode, count_include_pad)


def check_pool_mode(mode) -> str:
    """``"max"`` or ``"avg"``; anything else is ``bad_mode``."""
    if mode not in ("max", "avg"):
        raise EngineError("bad_mode", f"unknown pooling mode {str(mode)[:20]!r}: use 'max' or 'avg'", mode=str(mode))
    return mode


def trace_pool(x: np.ndarray, geometry: Geometry, mode: str = "max", count_include_pad: bool = True):
    """:func:`pool2d_trace` on an input already checked ((C, H, W) float64, finite), a checked ``mode``
    and ``count_include_pad``, and the ``geometry`` of :func:`engine.shapes.pool_geometry`: nothing is
    checked again."""
    (kh, kw), (sh, sw), (oh, ow) = geometry.kernel, geometry.stride, geometry.out
    ph, pw = geometry.padding[0][0], geometry.padding[1][0]  # (pooling pads both ends alike)
    xp = pad_input(x, (ph, pw), -np.inf if mode == "max" else 0.0)
    hp, wp = xp.shape[1:]
    out = np.zeros((x.shape[0], oh, ow))
    steps = []
    for ch in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                top, left = i * sh, j * sw
                cells = [
                    [ch, top + m, left + n] for m in range(kh) for n in range(kw) if top + m < hp and left + n < wp
                ]
                values = [float(xp[c, r, q]) for c, r, q in cells]
                step = {"channel": ch, "row": i, "col": j, "top": top, "left": left, "cells": cells}
                if mode == "max":
                    winner = int(np.argmax(values))
                    value = values[winner]
                    step.update(values=[None if v == -np.inf else v for v in values], winner=winner)
                else:
                    total = float(sum(values))
                    count = (
                        len(cells)
                        if count_include_pad
                        else sum(ph <= r < hp - ph and pw <= q < wp - pw for _, r, q in cells)
                    )
                    value = total / count
                    step.update(values=values, sum=total, count=count)
                step["value"] = value
                out[ch, i, j] = value
                steps.append(step)
    return out, steps


def pool2d_reference(x, size=2, stride=None, padding=0, mode="max", ceil_mode=False, count_include_pad=True):
    """Pooling of a batch, by the loops above: x (N, C, H, W) -> (N, C, OH, OW)."""
    return np.stack([pool2d_trace(s, size, stride, padding, mode, ceil_mode, count_include_pad)[0] for s in x])


def _activation(name, params):
    if name is None:
        return None
    from .activations import get  # local import: the activations module is larger than this one

    return get(name, **(params or {})).f
