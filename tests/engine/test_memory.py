"""The memory estimate against the real peak (tracemalloc counts NumPy's allocations), and
evaluation in batches giving the same result as one pass."""

import tracemalloc

import numpy as np
import pytest

from engine import data as mnist
from engine.errors import EngineError
from engine.memory import estimate
from engine.model import Sequential
from engine.presets import preset
from engine.train import evaluate, train

# Four conv layers of 64 filters (3x3, padding 1) on 28x28, then a dense to 10: it passes every cap
# of the server, and a batch of 1000 made its evaluation allocate 1.7 GiB per conv layer.
HEAVY = {
    "input": [1, 28, 28],
    "layers": [
        *[{"type": "conv", "filters": 64, "kernel": 3, "padding": 1}] * 4,
        {"type": "flatten"},
        {"type": "dense", "units": 10},
    ],
}
# Batch norm on maps and on vectors, and a depthwise-separable block (a grouped conv, then a 1x1 conv).
BATCHNORM = {
    "input": [1, 28, 28],
    "layers": [
        {"type": "conv", "filters": 16, "kernel": 3, "padding": 1},
        {"type": "batchnorm2d"},
        {"type": "relu"},
        {"type": "conv", "filters": 16, "kernel": 3, "padding": 1, "groups": 16},
        {"type": "conv", "filters": 32, "kernel": 1},
        {"type": "batchnorm2d"},
        {"type": "relu"},
        {"type": "maxpool", "size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 64},
        {"type": "batchnorm1d"},
        {"type": "relu"},
        {"type": "dense", "units": 10},
    ],
}
FACTOR = 1.5  # measured <= estimate <= FACTOR x measured

# The same with reflect padding: padded by np.pad each step, the gradient folded back into a new array
HEAVY_REFLECT = {
    **HEAVY,
    "layers": [{**entry, "padding_mode": "reflect"} if entry["type"] == "conv" else entry for entry in HEAVY["layers"]],
}
# GELU, exact (erf in float64, Phi cached) and tanh: their temporaries differ by a factor of two.
GELU = {
    approximate: {
        "input": [1, 28, 28],
        "layers": [
            {"type": "conv", "filters": 8, "kernel": 3},
            {"type": "gelu", "approximate": approximate},
            {"type": "maxpool", "size": 2},
            {"type": "flatten"},
            {"type": "dense", "units": 10},
        ],
    }
    for approximate in ("none", "tanh")
}

CASES = [
    ("tiny", 16),
    ("tiny", 128),
    ("lenet5", 16),
    ("lenet5", 128),
    ("heavy", 8),
    ("heavy", 32),
    ("heavy-reflect", 16),
    ("batchnorm", 16),
    ("batchnorm", 64),
    ("gelu_none", 64),
    ("gelu_tanh", 64),
    ("resnet", 16),
    ("resnet", 128),
    ("inception", 16),
    ("inception", 128),
]


def _spec(name):
    if name.startswith("gelu_"):
        return GELU[name.removeprefix("gelu_")]
    return {"heavy": HEAVY, "heavy-reflect": HEAVY_REFLECT, "batchnorm": BATCHNORM}.get(name) or preset(name)


@pytest.fixture(scope="module")
def sample():
    return mnist.load("sample")


@pytest.fixture(scope="module", autouse=True)
def warm(sample):
    """Import and build everything once, so that the measurements see no first-use allocations."""
    _train_peak(sample, preset("tiny"), 4, "momentum")


def _train_peak(sample, spec, n, optimizer):
    """tracemalloc's peak over building the model and two training steps (the second one in the
    steady state: every cache of the first step alive while the next one is made), and the model."""
    data = mnist.Mnist(
        sample.train_images[: 3 * n],
        sample.train_labels[: 3 * n],
        sample.test_images[:n],
        sample.test_labels[:n],
        source="test slice",
        name="sample",
    )
    tracemalloc.start()
    try:
        model = Sequential.from_spec(spec, seed=0)
        events = train(model, data, epochs=1, batch_size=n, optimizer=optimizer, progress_every=1, snapshot_every=0)
        for event in events:
            if event["type"] == "progress" and event["step"] == 2:
                break
        _, peak = tracemalloc.get_traced_memory()
        events.close()
    finally:
        tracemalloc.stop()
    assert event["type"] == "progress" and event["step"] == 2
    return peak, model


def _eval_peak(sample, spec, n, samples):
    images, labels = sample.test_images[:samples], sample.test_labels[:samples]
    tracemalloc.start()
    try:
        model = Sequential.from_spec(spec, seed=0)
        evaluate(model, images, labels, n)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("name,n", CASES)
def test_training_estimate_is_close_above_the_measured_peak(sample, name, n):
    optimizer = "adam" if n > 64 else "momentum"
    measured, model = _train_peak(sample, _spec(name), n, optimizer)
    estimated = estimate(model, n, optimizer).train_bytes
    assert measured <= estimated <= FACTOR * measured, (name, n, measured, estimated)


@pytest.mark.parametrize("name,n", CASES)
def test_evaluation_estimate_is_close_above_the_measured_peak(sample, name, n):
    samples = 3 * n + 5  # three full batches and a partial one
    measured = _eval_peak(sample, _spec(name), n, samples)
    estimated = estimate(Sequential.from_spec(_spec(name)), n, eval_samples=samples).eval_bytes
    assert measured <= estimated <= FACTOR * measured, (name, n, measured, estimated)


def test_the_estimate_grows_with_the_batch_and_the_optimizer_state():
    model = Sequential.from_spec(HEAVY)
    small, large = estimate(model, 64), estimate(model, 1024)
    # the im2col columns of the three 64-channel layers alone: 576 x 784 x N float32 each
    columns = 3 * 576 * 784 * 1024 * 4
    assert large.train_bytes > columns and large.eval_bytes > columns
    assert 10 < large.train_bytes / small.train_bytes < 17
    params = model.num_params * 4
    assert estimate(model, 64, "adam").train_bytes - estimate(model, 64, "sgd").train_bytes == 2 * params
    assert estimate(model, 64, "momentum").train_bytes - estimate(model, 64, "sgd").train_bytes == params
    assert [row["name"] for row in small.layers] == [layer.name for layer in model.layers]
    conv2 = next(row for row in small.layers if row["name"] == "conv2")
    assert conv2["train_bytes"] >= 576 * 784 * 64 * 4  # its columns
    assert small.eval_batch_size == 64 and small.peak_bytes == max(small.train_bytes, small.eval_bytes)


def test_unknown_optimizer_is_explained():
    with pytest.raises(EngineError) as info:
        estimate(Sequential.from_spec(preset("tiny")), 8, "rmsprop")
    assert info.value.code == "unknown_optimizer"


@pytest.fixture(scope="module")
def one_pass(sample):
    """LeNet-5 (seed 3) and its evaluation of the sample's test set in one batch, computed once for
    the batch sizes compared with it."""
    model = Sequential.from_spec(preset("lenet5"), seed=3)
    return model, evaluate(model, sample.test_images, sample.test_labels, batch_size=len(sample.test_images))


@pytest.mark.parametrize("batch", [1, 7, 64, 1000])
def test_batched_evaluation_equals_one_pass(sample, one_pass, batch):
    model, (loss, accuracy, predictions, probs) = one_pass
    images, labels = sample.test_images, sample.test_labels
    b_loss, b_accuracy, b_predictions, b_probs = evaluate(model, images, labels, batch_size=batch)
    assert np.array_equal(b_predictions, predictions) and b_accuracy == accuracy
    # float32 products may round in the last place differently for another matrix size
    np.testing.assert_allclose(b_probs, probs, rtol=0, atol=1e-6)
    assert b_loss == pytest.approx(loss, rel=1e-7)


def test_training_evaluates_in_its_own_batch_size(sample, monkeypatch):
    import engine.train as train_module

    seen = []
    real = train_module.evaluate

    def spy(model, images, labels, batch_size=64):
        seen.append(batch_size)
        return real(model, images, labels, batch_size)

    monkeypatch.setattr(train_module, "evaluate", spy)
    data = mnist.Mnist(
        sample.train_images[:96],
        sample.train_labels[:96],
        sample.test_images[:50],
        sample.test_labels[:50],
        source="test slice",
        name="sample",
    )
    list(train(Sequential.from_spec(preset("tiny")), data, epochs=1, batch_size=32))
    assert seen == [32, 32]
