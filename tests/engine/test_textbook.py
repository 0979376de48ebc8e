"""Every worked example of the course notes comes out of the engine exactly: the reference loops
(and their traces), the fast path, and the layers. Expected values are read from
../shared/examples/textbook_cases.json, never copied here."""

import re

import numpy as np
from engine import fast, reference
from engine.layers import AvgPool2D, Conv2D, MaxPool2D
from engine.shapes import conv_output_shape, formula


def pytest_generate_tests(metafunc):
    import json

    from tests.conftest import TEXTBOOK

    data = json.loads(TEXTBOOK.read_text(encoding="utf-8"))
    for group in ("convolution", "pooling"):
        if f"{group}_case" in metafunc.fixturenames:
            metafunc.parametrize(f"{group}_case", data[group], ids=[c["name"] for c in data[group]])


def _conv_args(case):
    x = np.array(case["input"], float)[None]
    k = np.array(case["kernel"], float)[None, None]
    return x, k


def test_convolution_reference(convolution_case):
    c = convolution_case
    x, k = _conv_args(c)
    out, steps = reference.conv2d_trace(x, k, c["bias"], c["stride"], c["padding"], activation=c.get("activation"))
    assert out[0].tolist() == c["output"]
    assert [s["value"] for s in steps] == [v for row in c["output"] for v in row]
    assert [(s["row"], s["col"]) for s in steps] == [(i, j) for i in range(out.shape[1]) for j in range(out.shape[2])]
    for s in steps:  # each step's arithmetic adds up
        assert s["products"] == [a * w for a, w in zip(s["inputs"], s["weights"])]
        assert s["sum"] == sum(s["products"]) and s["z"] == s["sum"] + s["bias"]


def test_convolution_first_step_written_out(convolution_case):
    """The notes' first step, e.g. "0*0 + 1*1 + 3*2 + 4*3 = 19", is exactly the first trace step."""
    c = convolution_case
    if "first_step" not in c:
        return
    x, k = _conv_args(c)
    _, steps = reference.conv2d_trace(x, k, c["bias"], c["stride"], c["padding"], activation=c.get("activation"))
    first = steps[0]
    numbers = [float(v) for v in re.findall(r"\d+", c["first_step"])]
    if c.get("activation"):  # "relu(1+0+1+...) = relu(4) = 4": the products, then z, then the value
        assert numbers[: len(first["products"])] == first["products"]
        assert numbers[-2:] == [first["z"], first["value"]]
    else:  # "a*w + a*w + ... = v": input/weight pairs in window order
        pairs = list(zip(numbers[0:-1:2], numbers[1:-1:2]))
        assert pairs == list(zip(first["inputs"], first["weights"]))
        assert numbers[-1] == first["value"]


def test_convolution_fast_path_and_layer(convolution_case):
    c = convolution_case
    x, k = _conv_args(c)
    expected = np.array(c["output"], float)
    out = fast.conv2d(x[None], k, [c["bias"]], c["stride"], c["padding"])[0, 0]
    if c.get("activation") == "relu":
        out = np.maximum(out, 0)
    assert np.array_equal(out, expected)
    layer = Conv2D(1, kernel=k.shape[2:], stride=c["stride"], padding=c["padding"], name="conv1")
    layer.build(x.shape, np.random.default_rng(0), np.float64)
    layer.params["W"][...] = k
    layer.params["b"][...] = c["bias"]
    y = layer.forward(x[..., None])  # engine layout (C, H, W, N)
    if c.get("activation") == "relu":
        y = np.maximum(y, 0)
    assert np.array_equal(y[0, ..., 0], expected)


def test_convolution_output_size_text(convolution_case):
    c = convolution_case
    if "output_size" not in c:
        return
    x, k = _conv_args(c)
    h = x.shape[1]
    oh, ow = conv_output_shape(h, x.shape[2], k.shape[2], k.shape[3], c["padding"], c["stride"])
    assert (oh, ow) == np.array(c["output"]).shape
    text = formula(h, k.shape[2], c["padding"], c["stride"])
    # the notes write OH = (H + 2P - FH)/S + 1 (D = 1, S dividing the room); the engine writes PyTorch's
    # floor((H + 2P - D(FH - 1) - 1) / S) + 1 with the floor shown: both come to the notes' result
    notes = c["output_size"].split("=")[1]
    assert re.fullmatch(r"[\d\s()+\-*/]+", notes)
    assert eval(notes.replace("/", "//")) == oh == int(c["output_size"].rsplit("=", 1)[1])
    assert f"({h} + 2·{c['padding']} − 1·({k.shape[2]} − 1) − 1) / {c['stride']}⌋ + 1" in text
    assert text.endswith(f"= {oh}")


def test_pooling(pooling_case):
    c = pooling_case
    x = np.array(c["input"], float)[None]
    out, steps = reference.pool2d_trace(x, c["size"], c["stride"], c["padding"], c["mode"])
    assert out[0].tolist() == c["output"]
    assert fast.pool2d(x[None], c["size"], c["stride"], c["padding"], c["mode"])[0, 0].tolist() == c["output"]
    layer = (MaxPool2D if c["mode"] == "max" else AvgPool2D)(c["size"], c["stride"], c["padding"], name="pool1")
    layer.build(x.shape, np.random.default_rng(0), np.float64)
    assert layer.forward(x[..., None])[0, ..., 0].tolist() == c["output"]
    for s in steps:
        if c["mode"] == "max":
            assert s["values"][s["winner"]] == s["value"] == max(s["values"])
        else:
            assert s["value"] == s["sum"] / s["count"]


def test_multichannel_sums_channels_plus_one_bias():
    """The notes' multi-channel rule: per-channel cross-correlations summed, plus one bias."""
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 4, (3, 4, 4)).astype(float)
    k = rng.integers(-2, 3, (1, 3, 3, 3)).astype(float)
    out, steps = reference.conv2d_trace(x, k, 1.0)
    singles = [reference.conv2d_trace(x[c : c + 1], k[:, c : c + 1])[0] for c in range(3)]
    assert out.shape == (1, 2, 2)
    assert np.array_equal(out, sum(singles) + 1.0)
    for s in steps:  # each step's subtotals are the single-channel convolutions (what /conv writes per line)
        assert s["channel_sums"] == [float(single[0, s["row"], s["col"]]) for single in singles]
        assert sum(s["channel_sums"]) == s["sum"]
