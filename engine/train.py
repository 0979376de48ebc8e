"""Training as a generator of events. It never prints: the CLI and the websocket both consume it.

    for event in train(model, data, epochs=1, batch_size=64, optimizer="momentum", lr=0.05, seed=0):
        ...   # {"type": "progress", ...}, {"type": "epoch", ...}, {"type": "snapshot", ...}, ...

Event types: ``status`` (running / paused / a learning-rate change), ``progress`` (every few
batches: loss, accuracy, samples/s, time left), ``snapshot`` (the first conv layer's filters and
one test digit's feature maps), ``epoch`` (train and validation loss and accuracy, confusion
matrix, misclassified digits), and a final ``done``. Arrays in events are NumPy arrays.

A final ``done`` has ``reason`` ``"finished"``, ``"stopped"``, ``"time_limit"`` or ``"diverged"``.
A run diverges when a step's loss or gradients are NaN or infinite (the learning rate is too
large; weights that overflow make the next step's loss infinite): training ends at once with
``{"type": "done", "reason": "diverged", "step": <that step>, "lr": <the learning rate of that
step>, "seconds", "test_loss": None, "test_accuracy": None}``; that step's progress is not
reported and the model is not evaluated. Every event before it holds finite numbers only (a
snapshot whose filters or feature maps are not finite is left out), and the diverging step's
update is not applied.

A :class:`TrainControl` passed in pauses, resumes, stops or changes the learning rate from another
thread; while paused, it can let exactly one more batch train (:meth:`TrainControl.one_batch`: that
step's progress and a snapshot are yielded, no status, and the run stays paused), and it can ask for
snapshots more often than ``snapshot_every`` (its ``snapshot_every``). Before each step the loop calls
:meth:`TrainControl.before_step`, a hook where a subclass may wait (to pace a run for watching); the
waiting is not counted in ``seconds``. The run is reproducible from ``seed`` (the model's own seed fixes
its initial weights): none of this changes the numbers.

The learning rate follows ``schedule``: ``"constant"``, or ``"cosine"`` (from ``lr`` down to 0 along
a half cosine over the whole run). A learning rate set from outside replaces ``lr`` from then on.
"""

import math
import threading
import time

import numpy as np

from .data import Mnist, normalise
from .errors import EngineError
from .layers import Conv2D
from .losses import SoftmaxCrossEntropy, add_l2_grad, l2_penalty
from .optim import make_optimizer


class TrainControl:
    """Pause, resume, stop, one batch at a time and learning-rate changes for a run, safe to call from
    any thread.

    ``snapshot_every`` (None by default) replaces :func:`train`'s argument of that name from the next
    step on while it is set (1: a snapshot after every step)."""

    def __init__(self):
        self._changed = threading.Condition()
        self._paused = False
        self._batches = 0  # single batches asked for during this pause, not yet trained
        self.stop_requested = False
        self._lr: float | None = None
        self.snapshot_every: int | None = None

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self):
        with self._changed:
            self._paused = True

    def resume(self):
        with self._changed:
            self._paused, self._batches = False, 0
            self._changed.notify_all()

    def stop(self):
        with self._changed:
            self.stop_requested, self._paused = True, False
            self._changed.notify_all()

    def one_batch(self) -> bool:
        """While paused, let exactly one more batch train (the run stays paused). Returns False, and does
        nothing, when the run is not paused (or is stopping)."""
        with self._changed:
            if not self._paused or self.stop_requested:
                return False
            self._batches += 1
            self._changed.notify_all()
            return True

    def set_lr(self, lr: float):
        with self._changed:
            self._lr = float(lr)

    def take_lr(self) -> float | None:
        with self._changed:
            lr, self._lr = self._lr, None
            return lr

    def wait_while_paused(self) -> bool:
        """Block while paused. True when woken to train one batch (the run is still paused), False when
        resumed or stopped."""
        with self._changed:
            self._changed.wait_for(lambda: not self._paused or self._batches > 0)
            if self._paused and self._batches > 0:
                self._batches -= 1
                return True
            return False

    def before_step(self) -> None:
        """Called by :func:`train` before each step (before its pause check). The default returns at once;
        a subclass may wait here, e.g. to pace a run (it should return early on a pause or a stop)."""


def evaluate(model, images: np.ndarray, labels: np.ndarray, batch_size: int = 64):
    """Loss, accuracy, predictions (N,) and the probabilities (N, K) on uint8 images (N, 28, 28).

    The images go through the model ``batch_size`` at a time (the training loop passes its own batch
    size), so an evaluation needs no more memory than a training step: a convolution's im2col
    columns grow with the batch (see :mod:`engine.memory`). The result does not depend on it."""
    loss_fn = SoftmaxCrossEntropy()
    losses, probs = [], []
    for i in range(0, len(images), batch_size):
        logits = model.forward(normalise(images[i : i + batch_size]))
        losses.append(loss_fn.forward(logits, labels[i : i + batch_size]) * len(logits))
        probs.append(loss_fn.probabilities)
    probs = np.concatenate(probs)
    predictions = probs.argmax(axis=1)
    return float(np.sum(losses) / len(images)), float(np.mean(predictions == labels)), predictions, probs


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, classes: int = 10) -> np.ndarray:
    """(classes, classes) counts: row = true label, column = prediction."""
    return np.bincount(labels.astype(np.int64) * classes + predictions, minlength=classes * classes).reshape(
        classes, classes
    )


def first_conv(model) -> Conv2D | None:
    return next((layer for layer in model.layers if isinstance(layer, Conv2D)), None)


def snapshot(model, probe: np.ndarray) -> dict:
    """The first conv layer's filters (F, C, kh, kw) and every image layer's maps for one digit."""
    conv = first_conv(model)
    maps = [(name, a[0]) for name, a in model.activations(normalise(probe[None])) if a.ndim == 4]
    return {"filters": None if conv is None else conv.params["W"].copy(), "feature_maps": maps}


def _finite_snapshot(model, probe: np.ndarray) -> dict | None:
    """:func:`snapshot`, or None when its filters or a feature map are not finite (the weights are on
    their way to diverging)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        snap = snapshot(model, probe)
    arrays = [a for _, a in snap["feature_maps"]] + ([] if snap["filters"] is None else [snap["filters"]])
    return snap if all_finite(arrays) else None


def all_finite(arrays) -> bool:
    """True when every value of every array in ``arrays`` (an iterable of arrays) is finite."""
    return all(np.isfinite(a).all() for a in arrays)


def check_train_batches(model, num_train: int | None, batch_size: int) -> None:
    """Refuse, before any step, a run in which a training batch would give a batch-norm layer a single
    value per channel (PyTorch raises "Expected more than 1 value per channel when training"):
    EngineError ``batchnorm_batch_of_one`` for a batch size of 1, ``batchnorm_last_batch_of_one``
    for a last batch of one image (``num_train = k * batch_size + 1``; not checked when ``num_train``
    is None), naming the layer and the numbers."""
    layer = model.single_value_layer()
    if layer is None:
        return
    if batch_size == 1:
        raise EngineError(
            "batchnorm_batch_of_one",
            f"batch-norm layer {layer.name} normalises each channel over the batch, so it needs "
            "at least 2 values per channel when training, and a batch of 1 image gives it one: choose "
            "a batch size of 2 or more",
            layer=layer.name,
            batch_size=batch_size,
        )
    if num_train is not None and num_train % batch_size == 1:
        raise EngineError(
            "batchnorm_last_batch_of_one",
            f"batch-norm layer {layer.name} normalises each channel over the batch, so it "
            f"needs at least 2 values per channel when training; {num_train:,} training images in "
            f"batches of {batch_size} leave a last batch of 1 image: choose another batch size",
            layer=layer.name,
            batch_size=batch_size,
            train=f"{num_train:,}",
        )


def _step(model, loss_fn, opt, x: np.ndarray, labels: np.ndarray, l2: float):
    """One SGD step on the batch ``x`` (N, 1, 28, 28): ``(loss, logits (N, K))``, or None when the loss
    or the gradients are not finite (and then the weights, and batch norm's running statistics, are
    left as they were)."""
    buffers = model.buffers
    saved = {k: v.copy() for k, v in buffers.items()}  # (a few numbers per batch-norm channel)
    logits = model.forward(x, train=True)
    loss = loss_fn.forward(logits, labels)
    if l2:
        loss += l2_penalty(model.params, l2)
    if not math.isfinite(loss) or not all_finite(buffers.values()):
        _restore(buffers, saved)
        return None
    model.backward(loss_fn.backward())
    grads = model.grads
    if l2:
        add_l2_grad(model.params, grads, l2)
    if not all_finite(grads.values()):
        _restore(buffers, saved)
        return None
    opt.step(model.params, grads)  # (weights that overflow here make the next step's loss infinite)
    return loss, logits


def _restore(buffers: dict, saved: dict) -> None:
    for key, value in saved.items():
        buffers[key][...] = value


SCHEDULES = ("constant", "cosine")


def scheduled_lr(schedule: str, lr: float, step: int, total_steps: int) -> float:
    """The learning rate for step ``step`` (0-based) of ``total_steps``."""
    if schedule == "cosine":
        return lr * 0.5 * (1.0 + math.cos(math.pi * step / total_steps))
    return lr


def train(
    model,
    data: Mnist,
    *,
    epochs: int = 1,
    batch_size: int = 64,
    optimizer: str = "momentum",
    lr: float = 0.05,
    schedule: str = "constant",
    l2: float = 0.0,
    seed: int = 0,
    control: TrainControl | None = None,
    progress_every: int = 10,
    snapshot_every: int = 100,
    max_seconds: float | None = None,
    mistakes: int = 24,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
):
    """Train ``model`` on ``data`` and yield events (see the module docstring).

    Validation uses ``validation`` (images, labels) if given, else the data's test split.
    ``max_seconds`` stops the run (reason ``"time_limit"``) once that much compute time has passed.
    """
    if schedule not in SCHEDULES:
        raise EngineError(
            "unknown_schedule",
            f"unknown learning-rate schedule {schedule!r}; choose one of " + ", ".join(SCHEDULES),
            schedule=str(schedule),
            known=list(SCHEDULES),
        )
    check_train_batches(model, len(data.train_images), batch_size)
    control = control or TrainControl()
    opt = make_optimizer(optimizer, lr)
    base_lr = opt.lr
    loss_fn = SoftmaxCrossEntropy()
    shuffle_rng = np.random.default_rng([seed, 1])
    val_images, val_labels = validation or (data.test_images, data.test_labels)
    x_all, y_all = data.train_images, data.train_labels.astype(np.int64)
    n = len(x_all)
    steps_per_epoch = -(-n // batch_size)
    total_steps = epochs * steps_per_epoch
    probe = val_images[0]
    step, busy, reason, diverged_at = 0, 0.0, "finished", None
    held = False  # paused, and the viewers were told so (one batch at a time keeps it paused)
    window = {"loss": 0.0, "correct": 0, "seen": 0, "time": 0.0}

    yield {
        "type": "status",
        "state": "running",
        "lr": opt.lr,
        "steps_total": total_steps,
        "steps_per_epoch": steps_per_epoch,
        "num_params": model.num_params,
    }
    yield {"type": "snapshot", "step": 0, "epoch": 0, "probe_label": int(val_labels[0]), **snapshot(model, probe)}
    for epoch in range(1, epochs + 1):
        order = shuffle_rng.permutation(n)
        ep_loss, ep_correct = 0.0, 0
        for start in range(0, n, batch_size):
            control.before_step()
            single = False  # this step is one batch trained during a pause
            if control.paused:
                if not held:
                    yield {"type": "status", "state": "paused", "step": step}
                single = held = control.wait_while_paused()
                if not control.stop_requested and not single:
                    yield {"type": "status", "state": "running", "step": step}
            elif held:  # resumed just after one batch
                held = False
                if not control.stop_requested:
                    yield {"type": "status", "state": "running", "step": step}
            if control.stop_requested:
                reason = "stopped"
                break
            new_lr = control.take_lr()
            if new_lr is not None:
                opt.lr = base_lr = new_lr
                yield {"type": "status", "state": "running", "step": step, "lr": new_lr}
            if schedule != "constant":
                opt.lr = scheduled_lr(schedule, base_lr, step, total_steps)

            t0 = time.perf_counter()
            idx = order[start : start + batch_size]
            labels = y_all[idx]
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # (checked just below)
                finite = _step(model, loss_fn, opt, normalise(x_all[idx]), labels, l2)
            if finite is None:
                reason, diverged_at = "diverged", step + 1  # (this step is not counted in ``step``)
                busy += time.perf_counter() - t0
                break
            loss, logits = finite
            correct = int(np.sum(logits.argmax(axis=1) == labels))
            dt = time.perf_counter() - t0

            step += 1
            busy += dt
            ep_loss += loss * len(idx)
            ep_correct += correct
            window["loss"] += loss * len(idx)
            window["correct"] += correct
            window["seen"] += len(idx)
            window["time"] += dt
            if single or step % progress_every == 0 or step == total_steps:
                yield {
                    "type": "progress",
                    "step": step,
                    "steps_total": total_steps,
                    "epoch": epoch,
                    "loss": window["loss"] / window["seen"],
                    "accuracy": window["correct"] / window["seen"],
                    "samples_per_s": window["seen"] / max(window["time"], 1e-9),
                    "seconds_left": busy / step * (total_steps - step),
                    "elapsed": busy,
                    "lr": opt.lr,
                }
                window = {"loss": 0.0, "correct": 0, "seen": 0, "time": 0.0}
            every = control.snapshot_every or snapshot_every
            if (single or (every and step % every == 0)) and (snap := _finite_snapshot(model, probe)):
                yield {"type": "snapshot", "step": step, "epoch": epoch, "probe_label": int(val_labels[0]), **snap}
            if max_seconds is not None and busy >= max_seconds:
                reason = "time_limit"
                break
        if reason != "finished":
            break
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            val_loss, val_acc, predictions, probs = evaluate(model, val_images, val_labels, batch_size)
        if not math.isfinite(val_loss):  # finite training steps, yet weights too large for the validation set
            reason, diverged_at = "diverged", step
            break
        wrong = np.flatnonzero(predictions != val_labels)[:mistakes]
        yield {
            "type": "epoch",
            "epoch": epoch,
            "step": step,
            "train_loss": ep_loss / n,
            "train_accuracy": ep_correct / n,
            "val_loss": val_loss,
            "val_accuracy": val_acc,
            "confusion": confusion_matrix(val_labels, predictions),
            "mistakes": [
                {
                    "index": int(i),
                    "label": int(val_labels[i]),
                    "prediction": int(predictions[i]),
                    "confidence": float(probs[i].max()),
                }
                for i in wrong
            ],
        }
        if snap := _finite_snapshot(model, probe):
            yield {"type": "snapshot", "step": step, "epoch": epoch, "probe_label": int(val_labels[0]), **snap}
    if reason == "diverged":  # a diverged model is not evaluated
        yield {
            "type": "done",
            "reason": "diverged",
            "step": diverged_at,
            "lr": opt.lr,
            "seconds": busy,
            "test_loss": None,
            "test_accuracy": None,
        }
        return
    test_loss, test_acc, _, _ = evaluate(model, data.test_images, data.test_labels, batch_size)
    yield {
        "type": "done",
        "reason": reason,
        "step": step,
        "seconds": busy,
        "test_loss": test_loss,
        "test_accuracy": test_acc,
    }
