"""Output sizes and pooled values against PyTorch, on random configurations (issue 10, item 1).

The engine side draws random convolutions (H, W, K, P, S, D) and poolings (max and average, with
``ceil_mode`` and ``count_include_pad``), runs them through the engine (the shape arithmetic, the
reference loops, the fast path and the layers) and writes the cases and inputs to a temporary
folder; PyTorch, in its own process and virtualenv (torch stays out of the playground's
dependencies), runs the same cases. Printed: how many cases each side accepted or refused (they
must agree: a configuration is refused only when PyTorch refuses it too), how many output shapes
differ, and the largest difference between the values.

    python benchmarks/torch_shapes.py --torch-python /tmp/torchvenv/bin/python --cases 2000
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def draw_cases(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n):
        kind = ("conv", "max", "avg")[i % 3]
        k = [int(v) for v in rng.integers(1, 6, 2)]
        s = [int(v) for v in rng.integers(1, 5, 2)]
        hw = [int(v) for v in rng.integers(1, 13, 2)]
        if kind == "conv":
            case = {
                "kind": kind,
                "hw": hw,
                "k": k,
                "s": s,
                "p": [int(v) for v in rng.integers(0, 4, 2)],
                "d": [int(v) for v in rng.integers(1, 4, 2)],
            }
        else:
            case = {
                "kind": kind,
                "hw": hw,
                "k": k,
                "s": s,
                "p": [int(rng.integers(0, v // 2 + 1)) for v in k],
                "ceil_mode": bool(rng.integers(2)),
                "count_include_pad": bool(rng.integers(2)),
            }
        case["seed"] = int(rng.integers(2**31))
        cases.append(case)
    return cases


def inputs(case: dict) -> tuple[np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((2, 2, *case["hw"]))
    w = rng.standard_normal((3, 2, *case["k"])) if case["kind"] == "conv" else None
    return x, w


def engine_side(cases: list[dict]) -> list[dict]:
    sys.path.insert(0, str(ROOT))
    from engine import fast, reference
    from engine.errors import EngineError
    from engine.layers import AvgPool2D, MaxPool2D

    out = []
    for case in cases:
        x, w = inputs(case)
        try:
            if case["kind"] == "conv":
                y = fast.conv2d(x, w, None, case["s"], case["p"], case["d"])
                ref = reference.conv2d_reference(x, w, 0.0, case["s"], case["p"], case["d"])
                layers_y = y
            else:
                opts = {"ceil_mode": case["ceil_mode"], "count_include_pad": case["count_include_pad"]}
                y = fast.pool2d(x, case["k"], case["s"], case["p"], case["kind"], **opts)
                ref = reference.pool2d_reference(x, case["k"], case["s"], case["p"], case["kind"], **opts)
                layer = (
                    MaxPool2D(case["k"], case["s"], case["p"], case["ceil_mode"])
                    if case["kind"] == "max"
                    else AvgPool2D(case["k"], case["s"], case["p"], **opts)
                )
                layer.build(x.shape[1:], np.random.default_rng(0), np.float64)
                layers_y = layer.forward(np.ascontiguousarray(x.transpose(1, 2, 3, 0))).transpose(3, 0, 1, 2)
            spread = max(float(np.max(np.abs(y - ref))), float(np.max(np.abs(layers_y - ref))))
            out.append({"ok": True, "y": ref, "internal": spread})
        except EngineError as e:
            out.append({"ok": False, "code": e.code})
    return out


def torch_side(folder: Path) -> None:
    import torch
    import torch.nn.functional as F

    cases = json.loads((folder / "cases.json").read_text())
    results = {}
    for i, case in enumerate(cases):
        x, w = inputs(case)
        try:
            if case["kind"] == "conv":
                y = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), None, case["s"], case["p"], case["d"])
            elif case["kind"] == "max":
                y = F.max_pool2d(torch.from_numpy(x), case["k"], case["s"], case["p"], ceil_mode=case["ceil_mode"])
            else:
                y = F.avg_pool2d(
                    torch.from_numpy(x),
                    case["k"],
                    case["s"],
                    case["p"],
                    ceil_mode=case["ceil_mode"],
                    count_include_pad=case["count_include_pad"],
                )
            results[f"y{i}"] = y.numpy()
        except RuntimeError:
            pass
    np.savez(folder / "torch.npz", **results)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--torch-python", help="a Python with torch (the engine side's own Python otherwise)")
    parser.add_argument("--cases", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--side", choices=["torch"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side == "torch":
        torch_side(args.folder)
        return
    cases = draw_cases(args.cases, args.seed)
    ours = engine_side(cases)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "cases.json").write_text(json.dumps(cases))
        subprocess.run(
            [args.torch_python or sys.executable, __file__, "--side", "torch", "--folder", str(folder)], check=True
        )
        with np.load(folder / "torch.npz") as data:
            theirs = {int(k[1:]): data[k] for k in data.files}
    for kind in ("conv", "max", "avg"):
        rows = [(i, o) for i, (c, o) in enumerate(zip(cases, ours)) if c["kind"] == kind]
        both = [(i, o) for i, o in rows if o["ok"] and i in theirs]
        only_ours = sum(o["ok"] and i not in theirs for i, o in rows)
        only_theirs = sum(not o["ok"] and i in theirs for i, o in rows)
        shapes = sum(o["y"].shape != theirs[i].shape for i, o in both)
        diff = max(
            (float(np.max(np.abs(o["y"] - theirs[i]))) for i, o in both if o["y"].shape == theirs[i].shape), default=0.0
        )
        internal = max((o["internal"] for _, o in both), default=0.0)
        ceil = sum(cases[i].get("ceil_mode", False) for i, _ in both)
        print(
            f"{kind:4}: {len(rows)} cases, both ran {len(both)} (ceil_mode {ceil}), both refused "
            f"{sum(not o['ok'] and i not in theirs for i, o in rows)}, only the engine ran {only_ours}, "
            f"only PyTorch ran {only_theirs}; shapes differing {shapes}; largest |engine - PyTorch| {diff:.3g}; "
            f"fast path and layers vs the reference loops {internal:.3g}"
        )


if __name__ == "__main__":
    main()
