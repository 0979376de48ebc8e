"""Transposed convolution (PyTorch's ``ConvTranspose2d``): each input cell scatters a copy of the
kernel, weighted by the cell's value, into the output, and where copies overlap they add up.

Weights are ``(C_in, F, kh, kw)``, as PyTorch stores them (input channels first). Per axis:

    full = (H - 1)·S + D·(K - 1) + 1                       (every copy, before cropping)
    OH   = (H - 1)·S − 2P + D·(K − 1) + OP + 1              (PyTorch's output size)

``P`` (padding) crops ``P`` rows from the top and bottom of the full scatter (it undoes the padding
of the convolution whose gradient this is); ``OP`` (``output_padding``) keeps ``OP`` more rows at
the bottom (and columns at the right): rows the padding would have cropped, or zeros past the end
of the scatter. It gives back the rows a stride-S convolution's floor dropped, so that the output
has exactly that convolution's input size. PyTorch requires ``OP < S`` or ``OP < D`` on each axis.

Why "transposed": written as a matrix acting on the flattened input, a convolution is ``y = C x``;
this layer computes ``C^T y`` with the same kernel. It is the gradient of a convolution with
respect to its input (what :meth:`engine.layers.Conv2D.backward` computes for ``dx``), and its own
gradient with respect to its input is a convolution. It does not invert a convolution, which is why
"deconvolution" is a misnomer.

Sources: PyTorch ``torch.nn.ConvTranspose2d`` documentation (shape formula, weight layout) and
``slow_conv_transpose2d_shape_check`` in ``aten/src/ATen/native/NaiveConvolutionTranspose2d.cpp``
(the ``output_padding`` rule, "Output size is too small"); V. Dumoulin and F. Visin,
"A guide to convolution arithmetic for deep learning", 2016, arXiv:1603.07285, section 4.
"""

import numpy as np

from . import fast
from .errors import EngineError
from .layers import Layer, _flag, _image_shape, _positive_int
from .reference import _check_grid
from .shapes import pair
from .shapes import transposed_formula as formula
from .shapes import transposed_length as output_length
from .shapes import transposed_output_shape as output_shape

__all__ = [
    "ConvTranspose2D",
    "conv_transpose2d",
    "conv_transpose2d_reference",
    "conv_transpose2d_trace",
    "formula",
    "output_length",
    "output_shape",
]


def _full(size: int, kernel: int, stride: int, padding: int, output: int, dilation: int) -> int:
    """Rows of the scatter buffer: every copy, and the output_padding rows past them if any."""
    return max((size - 1) * stride + dilation * (kernel - 1) + 1, padding + output)


def conv_transpose2d_trace(x, kernel, bias=0.0, stride=1, padding=0, output_padding=0, dilation=1):
    """Transposed convolution of one sample, loop by loop (the oracle), recording every step.

    x: (C, H, W); kernel: (C, F, kh, kw) (PyTorch's layout); bias: a number or (F,).
    Returns ``(out, steps, full)``: ``out`` (F, OH, OW); ``full`` (F, Hf, Wf) the whole scatter
    before cropping, without the bias (the output is ``full[:, P:P+OH, P:P+OW] + bias``).
    ``steps``: one per input cell in (channel, row, col) order, with ``channel``, ``row``, ``col``,
    ``input`` (the cell's value), ``top``, ``left`` (where its copy's corner lands in the full
    scatter: row·S, col·S), ``cells`` ([filter, row, col] in the full scatter, kernel order f, m, n),
    ``weights``, ``products`` (input · weight), ``inside`` (whether each cell survives the
    cropping), ``output_cells`` ([filter, row, col] in the output, or None for a cropped cell),
    ``overlaps`` (whether an earlier copy already added into each cell: the copies overlap there) and
    ``partial`` ((F, Hf, Wf): the scatter after this step).
    """
    x = _check_grid(x, "the input", 3)
    k = _check_grid(kernel, "the kernel", 4)
    c, h, w = x.shape
    if k.shape[0] != c:
        raise EngineError(
            "channel_mismatch",
            f"the kernel has {k.shape[0]} channel(s) but the input has {c}",
            kernel_channels=int(k.shape[0]),
            input_channels=c,
        )
    _, f, kh, kw = k.shape
    b = (
        np.broadcast_to(np.asarray(bias, dtype=np.float64), (f,))
        if np.ndim(bias) == 0
        else _check_grid(bias, "the bias", 1)
    )
    if b.shape != (f,):
        raise EngineError(
            "bias_mismatch",
            f"there are {f} filter(s) but {b.shape[0]} bias value(s)",
            filters=f,
            biases=int(b.shape[0]),
        )
    (sh, sw), (ph, pw), (dh, dw) = pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")
    oh, ow = output_shape(h, w, kh, kw, stride, padding, output_padding, dilation)
    full = np.zeros((f, _full(h, kh, sh, ph, oh, dh), _full(w, kw, sw, pw, ow, dw)))
    touched = np.zeros(full.shape, bool)
    steps = []
    for ch in range(c):
        for i in range(h):
            for j in range(w):
                top, left = i * sh, j * sw
                cells, weights, products, inside, output_cells, overlaps = [], [], [], [], [], []
                for g in range(f):
                    for m in range(kh):
                        for n in range(kw):
                            r, q = top + m * dh, left + n * dw
                            weight = float(k[ch, g, m, n])
                            product = float(x[ch, i, j]) * weight
                            full[g, r, q] += product
                            overlaps.append(bool(touched[g, r, q]))
                            touched[g, r, q] = True
                            cells.append([g, r, q])
                            weights.append(weight)
                            products.append(product)
                            kept = ph <= r < ph + oh and pw <= q < pw + ow
                            inside.append(kept)
                            output_cells.append([g, r - ph, q - pw] if kept else None)
                steps.append(
                    {
                        "channel": ch,
                        "row": i,
                        "col": j,
                        "input": float(x[ch, i, j]),
                        "top": top,
                        "left": left,
                        "cells": cells,
                        "weights": weights,
                        "products": products,
                        "inside": inside,
                        "output_cells": output_cells,
                        "overlaps": overlaps,
                        "partial": full.copy(),
                    }
                )
    out = full[:, ph : ph + oh, pw : pw + ow] + b[:, None, None]
    return out, steps, full


def conv_transpose2d_reference(x, kernel, bias=0.0, stride=1, padding=0, output_padding=0, dilation=1):
    """A batch by the loops above: x (N, C, H, W) -> (N, F, OH, OW)."""
    return np.stack([conv_transpose2d_trace(s, kernel, bias, stride, padding, output_padding, dilation)[0] for s in x])


def _scatter(x: np.ndarray, w: np.ndarray, kh: int, kw: int, s, d, buffer_shape: tuple):
    """The fast scatter in the engine's layout: x (C, H, W, N), w (C, F, kh, kw) -> the full scatter
    ``buffer_shape`` (F, Hf, Wf, N): ``cols = W^T @ x`` (F*kh*kw, H*W*N), one column per input cell
    holding its kernel-weighted copy, then col2im adds each copy into place (col2im is the adjoint
    of a convolution's im2col)."""
    c, h, wd = x.shape[:3]
    cols = w.reshape(c, -1).T @ x.reshape(c, -1)
    return fast.col2im(cols, buffer_shape, kh, kw, h, wd, s, d)


def conv_transpose2d(
    x: np.ndarray, w: np.ndarray, b=None, stride=1, padding=0, output_padding=0, dilation=1
) -> np.ndarray:
    """Transposed convolution of a batch (the fast path): x (N, C, H, W), w (C, F, kh, kw), b (F,) or
    None -> (N, F, OH, OW), as ``torch.nn.functional.conv_transpose2d`` (groups 1)."""
    x = np.asarray(x)
    c, f, kh, kw = w.shape
    if x.shape[1] != c:
        raise EngineError(
            "channel_mismatch",
            f"the kernel has {c} channel(s) but the input has {x.shape[1]}",
            kernel_channels=c,
            input_channels=int(x.shape[1]),
        )
    s, p, d = pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")
    oh, ow = output_shape(x.shape[2], x.shape[3], kh, kw, s, p, output_padding, d)
    shape = (f, _full(x.shape[2], kh, s[0], p[0], oh, d[0]), _full(x.shape[3], kw, s[1], p[1], ow, d[1]), x.shape[0])
    full = _scatter(np.ascontiguousarray(x.transpose(1, 2, 3, 0)), w, kh, kw, s, d, shape)
    out = full[:, p[0] : p[0] + oh, p[1] : p[1] + ow]
    if b is not None:
        out = out + np.asarray(b, out.dtype).reshape(f, 1, 1, 1)
    return np.ascontiguousarray(out.transpose(3, 0, 1, 2))


class ConvTranspose2D(Layer):
    """Transposed convolution with ``filters`` output channels (PyTorch's ``ConvTranspose2d``, groups 1).

    forward: x (C, H, W, N) -> (F, OH, OW, N). Parameters: ``W`` (C, F, kh, kw), ``b`` (F,).
    Forward is ``cols = W^T (F*kh*kw, C) @ x (C, H*W*N)`` then col2im and a crop of ``padding``;
    backward pads the incoming gradient back to the scatter's size and runs im2col on it:
    ``dx = W @ dcols`` (a convolution of the gradient), ``dW = x @ dcols^T``, ``db`` the sum.
    Initialisation follows PyTorch: ``fan_in`` is ``F*kh*kw`` (the weight's second axis times the
    kernel, as ``torch.nn.init`` reads a (C_in, F, kh, kw) weight), ``fan_out`` ``C*kh*kw``.
    """

    type = "conv_transpose"

    def __init__(
        self,
        filters: int,
        kernel=3,
        stride=1,
        padding=0,
        output_padding=0,
        dilation=1,
        bias: bool = True,
        init: str = "lecun",
        name: str | None = None,
    ):
        super().__init__(name)
        self.filters, self.kernel, self.stride, self.padding = filters, kernel, stride, padding
        self.output_padding, self.dilation = output_padding, dilation
        self.bias, self.init = _flag("conv_transpose", "bias", bias), init
        self.input_grad = True

    def config(self) -> dict:
        return {
            "filters": self.filters,
            "kernel": self.kernel,
            "stride": self.stride,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "dilation": self.dilation,
            "bias": self.bias,
            "init": self.init,
        }

    def count_params(self, in_shape):
        if len(in_shape) != 3 or isinstance(self.filters, bool) or not isinstance(self.filters, int):
            return 0
        kh, kw = pair(self.kernel, "kernel")
        return max(self.filters, 0) * (in_shape[0] * kh * kw + int(self.bias))

    def build(self, in_shape, rng, dtype=np.float32):
        from .init import initialise, initialise_bias

        c, h, w = _image_shape(self, in_shape)
        f = _positive_int(self.name, "the number of filters", self.filters)
        self.kh, self.kw = pair(self.kernel, "kernel")
        self.s, self.p = pair(self.stride, "stride"), pair(self.padding, "padding")
        self.op, self.d = pair(self.output_padding, "output_padding"), pair(self.dilation, "dilation")
        self.oh, self.ow = output_shape(h, w, self.kh, self.kw, self.s, self.p, self.op, self.d, where=f"{self.name}: ")
        self.hf = _full(h, self.kh, self.s[0], self.p[0], self.oh, self.d[0])
        self.wf = _full(w, self.kw, self.s[1], self.p[1], self.ow, self.d[1])
        fan_in, fan_out = f * self.kh * self.kw, c * self.kh * self.kw
        self.params = {"W": initialise(self.init, rng, (c, f, self.kh, self.kw), fan_in, fan_out, dtype)}
        if self.bias:
            self.params["b"] = initialise_bias(self.init, rng, f, fan_in, dtype)
        self.rng = rng
        return (f, self.oh, self.ow)

    def _crops(self) -> bool:
        return (self.hf, self.wf) != (self.oh, self.ow)

    def forward(self, x, train=False):
        W = self.params["W"]
        f, n = W.shape[1], x.shape[3]
        self._x = x
        full = _scatter(x, W, self.kh, self.kw, self.s, self.d, (f, self.hf, self.wf, n))
        (ph, pw) = self.p
        out = np.ascontiguousarray(full[:, ph : ph + self.oh, pw : pw + self.ow]) if self._crops() else full
        if self.bias:
            out += self.params["b"][:, None, None, None]
        return out

    def backward(self, dout):
        W = self.params["W"]
        c, f = W.shape[0], W.shape[1]
        x = self._x
        n = x.shape[3]
        if self._crops():
            (ph, pw) = self.p
            dfull = np.zeros((f, self.hf, self.wf, n), dout.dtype)
            dfull[:, ph : ph + self.oh, pw : pw + self.ow] = dout
        else:
            dfull = dout
        dcols = fast.im2col(dfull, self.kh, self.kw, x.shape[1], x.shape[2], self.s, self.d)  # (F*kh*kw, H*W*N)
        self.grads["W"] = (x.reshape(c, -1) @ dcols.T).reshape(W.shape)
        if self.bias:
            self.grads["b"] = dout.sum(axis=(1, 2, 3))
        if not self.input_grad:
            return None
        return (W.reshape(c, -1) @ dcols).reshape(x.shape)
