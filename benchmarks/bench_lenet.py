"""LeNet-5 on MNIST: the engine against PyTorch CPU, side by side.

Run from the repository root (needs the full MNIST; torch only in the benchmark's own virtualenv):

    python benchmarks/bench_lenet.py --data-dir ../shared/datasets/mnist \\
        --torch-python /path/to/venv-with-torch/bin/python --rounds 3

Each figure is measured in separate processes, alternating engine and PyTorch (NumPy's BLAS and
torch in one process slow each other down), and the ratio quoted is the median of the paired
ratios. ``--accuracy-seeds 10`` compares one-epoch test accuracy over seeds 0..9 instead.
``--side engine`` runs one engine measurement and prints ``name: value`` lines, in the same
form as ../shared/bench/torch_lenet.py.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH_SCRIPT = ROOT.parent / "shared" / "bench" / "torch_lenet.py"
TORCH_EXTRA = Path(__file__).resolve().parent / "torch_inference.py"


def engine_side(args) -> None:
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from engine import data as mnist
    from engine.model import Sequential
    from engine.presets import preset
    from engine.train import evaluate, train

    data = mnist.load("mnist", data_dir=args.data_dir)
    model = Sequential.from_spec(preset("lenet5"), seed=args.seed)
    done = None
    for event in train(
        model,
        data,
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer="momentum",
        lr=0.05,
        seed=args.seed,
        snapshot_every=0,
        progress_every=10**9,
    ):
        if event["type"] == "done":
            done = event
    train_s = done["seconds"]
    _, acc, _, _ = evaluate(model, data.test_images, data.test_labels)
    x = mnist.normalise(data.test_images)
    model.forward(x[:1000])  # warm-up: the layers' buffers for a batch of 1000 (evaluate() runs batches of 64)
    t0 = time.perf_counter()
    for i in range(0, len(x), 1000):
        model.forward(x[i : i + 1000])
    big = len(x) / (time.perf_counter() - t0)
    lat = []
    for i in range(1100):
        t0 = time.perf_counter()
        model.forward(x[i : i + 1])
        lat.append(time.perf_counter() - t0)
    lat = np.array(lat[100:]) * 1e6
    print(f"numpy: {np.__version__} threads={os.environ.get('OPENBLAS_NUM_THREADS')}")
    print(f"train samples/s (batch {args.batch_size}): {args.epochs * data.num_train / train_s:.0f}")
    print(f"train seconds per epoch: {train_s / args.epochs:.2f}")
    print(f"test accuracy after {args.epochs} epoch(s): {acc:.4f}")
    print(f"inference latency batch 1 p50 us: {np.percentile(lat, 50):.0f}")
    print(f"inference latency batch 1 p99 us: {np.percentile(lat, 99):.0f}")
    print(f"inference samples/s (batch 1000): {big:.0f}")


def run(cmd: list[str], env: dict) -> dict[str, float]:
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    figures = {}
    for line in out.splitlines():
        m = re.match(r"(.+?): ([0-9.]+)$", line.strip())
        if m:
            figures[re.sub(r" \(batch \d+\)", "", m.group(1))] = float(m.group(2))
    return figures


def compare(args) -> None:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(args.engine_threads), "OMP_NUM_THREADS": str(args.engine_threads)}
    common = ["--data-dir", args.data_dir, "--seed", str(args.seed), "--epochs", str(args.epochs)]
    rows: dict[tuple, list] = {}
    for r in range(args.rounds):
        for bs in args.batch_sizes:
            ours = run([sys.executable, __file__, "--side", "engine", "--batch-size", str(bs), *common], env)
            theirs = run(
                [
                    args.torch_python,
                    str(TORCH_SCRIPT),
                    "--batch-size",
                    str(bs),
                    "--threads",
                    str(args.torch_threads),
                    *common,
                ],
                os.environ.copy(),
            )
            if bs == args.batch_sizes[0]:
                theirs.update(
                    run(
                        [
                            args.torch_python,
                            str(TORCH_EXTRA),
                            "--data-dir",
                            args.data_dir,
                            "--threads",
                            str(args.torch_threads),
                        ],
                        os.environ.copy(),
                    )
                )
            print(f"round {r + 1} batch {bs}: engine {ours}", flush=True)
            print(f"round {r + 1} batch {bs}: torch  {theirs}", flush=True)
            for key in ours:
                if key in theirs:
                    rows.setdefault((bs, key), []).append((ours[key], theirs[key]))
    print(
        f"\nLeNet-5, MNIST, {args.rounds} alternating round(s); engine OpenBLAS threads {args.engine_threads}, "
        f"torch threads {args.torch_threads}"
    )
    print(f"{'batch':>5} {'figure':<40} {'engine':>10} {'torch':>10} {'ratio':>7}")
    for (bs, key), pairs in rows.items():
        if key.startswith("inference") and bs != args.batch_sizes[0]:
            continue
        ours = statistics.median(p[0] for p in pairs)
        theirs = statistics.median(p[1] for p in pairs)
        ratio = statistics.median(p[0] / p[1] for p in pairs if p[1])
        print(f"{bs:>5} {key:<40} {ours:>10.4g} {theirs:>10.4g} {ratio:>7.2f}")
    print("ratio = engine / torch, the median of paired ratios (for latency and seconds, below 1 is faster)")


def accuracy_over_seeds(args) -> None:
    """One epoch at batch 64 for seeds 0..N-1 on both sides, alternating: one-epoch accuracy depends
    on the seed (two float32 runs drift apart chaotically), so compare distributions, not one run."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(args.engine_threads), "OMP_NUM_THREADS": str(args.engine_threads)}
    key = "test accuracy after 1 epoch(s)"
    ours, theirs = [], []
    for seed in range(args.accuracy_seeds):
        common = ["--data-dir", args.data_dir, "--seed", str(seed), "--epochs", "1", "--batch-size", "64"]
        ours.append(run([sys.executable, __file__, "--side", "engine", *common], env)[key])
        theirs.append(
            run(
                [args.torch_python, str(TORCH_SCRIPT), "--threads", str(args.torch_threads), *common], os.environ.copy()
            )[key]
        )
        print(f"seed {seed}: engine {ours[-1]:.4f}  torch {theirs[-1]:.4f}", flush=True)
    for name, accs in (("engine", ours), ("torch", theirs)):
        print(
            f"{name}: mean {statistics.mean(accs):.4f}, median {statistics.median(accs):.4f}, "
            f"min {min(accs):.4f}, max {max(accs):.4f}, at or above 0.9700: {sum(a >= 0.97 for a in accs)} "
            f"of {len(accs)}"
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--side", choices=["engine"], help="run one engine measurement only")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--torch-python", help="a Python with torch==2.13.0 installed")
    ap.add_argument("--engine-threads", type=int, default=1)
    ap.add_argument("--torch-threads", type=int, default=2)
    ap.add_argument(
        "--accuracy-seeds",
        type=int,
        default=0,
        help="instead of timing: one-epoch test accuracy of both sides for seeds 0..N-1",
    )
    args = ap.parse_args()
    if args.side:
        engine_side(args)
    elif args.accuracy_seeds:
        if not args.torch_python:
            ap.error("--torch-python is needed to compare")
        accuracy_over_seeds(args)
    else:
        if not args.torch_python:
            ap.error("--torch-python is needed to compare (or use --side engine)")
        compare(args)


if __name__ == "__main__":
    main()
