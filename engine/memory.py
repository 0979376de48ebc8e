"""How much memory a network needs: an estimate of the peak of a training step and of an evaluation.

:func:`estimate` walks the layers in the order the model runs them and adds up what the engine
really allocates (read from :mod:`engine.layers`, :mod:`engine.fast`, :mod:`engine.activations`,
:mod:`engine.optim` and :mod:`engine.train`), in bytes of the model's dtype (float32: 4):

- **parameters**, and for training their **gradients** (one copy; a second one builds up during
  backward, since the training loop still holds the previous step's), the optimizer's **state**
  (SGD none, momentum and Nesterov the velocity ``v``, Adam the moments ``m`` and ``v``) and its
  scratch buffer (one copy per parameter, every optimizer);
- every layer's **forward cache**, which stays allocated until the next forward pass replaces it:
  a convolution's im2col columns ``(C*kh*kw, OH*OW*N)`` and its zero-padded input ``(C, Hp, Wp, N)``,
  a pooling layer's padded input, max-pooling's output, a dropout mask, a ReLU's output, a dense
  layer's input...; an activation is counted once however many layers keep it (a flatten is a view);
- the **input batch** twice (normalised ``(N, C, H, W)``, then its ``(C, H, W, N)`` copy), the
  logits and the loss's probabilities;
- the largest **transient**: at each layer of the forward pass, its input and the new arrays it
  makes while its previous cache is still alive; at each layer of the backward pass, the incoming
  gradient, the layer's temporaries (the column gradient and padded input gradient of a
  convolution, pooling's routing masks) and the new parameter gradients. The peak is the cache
  plateau plus the largest of these.

Activations are laid out ``(C, H, W, N)``, so every term is the per-image size times the batch N.
The evaluation figure is for a model with no training state (``evaluate`` over ``eval_samples``
test images in batches of ``eval_batch_size``), including the ``(samples, classes)`` probabilities
it returns. The dataset itself is not counted; a fixed :data:`ALLOWANCE` covers the interpreter's
own objects and the small arrays of a step.
A branches layer adds up its paths (see :func:`_branches_cost`).
Convolution (grouped too: the same columns, a smaller weight), transposed convolution, pooling, dense,
flatten, dropout, batch norm and ReLU are counted array by array (a test holds the
estimate to within 1.5x of tracemalloc's measured peak); the other activations' temporaries are
counted from their code and may be a little high.
"""

from dataclasses import dataclass, field

import numpy as np

from .errors import EngineError
from .layers import (
    AvgPool2D,
    BatchNorm1D,
    BatchNorm2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
)
from .optim import OPTIMIZERS

#: Per-parameter arrays each optimizer keeps besides the parameter: its state plus one scratch buffer.
OPTIMIZER_COPIES = {"sgd": 0 + 1, "momentum": 1 + 1, "nesterov": 1 + 1, "adam": 2 + 1}
assert set(OPTIMIZER_COPIES) == set(OPTIMIZERS)
#: The interpreter's own objects during a step (events, dicts, index arrays, the loss's small arrays):
#: measured with tracemalloc at 10 to 150 KB for the presets.
ALLOWANCE = 256 * 1024

# Element-wise activations, in bytes per output value for float32 (bool masks are 1 byte):
# (own cache, keeps its input, keeps its output, new bytes in forward, bytes in backward incl. dx).
_ACTIVATIONS = {
    "relu": (0, False, True, 4, 4 + 1),
    "sigmoid": (0, False, True, 5 * 4 + 1, 3 * 4),
    "tanh": (0, False, True, 4, 3 * 4),
    "leaky_relu": (1, False, False, 1 + 2 * 4, 2 * 4),
    "prelu": (1, True, False, 1 + 2 * 4, 4 * 4),
    "rrelu": (4, False, False, 4 + 1 + 2 * 4, 4),
    "elu": (1, False, True, 2 + 4 * 4, 3 * 4),
    "softplus": (0, True, False, 4, 6 * 4 + 1),
    "gelu": (4, True, False, 14 * 4, 8 * 4),  # exact: erf in float64, Phi kept for backward
    "gelu_tanh": (0, True, False, 6 * 4, 8 * 4),
    "silu": (0, True, False, 6 * 4 + 1, 8 * 4),
}


@dataclass
class MemoryEstimate:
    """Peak bytes of a training step and of an evaluation, and each layer's share of the plateau.

    ``layers``: one dict per layer in the model's declared order, ``{"name", "train_bytes",
    "eval_bytes"}``: what the layer holds between steps (parameters with their gradients and
    optimizer state in training, its cache, the activations it keeps). The totals add the input
    batch, the logits and the largest transient to these.
    """

    train_bytes: int
    eval_bytes: int
    batch_size: int
    eval_batch_size: int
    layers: list[dict] = field(default_factory=list)

    @property
    def peak_bytes(self) -> int:
        """The larger of the two: what a run needs."""
        return max(self.train_bytes, self.eval_bytes)


@dataclass
class _Cost:
    cache: int = 0  # the layer's own buffers, kept until the next forward pass
    keeps_input: bool = False  # the cache references the input array (a view or the array itself)
    keeps_output: bool = False  # ... or the output array
    alias: bool = False  # the output is a view of the input (no new array)
    forward: int = 0  # new bytes during forward while the previous cache is still alive
    backward: int = 0  # bytes during backward besides the incoming gradient (incl. dx)
    dx: int = 0  # the bytes of the gradient it returns (the next one's incoming)
    cropped_dx: bool = False  # dx is a view into a padded array (not contiguous)
    reshapes_dout: int = 0  # bytes of the copy reshaping a non-contiguous incoming gradient makes


def _cost(layer, in_shape: tuple, out_shape: tuple, n: int, item: int, train: bool) -> _Cost:
    """What one layer allocates for a batch of ``n`` (see the module docstring)."""
    a, b = n * int(np.prod(in_shape)) * item, n * int(np.prod(out_shape)) * item
    values = n * int(np.prod(out_shape))
    input_grad = getattr(layer, "input_grad", True)
    if isinstance(layer, Conv2D):
        c, h, w = in_shape
        top, bottom, left, right = layer.sides
        padded = c * (h + top + bottom) * (w + left + right) * n * item
        cols = c * layer.kh * layer.kw * layer.oh * layer.ow * n * item
        weight = layer.params["W"].nbytes
        pads = any(layer.sides)
        # backward: the weight gradient is made twice ((cols @ d.T).T.reshape copies; the kept copy is
        # counted with the new gradients), then for the input gradient the column gradient and a
        # zeroed padded input gradient (col2im). A reflect, replicate or circular border is folded
        # back onto the input in a new array (about the input's size), not cropped as a view.
        folds = pads and layer.padding_mode != "zeros"
        back = weight + ((cols + padded + (a if folds else 0)) if input_grad else 0)
        return _Cost(
            cache=cols + (padded if pads else 0),
            forward=max(cols, b),
            backward=back,
            dx=(a if folds else padded) if input_grad else 0,
            cropped_dx=pads and not folds,
            reshapes_dout=b,
        )
    if layer.type == "conv_transpose":
        c, h, w = in_shape
        f = out_shape[0]
        cols = f * layer.kh * layer.kw * h * w * n * item  # W^T @ x, one column per input cell
        full = f * layer.hf * layer.wf * n * item  # the scatter before the crop (col2im)
        crops = (layer.hf, layer.wf) != (layer.oh, layer.ow)
        weight = layer.params["W"].nbytes
        # forward keeps its input (for dW); backward pads the gradient back to the scatter (when it
        # crops), makes the column gradient (im2col), the weight gradient and dx.
        return _Cost(
            keeps_input=True,
            forward=cols + full + (b if crops else 0),
            backward=(full if crops else 0) + cols + weight + (a if input_grad else 0),
            dx=a if input_grad else 0,
        )
    if isinstance(layer, (MaxPool2D, AvgPool2D)):
        c, h, w = in_shape
        (ph, pw), (eh, ew) = layer.p, layer.extra  # (extra: a ceil_mode window past the padding)
        padded = c * (h + 2 * ph + eh) * (w + 2 * pw + ew) * n * item
        buffer = padded if ph or pw or eh or ew else 0
        if isinstance(layer, MaxPool2D):
            # backward: the padded input gradient, two routing masks, the "taken" mask and its
            # negation (bool, one byte a value); a float product per view unless the windows tile.
            back = padded + 4 * values + (0 if layer.tiles else b)
            return _Cost(
                cache=buffer,
                keeps_input=not buffer,
                keeps_output=True,
                forward=b,
                backward=back,
                dx=padded,
                cropped_dx=bool(buffer),
            )
        return _Cost(cache=buffer, forward=b, backward=padded + b, dx=padded, cropped_dx=bool(buffer))
    if isinstance(layer, Flatten):
        vector_in = len(in_shape) == 1
        return _Cost(alias=True, backward=0 if vector_in else a, dx=a)
    if isinstance(layer, Dense):
        # forward keeps its input; backward makes the weight gradient (counted with the new
        # gradients) and, when asked, dx (N, D)
        return _Cost(keeps_input=True, forward=b, backward=a if input_grad else 0, dx=a if input_grad else 0)
    if isinstance(layer, Dropout):
        if not train or layer.p == 0:
            return _Cost(alias=True, dx=a)
        # the mask: random floats, a comparison, a cast and a scaling; then x * mask
        return _Cost(cache=a, forward=2 * a, backward=a, dx=a)
    if isinstance(layer, (BatchNorm1D, BatchNorm2D)):
        # forward keeps the normalised input xhat; x.var's two temporaries come and go first, then
        # xhat, xhat * W and the output (+ b); backward: dout * W, dx, and one product at a time
        # (dout * xhat, dxhat * xhat, xhat * sum) alongside them
        return _Cost(cache=a, forward=3 * a if layer.affine else 2 * a, backward=3 * a, dx=a)
    if layer.type == "maxout":
        k = layer.k
        # argmax indices (int64) kept; take_along_axis gathers through an index array; backward
        # scatters into a zeroed input-sized gradient.
        return _Cost(cache=8 * values, forward=8 * values + 8 * values + b, backward=a + 8 * values, dx=k * b)
    if layer.type in _ACTIVATIONS:
        kind = "gelu_tanh" if layer.type == "gelu" and layer.approximate == "tanh" else layer.type
        cache, keeps_in, keeps_out, forward, backward = _ACTIVATIONS[kind]
        scale = item / 4
        if layer.type == "rrelu" and not train:
            forward -= 4  # no random slopes in evaluation
        return _Cost(
            cache=int(cache * values * scale),
            keeps_input=keeps_in,
            keeps_output=keeps_out,
            forward=int(forward * values * scale),
            backward=int(backward * values * scale),
            dx=b,
        )
    if layer.type == "branches":
        return _branches_cost(layer, a, b, n, item, train)
    raise EngineError(
        "unknown_layer",
        f"{layer.name}: no memory estimate for a {layer.type!r} layer",
        layer=str(layer.name),
        layer_type=str(layer.type),
        known=[],
    )


def _path_cost(path, in_shape: tuple, shapes: list, n: int, item: int, train: bool) -> tuple:
    """One path of a branches layer, run from the branch's input (already counted by the caller):
    (plateau bytes it holds, whether it keeps the branch's input, the largest forward transient, the
    bytes of its output (0 for the identity), the largest backward transient besides the incoming
    gradient)."""
    kept, keeps_in, cache, fwd, bwd = 0, False, 0, 0, 0
    current, current_bytes, current_kept = None, 0, False  # None: the branch's input
    costs, shape = [], in_shape
    for layer, out_shape in zip(path, shapes):
        cost = _cost(layer, shape, out_shape, n, item, train)
        costs.append(cost)
        fwd = max(fwd, (0 if current_kept or current is None else current_bytes) + cost.forward)
        cache += cost.cache
        if cost.keeps_input:
            keeps_in |= current is None
            if current is not None and not current_kept:
                kept, current_kept = kept + current_bytes, True
        if not cost.alias:
            current, current_bytes, current_kept = layer, n * int(np.prod(out_shape)) * item, False
        if cost.keeps_output and current is not None and not current_kept:
            kept, current_kept = kept + current_bytes, True
        shape = out_shape
    incoming = 0
    for cost in reversed(costs):
        bwd = max(bwd, incoming + cost.backward)
        incoming = cost.dx
    out_bytes = current_bytes if current is not None and not current_kept else 0
    return cache + kept, keeps_in, fwd, out_bytes, bwd


def _branches_cost(layer, a: int, b: int, n: int, item: int, train: bool) -> _Cost:
    """A branches layer: every path's caches and kept activations; in forward, the outputs of the
    paths run so far (alive until the merge) with the running path's transient, then all of them
    with the merged output; in backward, the running sum of the input gradient (a) with the
    largest path's transient and the gradient it returns."""
    cache, keeps_in, fwd, done, bwd = 0, False, 0, 0, 0
    for path, shapes in zip(layer.paths, layer.shapes):
        p_cache, p_keeps, p_fwd, p_out, p_bwd = _path_cost(path, layer.in_shape, shapes, n, item, train)
        cache += p_cache
        keeps_in |= p_keeps
        fwd = max(fwd, done + p_fwd)
        done += p_out
        bwd = max(bwd, p_bwd + a)
    return _Cost(cache=cache, keeps_input=keeps_in, forward=max(fwd, done + b), backward=bwd + a, dx=a)


def _run_order(model) -> list[tuple]:
    """(layer, input shape, output shape) in the order the model runs its layers (a ReLU before a
    max-pool runs after it; see ``Sequential._plan``)."""
    declared = {id(layer): i for i, layer in enumerate(model.layers)}
    out, shape = [], tuple(model.input_shape)
    for layer in model._order:  # the engine's own run order
        i = declared[id(layer)]
        new = shape if layer.type in (*_ACTIVATIONS, "dropout") else model.shapes[i]  # element-wise: same shape
        out.append((layer, shape, tuple(new)))
        shape = tuple(new)
    return out


def _pass(model, n: int, train: bool) -> tuple[int, dict, int, int]:
    """One forward (and, in training, backward) pass of a batch of ``n``.

    Returns (plateau bytes besides parameters, per-layer plateau share, the largest forward
    transient, the largest backward transient)."""
    item = model.dtype.itemsize
    steps = _run_order(model)
    shares = {layer.name: 0 for layer, _, _ in steps}
    first_in = n * int(np.prod(model.input_shape)) * item
    # Tensors are numbered as the forward pass makes them; a kept tensor is counted once.
    sizes, kept = {0: first_in}, {}
    current, fwd_peak, costs = 0, 0, []
    for layer, in_shape, out_shape in steps:
        cost = _cost(layer, in_shape, out_shape, n, item, train)
        costs.append((layer, cost, in_shape, out_shape))
        incoming = 0 if current in kept else sizes[current]  # already counted if an earlier layer keeps it
        fwd_peak = max(fwd_peak, incoming + cost.forward)
        shares[layer.name] += cost.cache
        if cost.keeps_input and current not in kept:
            kept[current] = layer.name
        if not cost.alias:
            sizes[len(sizes)] = n * int(np.prod(out_shape)) * item
            current = len(sizes) - 1
        if cost.keeps_output and current not in kept:
            kept[current] = layer.name
    for tensor, owner in kept.items():
        shares[owner] += sizes[tensor]
    logits = n * int(np.prod(steps[-1][2])) * item
    plateau = sum(shares.values()) + 2 * logits  # the logits and the loss's probabilities
    bwd_peak = 0
    if train:
        incoming, cropped, new_grads = logits, False, 0  # d(loss)/d(logits)
        for layer, cost, _, _ in reversed(costs):
            new_grads += sum(p.nbytes for p in layer.params.values())
            copy = cost.reshapes_dout if cropped else 0  # a cropped gradient is copied to be reshaped
            bwd_peak = max(bwd_peak, incoming + copy + cost.backward + new_grads)
            if not cost.dx:
                break  # the first weighted layer returns no input gradient: backward ends there
            incoming, cropped = cost.dx, cost.cropped_dx
    return plateau, shares, fwd_peak + first_in, bwd_peak  # (+ first_in: the normalised input copy)


def estimate(
    model, batch_size: int, optimizer: str = "momentum", eval_batch_size: int | None = None, eval_samples: int = 10_000
) -> MemoryEstimate:
    """Peak bytes of one training step of ``model`` (a built :class:`engine.model.Sequential`) at
    ``batch_size`` with ``optimizer``, and of an evaluation of ``eval_samples`` images in batches of
    ``eval_batch_size`` (default: ``batch_size``, as :func:`engine.train.train` evaluates).
    See the module docstring for what is counted. Raises EngineError for an unknown optimizer or a
    batch size that is not a whole number of at least 1."""
    for value in (batch_size, eval_batch_size if eval_batch_size is not None else 1, eval_samples):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise EngineError(
                "bad_batch_size",
                f"the batch size must be a whole number of at least 1, got {str(value)[:40]}",
                value=str(value)[:40],
            )
    if optimizer not in OPTIMIZER_COPIES:
        raise EngineError(
            "unknown_optimizer",
            f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}",
            optimizer=str(optimizer),
            known=list(OPTIMIZERS),
        )
    eval_n = min(eval_batch_size or batch_size, eval_samples)
    param_bytes = {layer.name: sum(p.nbytes for p in layer.params.values()) for layer in model.layers}
    # parameters, their gradients, the optimizer's state and scratch
    training_copies = 2 + OPTIMIZER_COPIES[optimizer]

    plateau, train_shares, fwd, bwd = _pass(model, batch_size, train=True)
    train_bytes = sum(param_bytes.values()) * training_copies + plateau + max(fwd, bwd) + ALLOWANCE

    eval_plateau, eval_shares, eval_fwd, _ = _pass(model, eval_n, train=False)
    classes = int(np.prod(model.output_shape))
    # evaluate() keeps every batch's probabilities, joins them, then compares int64 predictions
    results = 2 * eval_samples * classes * model.dtype.itemsize + 9 * eval_samples
    eval_bytes = sum(param_bytes.values()) + eval_plateau + eval_fwd + results + ALLOWANCE

    rows = [
        {
            "name": layer.name,
            "train_bytes": param_bytes[layer.name] * training_copies + train_shares[layer.name],
            "eval_bytes": param_bytes[layer.name] + eval_shares[layer.name],
        }
        for layer in model.layers
    ]
    return MemoryEstimate(int(train_bytes), int(eval_bytes), int(batch_size), int(eval_n), rows)
