"""Layers: small plain classes with ``forward`` and ``backward``.

Conventions (shared by every layer in the engine):
- Image activations inside the engine are **channel-major with the batch innermost**,
  ``(C, H, W, N)``: the GEMM of a convolution then produces the next layer's input with no
  transpose, and slices copy long contiguous rows (see :mod:`engine.fast`). Vector activations are
  ``(N, D)``. :class:`engine.model.Sequential` takes the usual ``(N, C, H, W)`` and converts once.
- ``forward(x, train)`` caches what ``backward`` needs. ``backward(dout)`` never modifies ``dout``,
  returns ``dx`` and leaves the parameter gradients in ``self.grads`` under the keys of
  ``self.params`` (``"W"``, ``"b"``); a model names them ``"conv1.W"``. Batch norm also keeps
  ``self.buffers`` (its running statistics, PyTorch's buffers): saved with a model, never trained.
- ``build(in_shape, rng, dtype)`` takes the per-sample input shape (``(C, H, W)`` or ``(D,)``),
  creates the parameters from the explicit ``np.random.Generator`` and returns the output shape,
  raising :class:`engine.errors.EngineError` for a configuration that cannot work.
"""

import numpy as np

from . import fast
from .errors import EngineError
from .shapes import (
    check_groups,
    check_padding_mode,
    conv_output_shape,
    padding_by_side,
    pair,
    pool_output_shape,
    resolve_padding,
)


class Layer:
    """Base class. Subclasses set ``type`` (the name used in specs) and override what they need."""

    type = "layer"
    has_randomness = False  # True for layers that draw from ``self.rng`` during training

    def __init__(self, name: str | None = None):
        self.name = name
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.rng: np.random.Generator | None = None

    def build(self, in_shape: tuple, rng: np.random.Generator, dtype=np.float32) -> tuple:
        """Create parameters for a per-sample input shape; return the per-sample output shape."""
        self.rng = rng
        return tuple(in_shape)

    def count_params(self, in_shape: tuple) -> int:
        """The parameters :meth:`build` would create on ``in_shape``, without creating them (0 when
        the layer has none, or the input does not suit it: :meth:`build` explains that)."""
        return 0

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def config(self) -> dict:
        """The constructor arguments, JSON-able (the spec without ``type`` and ``name``)."""
        return {}

    def spec(self) -> dict:
        return {"type": self.type, "name": self.name, **self.config()}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({self.name!r}{', ' if args else ''}{args})"


def _image_shape(layer: Layer, in_shape: tuple) -> tuple[int, int, int]:
    if len(in_shape) != 3:
        raise EngineError(
            "needs_image",
            f"{layer.name}: needs an image input (channels, height, width), "
            f"but its input is a vector of {in_shape[0]} values; put it before the flatten layer",
            layer=layer.name,
            shape=list(in_shape),
        )
    return in_shape


def _positive_int(layer_name: str, what: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise EngineError(
            "bad_setting",
            f"{layer_name}: {what} must be a whole number of at least {minimum}, got {value!r}",
            layer=layer_name,
            setting=what,
            value=value,
            minimum=minimum,
        )
    return value


def _flag(layer_type: str, what: str, value) -> bool:
    """A yes/no setting (a layer's ``bias``): JSON true or false, nothing else."""
    if not isinstance(value, bool):
        raise EngineError(
            "bad_flag",
            f"{layer_type}: {what} must be true or false, got {str(value)[:40]}",
            layer_type=layer_type,
            setting=what,
            value=str(value)[:40],
        )
    return value


class Conv2D(Layer):
    """Convolution (cross-correlation) with ``filters`` kernels of ``kernel`` size.

    forward: x (C, H, W, N) -> (F, OH, OW, N). Parameters: ``W`` (F, C/groups, kh, kw), ``b`` (F,).
    The product runs as ``W (F, C*kh*kw) @ cols (C*kh*kw, OH*OW*N)`` (see :mod:`engine.fast`).
    ``padding``: a number, a pair, per side ``{"top", "bottom", "left", "right"}``, ``"valid"`` or
    ``"same"`` (:func:`engine.shapes.resolve_padding`), kept as given in the spec;
    ``padding_mode``: ``zeros``, ``reflect``, ``replicate`` or ``circular`` (PyTorch's; the gradient
    of a copied border cell goes back to the cell it copies).
    ``groups`` (PyTorch's ``Conv2d(groups=g)``): the input channels and the filters are split into
    ``g`` equal groups and filter group ``i`` sees input channel group ``i`` only, so ``C`` and ``F``
    must both be divisible by ``g``; ``groups == C`` is a depthwise convolution (each filter reads one
    channel). The product is then ``g`` products, one per group (a batched ``np.matmul``).
    ``input_grad = False`` (set by a model on its first layer) skips computing dx.
    """

    type = "conv"

    def __init__(
        self,
        filters: int,
        kernel=3,
        stride=1,
        padding=0,
        dilation=1,
        bias: bool = True,
        init: str = "lecun",
        padding_mode: str = "zeros",
        groups: int = 1,
        name: str | None = None,
    ):
        super().__init__(name)
        self.filters, self.kernel, self.stride, self.padding, self.dilation = filters, kernel, stride, padding, dilation
        self.groups = groups
        self.bias, self.init = _flag("conv", "bias", bias), init
        self.padding_mode = check_padding_mode(padding_mode, (0, 0, 0, 0), 1, 1, "conv: ")
        self.input_grad = True
        self._xp = None  # preallocated zero-padded input, reused while the batch shape stays the same

    def config(self) -> dict:
        return {
            "filters": self.filters,
            "kernel": self.kernel,
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "bias": self.bias,
            "init": self.init,
            "padding_mode": self.padding_mode,
            "groups": self.groups,
        }

    def count_params(self, in_shape):
        if len(in_shape) != 3 or isinstance(self.filters, bool) or not isinstance(self.filters, int):
            return 0
        kh, kw = pair(self.kernel, "kernel")
        groups = (
            self.groups if isinstance(self.groups, int) and not isinstance(self.groups, bool) and self.groups > 0 else 1
        )  # (a bad groups value: build explains it)
        return max(self.filters, 0) * (in_shape[0] // groups * kh * kw + int(self.bias))

    def build(self, in_shape, rng, dtype=np.float32):
        from .init import initialise, initialise_bias

        c, h, w = _image_shape(self, in_shape)
        where = f"{self.name}: "
        f = _positive_int(self.name, "the number of filters", self.filters)
        g = self.g = check_groups(self.name, self.groups, c, f)
        self.kh, self.kw = pair(self.kernel, "kernel")
        self.s, self.d = pair(self.stride, "stride"), pair(self.dilation, "dilation")
        self.sides = resolve_padding(self.padding, (self.kh, self.kw), self.s, self.d, where)
        self.oh, self.ow = conv_output_shape(
            h, w, self.kh, self.kw, padding_by_side(self.sides), self.s, self.d, where=where
        )
        check_padding_mode(self.padding_mode, self.sides, h, w, where)
        # PyTorch's fans, read from the weight's shape (F, C/g, kh, kw)
        fan_in, fan_out = c // g * self.kh * self.kw, f * self.kh * self.kw
        self.params = {"W": initialise(self.init, rng, (f, c // g, self.kh, self.kw), fan_in, fan_out, dtype)}
        if self.bias:
            self.params["b"] = initialise_bias(self.init, rng, f, fan_in, dtype)
        self.rng = rng
        return (f, self.oh, self.ow)

    def _padded(self, x):
        top, bottom, left, right = self.sides
        if self.padding_mode != "zeros" or not any(self.sides):
            return fast.pad_conv(x, self.sides, self.padding_mode)
        c, h, w, n = x.shape
        shape = (c, h + top + bottom, w + left + right, n)
        if self._xp is None or self._xp.shape != shape or self._xp.dtype != x.dtype:
            self._xp = np.zeros(shape, x.dtype)
        return fast.pad_conv(x, self.sides, out=self._xp)

    def forward(self, x, train=False):
        W = self.params["W"]
        f, n = W.shape[0], x.shape[3]
        xp = self._padded(x)
        self._xp_shape = xp.shape
        self._cols = fast.im2col(xp, self.kh, self.kw, self.oh, self.ow, self.s, self.d)
        out = fast.grouped_matmul(W.reshape(f, -1), self._cols, self.g)
        if self.bias:
            out += self.params["b"][:, None]
        return out.reshape(f, self.oh, self.ow, n)

    def backward(self, dout):
        W = self.params["W"]
        f = W.shape[0]
        d = dout.reshape(f, -1)
        g = self.g
        if g == 1:
            # (cols @ d.T).T is the same product as d @ cols.T, and markedly faster in OpenBLAS here.
            self.grads["W"] = (self._cols @ d.T).T.reshape(W.shape)
        else:  # per group: d_i (F/g, L) @ cols_i.T (L, C/g*kh*kw)
            cols = self._cols.reshape(g, -1, self._cols.shape[1])
            self.grads["W"] = np.matmul(d.reshape(g, f // g, -1), cols.transpose(0, 2, 1)).reshape(W.shape)
        if self.bias:
            self.grads["b"] = d.sum(axis=1)
        if not self.input_grad:
            return None
        if g == 1:
            dcols = W.reshape(f, -1).T @ d
        else:  # per group: W_i.T (C/g*kh*kw, F/g) @ d_i (F/g, L), stacked in the rows' (c, m, k) order
            dcols = np.matmul(W.reshape(g, f // g, -1).transpose(0, 2, 1), d.reshape(g, f // g, -1))
            dcols = dcols.reshape(-1, d.shape[1])
        dxp = fast.col2im(dcols, self._xp_shape, self.kh, self.kw, self.oh, self.ow, self.s, self.d)
        return fast.unpad_conv(dxp, self.sides, self.padding_mode)


class _Pool2D(Layer):
    """Shared set-up of the pooling layers: x (C, H, W, N) -> (C, OH, OW, N).

    ``ceil_mode`` (PyTorch's): round the output size up, keeping a last partial window that starts
    inside the input or its left (top) padding; the part of it past the padded input is filled
    with the padding value and neither read nor counted."""

    pad_value = 0.0

    def __init__(self, size=2, stride=None, padding=0, ceil_mode: bool = False, name: str | None = None):
        super().__init__(name)
        self.size, self.stride, self.padding = size, stride, padding
        self.ceil_mode = _flag(self.type, "ceil_mode", ceil_mode)
        self._xp = None

    def config(self) -> dict:
        return {"size": self.size, "stride": self.stride, "padding": self.padding, "ceil_mode": self.ceil_mode}

    def build(self, in_shape, rng, dtype=np.float32):
        c, h, w = _image_shape(self, in_shape)
        self.kh, self.kw = pair(self.size, "size")
        self.s = pair(self.size if self.stride is None else self.stride, "stride")
        self.p = pair(self.padding, "padding")
        self.oh, self.ow = pool_output_shape(
            h, w, self.size, self.s, self.p, where=f"{self.name}: ", ceil_mode=self.ceil_mode
        )
        self.extra = fast.pool_overhang(h, w, self.kh, self.kw, self.oh, self.ow, self.s, self.p)
        self.tiles = fast.tiles(self.kh, self.kw, self.s, self.p, (c, h, w), self.oh, self.ow)
        self.rng = rng
        return (c, self.oh, self.ow)

    def _views(self, x):
        (ph, pw) = self.p
        if ph or pw or any(self.extra):
            shape = fast.padded_shape(x.shape, ph, pw, self.extra)
            if self._xp is None or self._xp.shape != shape or self._xp.dtype != x.dtype:
                self._xp = np.full(shape, self.pad_value, x.dtype)
            x = fast.pad(x, ph, pw, out=self._xp, extra=self.extra)
        self._xp_shape = x.shape
        return fast.pool_views(x, self.kh, self.kw, self.oh, self.ow, self.s)

    def _grad_views(self, dtype):
        """A gradient buffer for the padded input and its window views. When the windows tile the
        input, each view is written once, so the buffer needs no zeroing."""
        dxp = (np.empty if self.tiles else np.zeros)(self._xp_shape, dtype)
        return dxp, fast.pool_views(dxp, self.kh, self.kw, self.oh, self.ow, self.s)

    def _crop(self, dxp):
        return fast.crop(dxp, *self.p, extra=self.extra)


class MaxPool2D(_Pool2D):
    """Max pooling; padding cells hold -infinity. The gradient goes to the first maximum of each window."""

    type = "maxpool"
    pad_value = -np.inf

    def forward(self, x, train=False):
        views = self._views(x)
        out = fast.max_pool(views)
        self._views_cache, self._out = views, out
        return out

    def backward(self, dout):
        dxp, dviews = self._grad_views(dout.dtype)
        for dv, hit in zip(dviews, fast.max_pool_routes(self._views_cache, self._out)):
            if self.tiles:
                np.multiply(dout, hit, out=dv)
            else:
                dv += dout * hit
        return self._crop(dxp)


class AvgPool2D(_Pool2D):
    """Average pooling; padding cells count as zeros. Each window divides by its cells inside the
    padded input (``count_include_pad``, PyTorch's default: the window size, except for a ceil_mode
    window cut at the edge) or by its cells inside the input only."""

    type = "avgpool"

    def __init__(
        self,
        size=2,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        name: str | None = None,
    ):
        super().__init__(size, stride, padding, ceil_mode, name)
        self.count_include_pad = _flag(self.type, "count_include_pad", count_include_pad)

    def config(self) -> dict:
        return {**super().config(), "count_include_pad": self.count_include_pad}

    def build(self, in_shape, rng, dtype=np.float32):
        out = super().build(in_shape, rng, dtype)
        divisor = fast.avg_pool_divisor(
            in_shape[1], in_shape[2], self.kh, self.kw, self.oh, self.ow, self.s, self.p, self.count_include_pad
        )
        self.scale = (1.0 / divisor) if np.isscalar(divisor) else (1.0 / divisor).astype(dtype)
        return out

    def forward(self, x, train=False):
        views = self._views(x)
        out = views[0].copy()
        for v in views[1:]:
            out += v
        out *= self.scale
        return out

    def backward(self, dout):
        dxp, dviews = self._grad_views(dout.dtype)
        share = dout * self.scale
        for dv in dviews:
            if self.tiles:
                dv[...] = share
            else:
                dv += share
        return self._crop(dxp)


class Flatten(Layer):
    """(C, H, W, N) -> (N, C*H*W), in the (c, h, w) order of a usual (N, C, H, W) flatten.

    The result is a transposed view (no copy): the next dense layer's GEMM reads it as it is."""

    type = "flatten"

    def build(self, in_shape, rng, dtype=np.float32):
        self.rng = rng
        return (int(np.prod(in_shape)),)

    def forward(self, x, train=False):
        self._shape = x.shape
        if x.ndim == 2:
            return x
        return x.reshape(-1, x.shape[3]).T

    def backward(self, dout):
        if len(self._shape) == 2:
            return dout
        return np.ascontiguousarray(dout.T).reshape(self._shape)


class Dense(Layer):
    """Fully connected: x (N, D) -> x @ W + b, (N, units). Parameters ``W`` (D, units), ``b`` (units,)."""

    type = "dense"

    def __init__(self, units: int, bias: bool = True, init: str = "lecun", name: str | None = None):
        super().__init__(name)
        self.units, self.bias, self.init = units, _flag("dense", "bias", bias), init
        self.input_grad = True

    def config(self) -> dict:
        return {"units": self.units, "bias": self.bias, "init": self.init}

    def count_params(self, in_shape):
        if len(in_shape) != 1 or isinstance(self.units, bool) or not isinstance(self.units, int):
            return 0
        return (in_shape[0] + int(self.bias)) * max(self.units, 0)

    def build(self, in_shape, rng, dtype=np.float32):
        from .init import initialise, initialise_bias

        if len(in_shape) != 1:
            raise EngineError(
                "needs_vector",
                f"{self.name}: a dense layer needs a vector input, but its input is "
                f"{'x'.join(map(str, in_shape))}; put a flatten layer before it",
                layer=self.name,
                shape=list(in_shape),
            )
        units = _positive_int(self.name, "the number of units", self.units)
        self.params = {"W": initialise(self.init, rng, (in_shape[0], units), in_shape[0], units, dtype)}
        if self.bias:
            self.params["b"] = initialise_bias(self.init, rng, units, in_shape[0], dtype)
        self.rng = rng
        return (units,)

    def forward(self, x, train=False):
        self._x = x
        out = x @ self.params["W"]
        if self.bias:
            out += self.params["b"]
        return out

    def backward(self, dout):
        self.grads["W"] = self._x.T @ dout
        if self.bias:
            self.grads["b"] = dout.sum(axis=0)
        return dout @ self.params["W"].T if self.input_grad else None


class Dropout(Layer):
    """Inverted dropout: in training each value is dropped with probability ``p`` and the kept ones
    are scaled by 1/(1-p), so evaluation is the identity (the notes' test-time (1-p) scaling, moved)."""

    type = "dropout"
    has_randomness = True

    def __init__(self, p: float = 0.5, name: str | None = None):
        super().__init__(name)
        self.p = p

    def config(self) -> dict:
        return {"p": self.p}

    def build(self, in_shape, rng, dtype=np.float32):
        if isinstance(self.p, bool) or not isinstance(self.p, (int, float)) or not 0 <= self.p < 1:
            raise EngineError(
                "bad_dropout",
                f"{self.name}: the dropout probability must be in [0, 1), got {self.p!r}",
                layer=self.name,
                p=self.p,
            )
        self.rng = rng
        return tuple(in_shape)

    def forward(self, x, train=False):
        if not train or self.p == 0:
            self._mask = None
            return x
        self._mask = (self.rng.random(x.shape, dtype=np.float32) >= self.p).astype(x.dtype) * (1.0 / (1.0 - self.p))
        return x * self._mask

    def backward(self, dout):
        return dout if self._mask is None else dout * self._mask


class _BatchNorm(Layer):
    """Batch normalisation (Ioffe and Szegedy, 2015), PyTorch's ``BatchNorm2d`` / ``BatchNorm1d``.

    Per channel ``c``: ``y = (x - mean) / sqrt(var + eps) * W[c] + b[c]``.

    - training (``forward(x, train=True)``): ``mean`` and ``var`` are the batch's, over every value
      of the channel (the batch, and the rows and columns of a map), ``var`` the *biased* variance
      (divided by the count M); then the running statistics move towards the batch's:
      ``running = (1 - momentum) * running + momentum * batch``, with the *unbiased* variance
      (divided by M - 1) for ``running_var``. ``momentum=None`` averages all batches so far equally
      (PyTorch's cumulative average, using ``num_batches_tracked``). A channel with a single value
      (M = 1) has no variance: EngineError ``batchnorm_single_value``, as PyTorch refuses it.
    - evaluation (``train=False``, every prediction and evaluation): ``mean`` and ``var`` are the
      running statistics, which start at 0 and 1.

    Parameters (``affine=True``): ``W`` (C,) is PyTorch's ``weight`` (gamma, starts at 1) and ``b``
    (C,) its ``bias`` (beta, starts at 0), named like every other layer's. The running statistics are
    not parameters (the optimizer never sees them): they are :attr:`buffers` ``running_mean``,
    ``running_var`` and ``num_batches_tracked``, as PyTorch names them, saved with the model.
    Backward in training goes through the batch statistics:
    ``dx = (1/M) / sqrt(var + eps) * (M * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat))`` with
    ``dxhat = dout * W``; in evaluation the statistics are constants: ``dx = dout * W / sqrt(running_var + eps)``.
    """

    def __init__(self, momentum: float | None = 0.1, eps: float = 1e-5, affine: bool = True, name: str | None = None):
        super().__init__(name)
        self.momentum, self.eps, self.affine = momentum, eps, _flag(self.type, "affine", affine)
        self.buffers: dict[str, np.ndarray] = {}

    def config(self) -> dict:
        return {"momentum": self.momentum, "eps": self.eps, "affine": self.affine}

    def _channels(self, in_shape) -> int:
        raise NotImplementedError

    def count_params(self, in_shape):
        if not self.affine:
            return 0
        try:
            return 2 * self._channels(tuple(in_shape))
        except EngineError:  # (build explains it)
            return 0

    def build(self, in_shape, rng, dtype=np.float32):
        c = self._channels(tuple(in_shape))
        m = self.momentum
        if m is not None and (isinstance(m, bool) or not isinstance(m, (int, float)) or not 0 <= m <= 1):
            raise EngineError(
                "bad_momentum",
                f"{self.name}: the batch-norm momentum must be a number from 0 to 1 "
                f"(or null for a cumulative average), got {str(m)[:40]}",
                layer=self.name,
                value=str(m)[:40],
            )
        e = self.eps
        if isinstance(e, bool) or not isinstance(e, (int, float)) or not 0 < e < float("inf"):
            raise EngineError(
                "bad_eps",
                f"{self.name}: eps must be a number above 0, got {str(e)[:40]}",
                layer=self.name,
                value=str(e)[:40],
            )
        self.params = {"W": np.ones(c, dtype), "b": np.zeros(c, dtype)} if self.affine else {}
        self.buffers = {
            "running_mean": np.zeros(c, dtype),
            "running_var": np.ones(c, dtype),
            "num_batches_tracked": np.zeros((), np.int64),
        }
        self.rng = rng
        return tuple(in_shape)

    # (C, H, W, N) maps: statistics over axes (1, 2, 3), a channel's values broadcast as (C, 1, 1, 1);
    # (N, D) vectors: over axis 0, broadcast as (D,).
    def _shaped(self, v: np.ndarray, ndim: int) -> np.ndarray:
        return v.reshape((-1,) + (1,) * (ndim - 1)) if ndim == 4 else v

    def forward(self, x, train=False):
        axes = (1, 2, 3) if x.ndim == 4 else (0,)
        count = x.size // x.shape[0 if x.ndim == 4 else 1]  # values per channel: M
        self._train = train
        if train:
            if count < 2:
                raise EngineError(
                    "batchnorm_single_value",
                    f"{self.name}: batch normalisation needs more than one "
                    f"value per channel when training, got {count} (a batch of {x.shape[-1 if x.ndim == 4 else 0]}"
                    f" of {'1x1 maps' if x.ndim == 4 else 'vectors'}); train with a batch of 2 or more",
                    layer=self.name,
                    batch=int(x.shape[-1 if x.ndim == 4 else 0]),
                )
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)  # biased: divided by M
            self._update_running(mean, var, count)
        else:
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype)
        xhat = x - self._shaped(mean.astype(x.dtype), x.ndim)
        xhat *= self._shaped(inv_std, x.ndim)
        self._xhat, self._inv_std, self._count = xhat, inv_std, count
        if not self.affine:
            return xhat.copy()
        return xhat * self._shaped(self.params["W"], x.ndim) + self._shaped(self.params["b"], x.ndim)

    def _update_running(self, mean, var, count):
        tracked = self.buffers["num_batches_tracked"]
        tracked += 1
        m = (1.0 / float(tracked)) if self.momentum is None else float(self.momentum)
        unbiased = var * (count / (count - 1))
        for key, batch in (("running_mean", mean), ("running_var", unbiased)):
            running = self.buffers[key]
            running[...] = (1.0 - m) * running + m * batch

    def backward(self, dout):
        ndim = dout.ndim
        axes = (1, 2, 3) if ndim == 4 else (0,)
        xhat = self._xhat
        if self.affine:
            self.grads["W"] = (dout * xhat).sum(axis=axes)
            self.grads["b"] = dout.sum(axis=axes)
            dxhat = dout * self._shaped(self.params["W"], ndim)
        else:
            dxhat = dout
        inv_std = self._shaped(self._inv_std, ndim)
        if not self._train:  # the running statistics are constants
            return dxhat * inv_std
        m = self._count
        sum_d = self._shaped(dxhat.sum(axis=axes), ndim)
        sum_dx = self._shaped((dxhat * xhat).sum(axis=axes), ndim)
        dx = dxhat * m
        dx -= sum_d
        dx -= xhat * sum_dx
        dx *= inv_std / m
        return dx


class BatchNorm2D(_BatchNorm):
    """Batch normalisation of (C, H, W) maps, per channel over the batch, rows and columns (PyTorch's
    ``BatchNorm2d``): x (C, H, W, N) -> (C, H, W, N). See :class:`_BatchNorm`."""

    type = "batchnorm2d"

    def _channels(self, in_shape):
        return _image_shape(self, in_shape)[0]


class BatchNorm1D(_BatchNorm):
    """Batch normalisation of (D,) vectors, per feature over the batch (PyTorch's ``BatchNorm1d`` on
    (N, D)): x (N, D) -> (N, D). See :class:`_BatchNorm`."""

    type = "batchnorm1d"

    def _channels(self, in_shape):
        if len(in_shape) != 1:
            raise EngineError(
                "batchnorm1d_needs_vector",
                f"{self.name}: batchnorm1d normalises vectors, but its "
                f"input is {'x'.join(map(str, in_shape))}; use batchnorm2d on maps, or put it after "
                "the flatten layer",
                layer=self.name,
                shape=list(in_shape),
            )
        return in_shape[0]


LAYER_TYPES = {
    cls.type: cls for cls in (Conv2D, MaxPool2D, AvgPool2D, Flatten, Dense, Dropout, BatchNorm2D, BatchNorm1D)
}
