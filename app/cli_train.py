"""``cnn-playground train``: train a network on MNIST from the command line.

A consumer of the engine's event stream, like the websocket: it draws a progress bar on stderr and
ends with ``test accuracy: 0.XXXX`` on stdout. A run whose loss becomes infinite (it diverged)
prints why and what to try, saves nothing and exits with :data:`EXIT_DIVERGED`.
"""

import json
import os
import sys
import time

EXIT_DIVERGED = 3


def register(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a network on MNIST and save it",
        description="Train a network on MNIST and save it as one .npz file.",
    )
    p.add_argument(
        "--model", default="lenet5", help="a preset (lenet5, notes, tiny, resnet, inception) or a JSON spec file"
    )
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--optimizer", default="momentum", choices=["sgd", "momentum", "nesterov", "adam"])
    p.add_argument("--lr", type=float, default=0.05, help="learning rate (default 0.05)")
    p.add_argument(
        "--schedule",
        default="constant",
        choices=["constant", "cosine"],
        help="learning-rate schedule: constant, or cosine decay to 0 over the run",
    )
    p.add_argument("--l2", type=float, default=0.0, help="L2 weight decay lambda (default 0)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--dataset",
        default="auto",
        choices=["auto", "mnist", "sample"],
        help="full MNIST, the bundled sample, or auto: full MNIST if found, else the sample",
    )
    p.add_argument("--data-dir", help="folder with the four MNIST IDX files (gzip or raw)")
    p.add_argument("--out", help="where to save the trained model (.npz)")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1: fastest for small batches)")
    p.set_defaults(func=run)


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / max(total, 1))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def run(args) -> int:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    from engine import data as mnist
    from engine.errors import EngineError
    from engine.model import Sequential
    from engine.presets import PRESETS, preset
    from engine.train import train

    try:
        if args.model in PRESETS:
            spec = preset(args.model)
        else:
            with open(args.model, encoding="utf-8") as f:
                spec = json.load(f)
        name = args.dataset
        if name == "auto":
            name = "mnist" if args.data_dir or mnist.locate() else "sample"
        data = mnist.load(name, data_dir=args.data_dir)
        model = Sequential.from_spec(spec, seed=args.seed)
    except (EngineError, OSError, json.JSONDecodeError) as e:
        print(f"cnn-playground train: {e}", file=sys.stderr)
        return 1

    print(f"data: {data.source} ({data.num_train} training, {data.num_test} test images)", file=sys.stderr)
    print(
        f"model: {args.model}, {model.num_params} parameters; {args.epochs} epoch(s), batch {args.batch_size}, "
        f"{args.optimizer} lr {args.lr} ({args.schedule}), seed {args.seed}",
        file=sys.stderr,
    )
    start = time.perf_counter()
    result = None
    try:
        for event in train(
            model,
            data,
            epochs=args.epochs,
            batch_size=args.batch_size,
            optimizer=args.optimizer,
            lr=args.lr,
            schedule=args.schedule,
            l2=args.l2,
            seed=args.seed,
            snapshot_every=0,
        ):
            if event["type"] == "progress":
                print(
                    f"\r{_bar(event['step'], event['steps_total'])} epoch {event['epoch']} step {event['step']}/"
                    f"{event['steps_total']} loss {event['loss']:.4f} acc {event['accuracy']:.3f} "
                    f"{event['samples_per_s']:.0f} samples/s, {event['seconds_left']:.0f} s left ",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )
            elif event["type"] == "epoch":
                print(
                    f"\nepoch {event['epoch']}: train loss {event['train_loss']:.4f} acc "
                    f"{event['train_accuracy']:.4f}; validation loss {event['val_loss']:.4f} acc "
                    f"{event['val_accuracy']:.4f}",
                    file=sys.stderr,
                )
            elif event["type"] == "done":
                result = event
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except EngineError as e:
        print(f"\ncnn-playground train: {e}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - start
    if result["reason"] == "diverged":
        from .i18n import diverged_message

        print(f"\ncnn-playground train: {diverged_message('en', result['step'], result['lr'])}", file=sys.stderr)
        if args.out:
            print(f"no model saved: {args.out} was not written", file=sys.stderr)
        return EXIT_DIVERGED
    print(f"trained in {wall:.1f} s ({result['seconds']:.1f} s of training steps)", file=sys.stderr)
    if args.out:
        model.save(
            args.out,
            metadata={
                "name": os.path.splitext(os.path.basename(args.out))[0],
                "test_accuracy": result["test_accuracy"],
                "dataset": data.name,
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "optimizer": args.optimizer,
                "lr": args.lr,
                "schedule": args.schedule,
                "l2": args.l2,
                "seed": args.seed,
                "model": args.model,
                "command": "cnn-playground train " + " ".join(sys.argv[2:]),
            },
        )
        print(f"saved: {args.out}", file=sys.stderr)
    print(f"test accuracy: {result['test_accuracy']:.4f}")
    return 0
