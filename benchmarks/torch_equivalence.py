"""Is the engine's LeNet-5 the same computation as PyTorch's? Same start, same batches, compare.

For each seed, PyTorch (in its own process and virtualenv) writes its initial LeNet-5 weights and
the batch order of ../shared/bench/torch_lenet.py for that seed; both sides then train one epoch from
exactly that start, in the same order (momentum SGD, lr 0.05, batch 64, float32). Printed: the
training loss of both at a few steps (equal to about 7 digits until float32 rounding differences
grow, as they do between any two implementations), and the test accuracy after the epoch. This
separates "the engine computes something else" from "this seed's draw was lucky or unlucky".

    python benchmarks/torch_equivalence.py --data-dir ../shared/datasets/mnist \\
        --torch-python /path/to/venv-with-torch/bin/python --seeds 6
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "bench"
STEPS_SHOWN = (0, 1, 5, 10, 20, 50, 100, 300, 937)
# engine parameter name -> (torch parameter name, transpose): dense weights are (in, out) in the engine
NAMES = {
    "conv1.W": ("conv1.weight", False),
    "conv1.b": ("conv1.bias", False),
    "conv2.W": ("conv2.weight", False),
    "conv2.b": ("conv2.bias", False),
    "dense1.W": ("fc1.weight", True),
    "dense1.b": ("fc1.bias", False),
    "dense2.W": ("fc2.weight", True),
    "dense2.b": ("fc2.bias", False),
    "dense3.W": ("fc3.weight", True),
    "dense3.b": ("fc3.bias", False),
}


def torch_side(args) -> None:
    """Write the initial weights and the batch order, train one epoch, write losses and accuracy."""
    sys.path.insert(0, str(BENCH))
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch_lenet import LeNet5, load

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = LeNet5()
    state = model.state_dict()
    np.savez(
        args.out / "init.npz",
        **{ours: (state[theirs].T if t else state[theirs]).numpy() for ours, (theirs, t) in NAMES.items()},
    )
    order = np.random.default_rng(args.seed).permutation(60000)
    np.save(args.out / "order.npy", order)
    xtr, ytr = load(args.data_dir, "train")
    xte, yte = load(args.data_dir, "t10k")
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    order_t, losses = torch.from_numpy(order), []
    for i in range(0, 60000, 64):
        idx = order_t[i : i + 64]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with torch.inference_mode():
        acc = sum((model(xte[i : i + 1000]).argmax(1) == yte[i : i + 1000]).sum().item() for i in range(0, 10000, 1000))
    np.save(args.out / "torch_losses.npy", np.array(losses))
    print(f"accuracy: {acc / 10000:.4f}")


def engine_side(args) -> None:
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from engine import data as mnist
    from engine.losses import SoftmaxCrossEntropy
    from engine.model import Sequential
    from engine.optim import make_optimizer
    from engine.presets import preset
    from engine.train import evaluate

    d = mnist.load("mnist", data_dir=args.data_dir)
    model = Sequential.from_spec(preset("lenet5"))
    with np.load(args.out / "init.npz") as init:
        for name, value in model.params.items():
            value[...] = init[name]
    order, labels = np.load(args.out / "order.npy"), d.train_labels.astype(np.int64)
    loss_fn, opt, losses = SoftmaxCrossEntropy(), make_optimizer("momentum", 0.05), []
    for i in range(0, 60000, 64):
        idx = order[i : i + 64]
        losses.append(loss_fn.forward(model.forward(mnist.normalise(d.train_images[idx]), train=True), labels[idx]))
        model.backward(loss_fn.backward())
        opt.step(model.params, model.grads)
    np.save(args.out / "engine_losses.npy", np.array(losses))
    print(f"accuracy: {evaluate(model, d.test_images, d.test_labels)[1]:.4f}")


def compare(args) -> None:
    import numpy as np

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    accs = {"engine": [], "torch": []}
    for seed in range(args.seeds):
        with tempfile.TemporaryDirectory() as tmp:
            common = ["--data-dir", args.data_dir, "--seed", str(seed), "--out", tmp]
            run = lambda py, side, common=common: subprocess.run(
                [py, __file__, "--side", side, *common], env=env, check=True, capture_output=True, text=True
            ).stdout.split()[-1]
            accs["torch"].append(float(run(args.torch_python, "torch")))
            accs["engine"].append(float(run(sys.executable, "engine")))
            ours, theirs = np.load(Path(tmp) / "engine_losses.npy"), np.load(Path(tmp) / "torch_losses.npy")
        print(
            f"seed {seed}: test accuracy engine {accs['engine'][-1]:.4f}, torch {accs['torch'][-1]:.4f}; "
            "loss at step " + ", ".join(f"{s}: {ours[s]:.7f}/{theirs[s]:.7f}" for s in STEPS_SHOWN),
            flush=True,
        )
    for side, values in accs.items():
        print(f"{side}: mean test accuracy {np.mean(values):.4f} over {len(values)} seeds (same start, same batches)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--torch-python", help="a Python with torch==2.13.0")
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--side", choices=["engine", "torch"], help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side == "torch":
        torch_side(args)
    elif args.side == "engine":
        engine_side(args)
    else:
        if not args.torch_python:
            ap.error("--torch-python is needed")
        compare(args)


if __name__ == "__main__":
    main()
