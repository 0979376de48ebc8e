"""Padding per side, "same" and the padding modes against PyTorch, on random convolutions (issue 10, item 2).

Run with a Python that has PyTorch (torch stays out of the playground's dependencies; the engine
needs only NumPy):

    /tmp/torchvenv/bin/python benchmarks/torch_padding.py --cases 600

Each case draws a kernel, dilation, input size, padding mode (zeros, reflect, replicate, circular)
and a padding: ``"same"`` (stride 1), a pair, or per side (PyTorch's Conv2d has no per-side padding:
there the input goes through ``F.pad(x, (left, right, top, bottom), mode)`` first). The engine's
fast path and its Conv2D layer (forward, then backward for a random output gradient) run the same
case in float64. Printed: how many cases both ran, how many both refused (they must agree: the
engine refuses a case exactly when PyTorch raises), and the largest difference of the outputs and
of the gradients (input and weights).
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import fast  # noqa: E402
from engine.errors import EngineError  # noqa: E402
from engine.layers import Conv2D  # noqa: E402
from engine.shapes import PADDING_MODES, resolve_padding  # noqa: E402


def draw(rng):
    c, f = (int(v) for v in rng.integers(1, 3, 2))
    k = tuple(int(v) for v in rng.integers(1, 5, 2))
    d = tuple(int(v) for v in rng.integers(1, 3, 2))
    hw = tuple(int(v) for v in rng.integers(1, 8, 2))
    form = int(rng.integers(0, 3))
    if form == 0:
        padding, stride = "same", (1, 1)
    elif form == 1:
        padding, stride = [int(v) for v in rng.integers(0, 4, 2)], tuple(int(v) for v in rng.integers(1, 3, 2))
    else:
        padding = dict(zip(("top", "bottom", "left", "right"), (int(v) for v in rng.integers(0, 4, 4))))
        stride = tuple(int(v) for v in rng.integers(1, 3, 2))
    return c, f, k, d, hw, padding, stride


def torch_conv(x, w, b, padding, stride, d, mode):
    """PyTorch's output and the leaf tensors whose gradients it will fill, or an exception."""
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    if isinstance(padding, dict):
        top, bottom, left, right = resolve_padding(padding)
        xp = F.pad(xt, (left, right, top, bottom), mode="constant" if mode == "zeros" else mode)
        return F.conv2d(xp, wt, torch.tensor(b), stride, 0, d), xt, wt
    conv = torch.nn.Conv2d(
        w.shape[1],
        w.shape[0],
        w.shape[2:],
        stride,
        padding if padding == "same" else tuple(padding),
        d,
        padding_mode=mode,
        dtype=torch.float64,
    )
    with torch.no_grad():
        conv.weight.copy_(wt)
        conv.bias.copy_(torch.tensor(b))
    return conv(xt), xt, conv.weight


def main(cases: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    both = refused = 0
    worst = worst_grad = 0.0
    for i in range(cases):
        mode = PADDING_MODES[i % len(PADDING_MODES)]
        c, f, k, d, hw, padding, stride = draw(rng)
        x, w, b = rng.standard_normal((2, c, *hw)), rng.standard_normal((f, c, *k)), rng.standard_normal(f)
        try:
            ref, xt, wt = torch_conv(x, w, b, padding, stride, d, mode)
            torch_error = None
        except (RuntimeError, ValueError) as e:
            torch_error = e
        try:
            got = fast.conv2d(x, w, b, stride, padding, d, mode)
            layer = Conv2D(f, k, stride, padding, d, padding_mode=mode, name="conv")
            layer.build((c, *hw), rng, np.float64)
            layer.params["W"][...], layer.params["b"][...] = w, b
            out = layer.forward(np.ascontiguousarray(x.transpose(1, 2, 3, 0)))
            g = rng.standard_normal(out.shape)
            dx = layer.backward(g).transpose(3, 0, 1, 2)
        except EngineError as e:
            assert torch_error is not None, f"case {i}: the engine refused ({e.code}) what PyTorch ran"
            refused += 1
            continue
        assert torch_error is None, f"case {i}: PyTorch refused ({torch_error}) what the engine ran"
        both += 1
        worst = max(
            worst,
            float(np.abs(got - ref.detach().numpy()).max()),
            float(np.abs(out.transpose(3, 0, 1, 2) - ref.detach().numpy()).max()),
        )
        ref.backward(torch.tensor(np.ascontiguousarray(g.transpose(3, 0, 1, 2))))
        worst_grad = max(
            worst_grad,
            float(np.abs(dx - xt.grad.numpy()).max()),
            float(np.abs(layer.grads["W"] - wt.grad.numpy()).max()),
        )
    print(
        f"{cases} random convolutions ({', '.join(PADDING_MODES)}; same, pairs, per side): "
        f"{both} run by both, {refused} refused by both, none by one only"
    )
    print(f"largest difference: output {worst:.2e}, gradients {worst_grad:.2e}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.cases, args.seed)
