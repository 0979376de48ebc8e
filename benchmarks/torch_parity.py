"""Does the exported PyTorch code compute what the engine computes? Random set-ups, both scripts run.

For a few hundred random set-ups of every kind the export offers (convolution, pooling, activations,
image filters, the backprop walkthrough, networks), this writes the PyTorch script with
:mod:`app.export` and runs it, runs the engine's own script (or, for networks, the engine model
itself, its weights loaded into the exported ``nn.Sequential`` with :func:`app.export.torch_state_dict`),
and prints per kind how many set-ups ran and the largest absolute difference between the two
``output`` values (and relative to the largest engine value, at least 1: float32 filters on a photo
reach values in the thousands). The layers and options other parts of issue 10 add (padding modes,
per-side and named padding, groups, transposed convolution, batch norm, branches) are tried when
the engine has them. A script that fails to run is counted and its first error shown.

Run it with a Python that has torch (torch is not a dependency of the project):

    /tmp/torchvenv/bin/python benchmarks/torch_parity.py [--count 300] [--seed 0]
"""

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from app import export  # noqa: E402
from engine.activations import ACTIVATIONS  # noqa: E402
from engine.errors import EngineError  # noqa: E402
from engine.model import Sequential  # noqa: E402
from engine.shapes import conv_output_shape, pool_output_shape  # noqa: E402


def engine_has(spec_layers=None, **conv_options) -> bool:
    """Whether this engine has a feature other parts of issue 10 add (the benchmark then tries it too):
    a network of ``spec_layers`` it can build, or ``conv_options`` its traced convolution takes."""
    from engine.reference import conv2d_trace

    try:
        if spec_layers is not None:
            Sequential.from_spec({"input": [2, 6, 6], "layers": spec_layers})
        else:
            conv2d_trace(np.ones((2, 4, 4)), np.ones((2, 2 // conv_options.get("groups", 1), 2, 2)), **conv_options)
        return True
    except (EngineError, TypeError, ValueError):
        return False


FEATURES = {
    "padding_mode": engine_has(padding=1, padding_mode="reflect"),
    "padding_sides": engine_has(padding={"top": 1, "bottom": 0, "left": 0, "right": 1}),
    "padding_same": engine_has(padding="same"),
    "groups": engine_has(groups=2),
    "conv_transpose": engine_has([{"type": "conv_transpose", "filters": 2, "kernel": 2, "stride": 2}]),
    "batchnorm": engine_has([{"type": "batchnorm2d"}, {"type": "flatten"}, {"type": "batchnorm1d"}]),
    "branches": engine_has([{"type": "branches", "merge": "concat", "paths": [[{"type": "relu"}], []]}]),
}

CONV_ACTIVATIONS = (None, "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softplus", "gelu", "silu")


def run(code: str) -> dict:
    """Execute a script in a fresh namespace, its prints swallowed; its globals."""
    namespace = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(  # noqa: S102 (running the exported script is the point)
            compile(code, "exported.py", "exec"), namespace
        )
    return namespace


def as_array(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().double().numpy()
    if isinstance(value, dict):
        return np.array([value[k] for k in sorted(value)], dtype=np.float64)
    return np.asarray(value, dtype=np.float64)


def grid(rng, *shape) -> list:
    return np.round(rng.uniform(-5, 5, shape), 2).tolist()


def pair_or_int(rng, low: int, high: int):
    if rng.random() < 0.3:
        return [int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1))]
    return int(rng.integers(low, high + 1))


def random_conv(rng) -> dict:
    while True:
        c, f = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        h, w, kh, kw = (int(v) for v in rng.integers(1, 9, 4))
        kh, kw = min(kh, 5), min(kw, 5)
        setup = {
            "input": grid(rng, c, h, w),
            "kernel": grid(rng, f, c, kh, kw),
            "bias": grid(rng, f),
            "stride": pair_or_int(rng, 1, 3),
            "padding": pair_or_int(rng, 0, 2),
            "dilation": pair_or_int(rng, 1, 2),
        }
        activation = CONV_ACTIVATIONS[rng.integers(len(CONV_ACTIVATIONS))]
        if activation:
            setup["activation"] = activation
        if activation == "leaky_relu":
            setup["activation_params"] = {"a": round(float(rng.uniform(0, 1)), 3)}
        if activation == "elu":
            setup["activation_params"] = {"alpha": round(float(rng.uniform(0, 5)), 2)}
        if FEATURES["padding_mode"] and rng.random() < 0.3:
            setup["padding_mode"] = ("reflect", "replicate", "circular")[rng.integers(3)]
        if FEATURES["padding_sides"] and rng.random() < 0.2:
            setup["padding"] = {k: int(rng.integers(0, 3)) for k in ("top", "bottom", "left", "right")}
        elif FEATURES["padding_same"] and rng.random() < 0.1:
            setup["padding"], setup["stride"] = "same", 1
        if FEATURES["groups"] and rng.random() < 0.2 and c == f and c > 1:
            setup["groups"] = c
            setup["kernel"] = grid(rng, f, 1, kh, kw)
        if rng.random() < 0.3 and c == 1 and f == 1 and "groups" not in setup:  # the lab's 2-D form
            setup["input"], setup["kernel"], setup["bias"] = setup["input"][0], setup["kernel"][0][0], setup["bias"][0]
        if isinstance(setup["padding"], (dict, str)) or "padding_mode" in setup:
            return setup  # (shapes checked by the engine's own script: a refusal counts as a failure)
        try:
            conv_output_shape(h, w, kh, kw, setup["padding"], setup["stride"], setup["dilation"])
            return setup
        except EngineError:
            continue


def random_pool(rng) -> dict:
    while True:
        c, h, w = int(rng.integers(1, 4)), int(rng.integers(1, 10)), int(rng.integers(1, 10))
        size = pair_or_int(rng, 1, 4)
        setup = {
            "input": grid(rng, c, h, w),
            "mode": "max" if rng.random() < 0.5 else "avg",
            "size": size,
            "stride": pair_or_int(rng, 1, 3) if rng.random() < 0.7 else None,
            "padding": pair_or_int(rng, 0, 2),
            "ceil_mode": bool(rng.random() < 0.4),
        }
        if setup["mode"] == "avg":
            setup["count_include_pad"] = bool(rng.random() < 0.5)
        try:
            pool_output_shape(h, w, size, setup["stride"], setup["padding"], ceil_mode=setup["ceil_mode"])
            return setup
        except EngineError:
            continue


def random_activation(rng) -> dict:
    name = list(ACTIVATIONS)[rng.integers(len(ACTIVATIONS))]
    params = {}
    for p in ACTIVATIONS[name]["params"]:
        if "choices" in p:  # (GELU's approximate: a name)
            params[p["name"]] = p["choices"][rng.integers(len(p["choices"]))]
            continue
        value = rng.uniform(p["min"], p["max"])
        params[p["name"]] = round(value) if p["integer"] else round(float(value), 3)
    if name == "rrelu" and params["lower"] > params["upper"]:
        params["lower"], params["upper"] = params["upper"], params["lower"]
    xmin = round(float(rng.uniform(-20, 0)), 2)
    return {
        "name": name,
        "params": params,
        "xmin": xmin,
        "xmax": round(xmin + float(rng.uniform(0.5, 30)), 2),
        "n": int(rng.integers(2, 400)),
        "depth": int(rng.integers(1, 30)),
        "z": round(float(rng.uniform(-3, 3)), 2),
    }


def random_filter(rng) -> dict:
    image = f"digit-{rng.integers(10)}" if rng.random() < 0.8 else "camera"
    kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    setup = {
        "image": image,
        "kernel": grid(rng, kh, kw),
        "bias": round(float(rng.uniform(-2, 2)), 2),
        "stride": pair_or_int(rng, 1, 3),
        "padding": pair_or_int(rng, 0, 2),
        "dilation": pair_or_int(rng, 1, 2),
    }
    if FEATURES["padding_mode"] and rng.random() < 0.4:  # the /filters lab's padding-mode menu
        setup["padding_mode"] = ("reflect", "replicate", "circular")[rng.integers(3)]
    return setup


def random_backprop(rng) -> dict:
    setup = {k: round(float(rng.uniform(-3, 3)), 3) for k in ("x1", "w11", "b1", "w21", "b2", "label")}
    return {**setup, "lr": round(float(rng.uniform(0.01, 1)), 3), "updates": int(rng.integers(0, 20))}


NETWORK_ACTIVATIONS = ("relu", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "silu", "softplus", "prelu")


def random_activation_layer(rng) -> dict:
    name = NETWORK_ACTIVATIONS[rng.integers(len(NETWORK_ACTIVATIONS))]
    layer = {"type": name}
    if name == "leaky_relu":
        layer["a"] = round(float(rng.uniform(0, 0.5)), 3)
    if name == "elu":
        layer["alpha"] = round(float(rng.uniform(0.1, 2)), 2)
    if name == "prelu":
        layer["mode"] = "channel" if rng.random() < 0.5 else "layer"
    return layer


def random_network(rng) -> dict:
    """A random stack: convolutions and pooling on an image, flatten, dense layers; built by the engine."""
    while True:
        c, h = int(rng.integers(1, 4)), int(rng.integers(6, 20))
        layers = []
        for _ in range(int(rng.integers(1, 4))):
            layers.append(
                {
                    "type": "conv",
                    "filters": int(rng.integers(1, 7)),
                    "kernel": pair_or_int(rng, 1, 4),
                    "stride": pair_or_int(rng, 1, 2),
                    "padding": pair_or_int(rng, 0, 2),
                    "dilation": pair_or_int(rng, 1, 2),
                    "bias": bool(rng.random() < 0.8),
                }
            )
            layers.append(random_activation_layer(rng))
            if rng.random() < 0.3:
                layers.append({"type": "maxout", "k": 1})
            if rng.random() < 0.6:
                kind = "maxpool" if rng.random() < 0.5 else "avgpool"
                pool = {"type": kind, "size": pair_or_int(rng, 1, 3), "ceil_mode": bool(rng.random() < 0.3)}
                if kind == "avgpool":
                    pool["count_include_pad"] = bool(rng.random() < 0.5)
                layers.append(pool)
        if FEATURES["conv_transpose"] and rng.random() < 0.3:
            layers.append(
                {
                    "type": "conv_transpose",
                    "filters": int(rng.integers(1, 5)),
                    "kernel": pair_or_int(rng, 1, 3),
                    "stride": pair_or_int(rng, 1, 2),
                    "padding": 0,
                    "output_padding": 0,
                    "bias": bool(rng.random() < 0.8),
                }
            )
        if FEATURES["batchnorm"] and rng.random() < 0.4:
            layers.append({"type": "batchnorm2d", "eps": 1e-5, "momentum": 0.1})
        if FEATURES["branches"] and rng.random() < 0.4:
            merge = "concat" if rng.random() < 0.5 else "add"
            same = [{"type": "conv", "filters": 3, "kernel": 3, "padding": 1}, random_activation_layer(rng)]
            paths = (
                [same, [{"type": "conv", "filters": 3, "kernel": 1}]]
                if merge == "add"
                else [same, [], [{"type": "maxpool", "size": 3, "stride": 1, "padding": 1}]]
            )
            layers.append({"type": "branches", "merge": merge, "paths": paths})
        layers.append({"type": "flatten"})
        if rng.random() < 0.5:
            layers += [
                {"type": "dense", "units": int(rng.integers(2, 20))},
                random_activation_layer(rng),
                {"type": "dropout", "p": 0.5},
            ]
        layers.append({"type": "dense", "units": int(rng.integers(2, 11)), "bias": bool(rng.random() < 0.8)})
        spec = {"input": [c, h, h], "layers": layers}
        try:
            model = Sequential.from_spec(spec, seed=int(rng.integers(1 << 30)))
            return {"spec": spec, "model": model}
        except EngineError:
            continue


def differences(torch_out: np.ndarray, engine_out: np.ndarray) -> tuple[float, float]:
    """The largest |PyTorch - engine|, and the same relative to the largest |engine value| (at least 1)."""
    if torch_out.shape != engine_out.shape:
        raise AssertionError(f"shapes differ: PyTorch {torch_out.shape}, engine {engine_out.shape}")
    if not torch_out.size:
        return 0.0, 0.0
    largest = float(np.max(np.abs(torch_out - engine_out)))
    return largest, largest / max(1.0, float(np.max(np.abs(engine_out))))


class RefusedByBoth(Exception):
    """The engine refuses the set-up (an EngineError) and so does PyTorch (it raises): they agree."""


def lab_difference(kind: str, setup: dict) -> tuple[float, float]:
    try:
        engine_out = as_array(run(export.export(kind, setup, "engine"))["output"])
    except EngineError as refusal:
        try:
            run(export.export(kind, setup, "pytorch"))
        except Exception:  # noqa: BLE001 (PyTorch refuses it too: the agreement the benchmark counts)
            raise RefusedByBoth() from None
        raise AssertionError(f"the engine refuses ({refusal.code}) what PyTorch computes") from None
    torch_out = as_array(run(export.export(kind, setup, "pytorch"))["output"])
    return differences(torch_out, engine_out)


def network_difference(case: dict, rng) -> tuple[float, float]:
    model = case["model"]
    namespace = run(export.export("network", case["spec"], "pytorch"))
    net = namespace["model"]
    state = {k: torch.from_numpy(np.asarray(v)) for k, v in export.torch_state_dict(model).items()}
    net.load_state_dict(state)
    net.eval()
    x = rng.standard_normal((4, *model.input_shape)).astype(np.float32)
    with torch.no_grad():
        torch_out = net(torch.from_numpy(x)).double().numpy()
    engine_out = np.asarray(model.forward(x), dtype=np.float64)
    return differences(torch_out, engine_out)


KINDS = {
    "conv": (random_conv, 1.0),
    "pool": (random_pool, 1.0),
    "activations": (random_activation, 0.3),
    "filters": (random_filter, 0.1),
    "backprop": (random_backprop, 0.1),
    "network": (random_network, 0.4),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--count", type=int, default=300, help="set-ups of convolution and pooling (other kinds: a share of it)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    print(f"torch {torch.__version__}, numpy {np.__version__}, seed {args.seed}")
    print(
        "engine features tried: "
        + (", ".join(k for k, v in FEATURES.items() if v) or "none of the new ones")
        + "; not in this engine: "
        + (", ".join(k for k, v in FEATURES.items() if not v) or "none")
    )
    print(
        f"{'kind':12} {'set-ups':>8} {'refused':>8} {'failed':>7} {'largest |PyTorch - engine|':>28} "
        f"{'relative':>10} {'seconds':>8}"
    )
    total = 0
    for kind, (make, share) in KINDS.items():
        count, failures, worst, worst_relative, first_error = max(1, int(args.count * share)), 0, 0.0, 0.0, None
        refused = 0  # by the engine and by PyTorch alike
        start = time.perf_counter()
        for _ in range(count):
            setup = make(rng)
            try:
                diff, relative = network_difference(setup, rng) if kind == "network" else lab_difference(kind, setup)
                worst, worst_relative = max(worst, diff), max(worst_relative, relative)
            except RefusedByBoth:
                refused += 1
            except Exception as error:  # noqa: BLE001 (counted and shown: the point of the benchmark)
                failures += 1
                first_error = first_error or (setup if kind != "network" else setup["spec"], repr(error)[:300])
        total += count
        print(
            f"{kind:12} {count:>8} {refused:>8} {failures:>7} {worst:>28.3g} {worst_relative:>10.3g} "
            f"{time.perf_counter() - start:>8.1f}"
        )
        if first_error:
            print(f"    first failure: {first_error[1]}\n    set-up: {str(first_error[0])[:300]}")
    print(f"{total} set-ups in all")


if __name__ == "__main__":
    main()
