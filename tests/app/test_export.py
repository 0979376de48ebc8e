"""Export as code (POST /api/export, GET /api/export/weights/{name}, app/export.py).

The exported engine scripts are run (exec in a fresh namespace) and their ``output`` must equal the
numbers the page's own endpoint answers for the same set-up. The PyTorch scripts are parsed (no torch
here: benchmarks/torch_parity.py runs them) and checked for the calls they must make, and every
script passes ruff's PEP 8 and import checks.
"""

import ast
import contextlib
import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from app.export import literal, padding_sides, torch_state_dict
from app.presets import CONV_PRESETS, POOL_PRESETS
from engine.activations import ACTIVATIONS
from engine.model import Sequential
from engine.presets import PRESETS


def export(client, kind, setup, target="engine", lang="en"):
    answer = client.post(f"/api/export?lang={lang}", json={"kind": kind, "setup": setup, "target": target})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["kind"] == kind and body["target"] == target and body["filename"].endswith(f"_{target}.py")
    return body["code"]


def run(code, folder=None):
    """Execute a script as `python script.py` would (a fresh namespace, its prints captured); its globals."""
    namespace = {"__name__": "__main__"}
    here = os.getcwd()
    try:
        if folder:
            os.chdir(folder)
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            exec(compile(code, "exported.py", "exec"), namespace)  # noqa: S102 (the point of the test)
    finally:
        os.chdir(here)
    namespace["printed"] = printed.getvalue()
    return namespace


def pytorch(client, kind, setup):
    code = export(client, kind, setup, "pytorch")
    tree = ast.parse(code)
    imported = {
        alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "torch" in imported and not any(name and name.startswith(("engine", "app")) for name in imported)
    return flat(code)


def flat(code):
    """The code with its line breaks and indentation folded away (wrapped calls read as one line)."""
    text = re.sub(r"\s+", " ", code)
    return text.replace("( ", "(").replace("[ ", "[").replace(", )", ")").replace(", ]", "]").replace(" )", ")")


CONV_EXTRA = {
    "two filters, leaky relu, padding and dilation": {
        "input": [[[1, -2, 3, 0], [4, 5, -6, 1], [7, 8, 9, 2], [0, 1, 2, 3]]],
        "kernel": [[[[1, -1], [0.5, 2]]], [[[0, 1], [1, 0]]]],
        "bias": [0.25, -1],
        "stride": [1, 2],
        "padding": [1, 0],
        "dilation": 2,
        "activation": "leaky_relu",
        "activation_params": {"a": 0.1},
    },
    "elu with alpha": {
        "input": [[-3, -1, 0.5], [2, -0.25, 1], [0, 0, -2]],
        "kernel": [[1, 2], [-1, 0.5]],
        "activation": "elu",
        "activation_params": {"alpha": 0.7},
    },
}


@pytest.mark.parametrize("name", [*CONV_PRESETS, *CONV_EXTRA])
def test_the_engine_code_of_a_convolution_gives_the_page_its_numbers(client, name):
    setup = CONV_PRESETS.get(name) or CONV_EXTRA[name]
    expected = np.array(client.post("/api/conv", json=setup).json()["output"])
    got = run(export(client, "conv", setup))["output"]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", [*CONV_PRESETS, *CONV_EXTRA])
def test_the_pytorch_code_of_a_convolution_calls_conv2d_with_the_settings(client, name):
    setup = CONV_PRESETS.get(name) or CONV_EXTRA[name]
    code = pytorch(client, "conv", setup)
    stride = setup.get("stride", 1)
    assert "F.conv2d(" in code and f"stride={tuple(stride) if isinstance(stride, list) else stride}" in code
    if setup.get("activation") == "relu":
        assert "output = torch.relu(output)" in code
    if name == "two filters, leaky relu, padding and dilation":
        assert "F.leaky_relu(output, negative_slope=0.1)" in code and "padding=(1, 0)" in code
        assert "dilation=2" in code and "torch.tensor([0.25, -1], dtype=torch.float64)" in code


POOL_EXTRA = {
    "avg without the padding counted": {
        "input": [[1, 2], [3, 4]],
        "mode": "avg",
        "size": 2,
        "stride": 2,
        "padding": 1,
        "count_include_pad": False,
    },
    "avg ceil_mode, two channels": {
        "input": [[[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[0, -1, 2], [3, 1, 1], [2, 2, 5]]],
        "mode": "avg",
        "size": 2,
        "stride": 2,
        "ceil_mode": True,
    },
    "max 3x3 stride 2 padding 1": {
        "input": [[5, 1, 0, 2, 7], [1, 9, 3, 3, 1], [0, 2, 8, 1, 4], [6, 1, 2, 3, 0]],
        "mode": "max",
        "size": 3,
        "stride": 2,
        "padding": 1,
    },
}


@pytest.mark.parametrize("name", [*POOL_PRESETS, *POOL_EXTRA])
def test_the_engine_code_of_a_pooling_gives_the_page_its_numbers(client, name):
    setup = POOL_PRESETS.get(name) or POOL_EXTRA[name]
    expected = np.array(client.post("/api/pool", json=setup).json()["output"])
    got = run(export(client, "pool", setup))["output"]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_the_pytorch_code_of_a_pooling_names_its_options(client):
    code = pytorch(client, "pool", POOL_PRESETS["ceil"])
    assert all(
        piece in code
        for piece in ("F.max_pool2d(", "x.unsqueeze(0)", "kernel_size=2", "stride=2", "padding=0", "ceil_mode=True")
    )
    code = pytorch(client, "pool", POOL_EXTRA["avg without the padding counted"])
    assert "F.avg_pool2d(" in code and "count_include_pad=False" in code and "padding=1" in code
    # PyTorch's default, said out loud
    assert "count_include_pad=True" in pytorch(client, "pool", POOL_PRESETS["avg"])


ACTIVATION_SETUPS = [{"name": name} for name in ACTIVATIONS] + [
    {"name": "leaky_relu", "params": {"a": 0.2}, "xmin": -3, "xmax": 2, "n": 51, "depth": 7, "z": -0.5},
    {"name": "rrelu", "params": {"lower": 0.1, "upper": 0.3}},
    {"name": "maxout", "params": {"weights": [1, -1, 0.5], "biases": [0, 0.5, 1]}},
    {"name": "elu", "params": {"alpha": 2.5}, "z_mode": "steepest"},
]


@pytest.mark.parametrize("setup", ACTIVATION_SETUPS, ids=lambda s: s["name"] + str(len(s)))
def test_the_engine_code_of_an_activation_gives_the_page_its_curve_and_gradients(client, setup):
    answer = client.post("/api/activations", json=setup).json()
    ns = run(export(client, "activations", setup))
    np.testing.assert_array_equal(ns["x"], answer["x"])
    np.testing.assert_allclose(ns["output"], answer["f"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ns["df"], answer["df"], rtol=1e-12, atol=1e-15)
    if setup.get("z_mode") != "steepest":
        np.testing.assert_allclose(ns["gradient"], answer["gradient"]["gradient"], rtol=1e-12, atol=1e-300)


def test_the_pytorch_code_of_an_activation_uses_pytorchs_functions_and_autograd(client):
    calls = {
        "sigmoid": "torch.sigmoid(x)",
        "tanh": "torch.tanh(x)",
        "relu": "torch.relu(x)",
        "leaky_relu": "F.leaky_relu(x, negative_slope=0.01)",
        "elu": "F.elu(x, alpha=1)",
        "prelu": "F.prelu(x, torch.full((1,), 0.25, dtype=x.dtype))",
        "rrelu": "F.rrelu(x, lower=0.125, upper=0.3333333333333333, training=False)",
        "softplus": "F.softplus(x, beta=",
        "gelu": "F.gelu(x, approximate=",
        "silu": "F.silu(x)",
        "maxout": "torch.stack([w * x + b for w, b in MAXOUT_LINES]).amax(dim=0)",
    }
    assert set(calls) == set(ACTIVATIONS)
    for name, call in calls.items():
        code = pytorch(client, "activations", {"name": name})
        assert f"f = {call}" in code, name
        assert "torch.linspace(-6, 6, 241, dtype=torch.float64, requires_grad=True)" in code
        assert "torch.autograd.grad(f.sum(), x)" in code


@pytest.mark.parametrize(
    "setup",
    [
        {"image": "digit-3", "kernel": [[-1, 1]]},
        {"image": "camera", "kernel": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "bias": 0.5, "stride": 2, "padding": 1},
        {"image": [[0, 10.5, 20], [30, 40, 50], [60, 70, 80.25]], "kernel": [[1, 2], [3, 4]], "dilation": 1},
        {"image": "digit-3", "kernel": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "padding": 1, "padding_mode": "reflect"},
    ],
    ids=["digit", "photo sobel", "upload", "reflect padding"],
)
def test_the_engine_code_of_an_image_filter_gives_the_page_its_feature_map(client, setup):
    answer = client.post("/api/filter", json=setup).json()
    ns = run(export(client, "filters", setup))
    np.testing.assert_array_equal(np.round(ns["output"].astype(np.float64), 4), answer["output"])
    assert ns["cost"].as_dict() == answer["cost"]
    code = pytorch(client, "filters", setup)
    assert "F.conv2d(x, kernel[None, None], bias" in code and "x = image[None, None]" in code
    if setup.get("padding_mode"):  # the page's padding mode, never dropped: PyTorch pads first
        assert "x = F.pad(x, (1, 1, 1, 1), mode='reflect')" in code and "padding=0" in code


@pytest.mark.parametrize(
    "setup",
    [{}, {"updates": 3}, {"x1": 2, "w11": -1, "b1": 0.1, "w21": 0.5, "b2": -3, "label": 1, "lr": 0.5}],
    ids=["notes", "3 updates", "dead"],
)
def test_the_engine_code_of_the_backprop_walkthrough_gives_the_page_its_numbers(client, setup):
    values = client.post("/api/backprop", json=setup).json()["values"]
    ns = run(export(client, "backprop", setup))
    assert ns["output"] == {k: values[k] for k in ns["output"]} and len(ns["output"]) == 10
    code = pytorch(client, "backprop", setup)
    assert "torch.optim.SGD(" in code and "J.backward()" in code


CUSTOM_NETWORKS = {
    "every simple layer": [
        {"type": "conv", "filters": 4, "kernel": [3, 2], "stride": 2, "padding": [1, 0], "dilation": 1, "bias": False},
        {"type": "leaky_relu", "a": 0.2},
        {"type": "avgpool", "size": 2, "stride": 1, "padding": 1, "ceil_mode": True, "count_include_pad": False},
        {"type": "prelu", "mode": "channel"},
        {"type": "conv", "filters": 6, "kernel": 3, "dilation": 2},
        {"type": "maxout", "k": 2},
        {"type": "elu", "alpha": 0.5},
        {"type": "maxpool", "size": 3, "stride": 2},
        {"type": "flatten"},
        {"type": "dropout", "p": 0.3},
        {"type": "dense", "units": 12},
        {"type": "gelu"},
        {"type": "softplus"},
        {"type": "silu"},
        {"type": "tanh"},
        {"type": "rrelu"},
        {"type": "dense", "units": 10, "bias": False},
        {"type": "sigmoid"},
    ],
}


@pytest.mark.parametrize("name", [*PRESETS, *CUSTOM_NETWORKS])
def test_the_engine_code_of_a_network_gives_the_builder_its_shapes_and_parameter_counts(client, name):
    setup = {"preset": name} if name in PRESETS else {"layers": CUSTOM_NETWORKS[name]}
    check = client.post("/api/networks/check", json=setup).json()
    assert check["ok"], check
    ns = run(export(client, "network", setup))
    assert [(r["name"], r["output_shape"], r["params"]) for r in ns["summary"]] == [
        (r["name"], r["output_shape"], r["params"]) for r in check["layers"]
    ]
    assert ns["model"].num_params == check["total_params"] and ns["output"].shape == (1, 10)


def test_the_pytorch_code_of_a_network_is_an_nn_sequential_named_as_the_builder_names_layers(client):
    code = pytorch(client, "network", {"preset": "lenet5"})
    for line in (
        "('conv1', nn.Conv2d(1, 6, kernel_size=5, padding=2)),",
        "('relu1', nn.ReLU()),",
        "('pool1', nn.MaxPool2d(kernel_size=2)),",
        "('conv2', nn.Conv2d(6, 16, kernel_size=5)),",
        "('flatten', nn.Flatten()),",
        "('dense1', nn.Linear(400, 120)),",
        "('dense3', nn.Linear(84, 10)),",
    ):
        assert line.rstrip(",") in code
    assert "model.eval()" in code and "x = torch.zeros(1, 1, 28, 28)" in code
    code = pytorch(client, "network", {"layers": CUSTOM_NETWORKS["every simple layer"]})
    for piece in (
        "nn.Conv2d(1, 4, kernel_size=(3, 2), stride=2, padding=(1, 0), bias=False)",
        "nn.LeakyReLU(negative_slope=0.2)",
        "nn.AvgPool2d(kernel_size=2, stride=1, padding=1, ceil_mode=True, count_include_pad=False)",
        "nn.PReLU(num_parameters=4, init=0.25)",
        "nn.Conv2d(4, 6, kernel_size=3, dilation=2)",
        "('maxout1', Maxout(2))",
        "class Maxout(nn.Module):",
        "nn.ELU(alpha=0.5)",
        "nn.MaxPool2d(kernel_size=3, stride=2)",
        "nn.Dropout(p=0.3)",
        "nn.GELU(approximate=",
        "nn.Softplus(beta=1, threshold=20)",
        "nn.SiLU()",
        "nn.Tanh()",
        "nn.RReLU(lower=0.125, upper=",
        "nn.Linear(12, 10, bias=False)",
        "nn.Sigmoid()",
    ):
        assert piece in code, piece


def test_a_trained_model_exports_with_its_weights_and_its_engine_code_predicts_as_the_draw_page(client, tmp_path):
    from app import samples

    for target in ("engine", "pytorch"):
        answer = client.post(
            "/api/export", json={"kind": "model", "setup": {"model": "lenet5", "image": "digit-7"}, "target": target}
        ).json()
        weights = client.get(answer["weights"]["url"])
        assert weights.status_code == 200 and weights.headers["content-type"] == "application/octet-stream"
        (tmp_path / answer["weights"]["filename"]).write_bytes(weights.content)
        assert f"np.load({answer['weights']['filename']!r})" in answer["code"] or target == "engine"
    ns = run(export(client, "model", {"model": "lenet5", "image": "digit-7"}), tmp_path)
    image = (samples.load("digit-7") / 255).tolist()
    predicted = client.post("/api/predict", json={"image": image, "model": "lenet5", "preprocess": False}).json()
    np.testing.assert_allclose(ns["output"], predicted["probabilities"], rtol=1e-6, atol=1e-9)
    assert int(np.argmax(ns["output"])) == predicted["prediction"] == 7

    # The PyTorch weights: PyTorch's names and layouts (nn.Linear's weight is (out, in)).
    engine = Sequential.load("app/pretrained/lenet5.npz")
    with np.load(tmp_path / "lenet5-pytorch.npz") as state:
        assert sorted(state) == sorted(
            f"{layer}.{p}" for layer in ("conv1", "conv2", "dense1", "dense2", "dense3") for p in ("weight", "bias")
        )
        np.testing.assert_array_equal(state["conv1.weight"], engine.params["conv1.W"])
        assert state["conv1.weight"].shape == (6, 1, 5, 5) and state["dense1.weight"].shape == (120, 400)
        np.testing.assert_array_equal(state["dense1.weight"], engine.params["dense1.W"].T)
        np.testing.assert_array_equal(state["dense3.bias"], engine.params["dense3.b"])
    code = pytorch(client, "model", {"model": "lenet5"})
    assert "model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})" in code
    assert "torch.softmax(model(x).double(), dim=1)" in code


def test_the_pytorch_state_dict_of_a_model_with_a_prelu_and_no_biases():
    model = Sequential.from_spec(
        {
            "input": [2, 6, 6],
            "layers": [
                {"type": "conv", "filters": 3, "kernel": 3, "bias": False},
                {"type": "prelu", "mode": "channel"},
                {"type": "flatten"},
                {"type": "dense", "units": 4},
            ],
        }
    )
    state = torch_state_dict(model)
    assert {k: v.shape for k, v in state.items()} == {
        "conv1.weight": (3, 2, 3, 3),
        "prelu1.weight": (3,),
        "dense1.weight": (4, 48),
        "dense1.bias": (4,),
    }


def test_every_script_is_pep8_and_deterministic(client, tmp_path):
    setups = [
        ("conv", CONV_EXTRA["two filters, leaky relu, padding and dilation"]),
        ("pool", POOL_PRESETS["ceil"]),
        ("activations", {"name": "maxout"}),
        ("filters", {"image": "astronaut", "kernel": [[1, 0], [0, -1]]}),
        ("backprop", {"updates": 1}),
        ("network", {"preset": "lenet5"}),
        ("network", {"layers": CUSTOM_NETWORKS["every simple layer"]}),
        ("model", {}),
    ]
    files = []
    for i, (kind, setup) in enumerate(setups):
        for target in ("pytorch", "engine"):
            code = export(client, kind, setup, target)
            assert code == export(client, kind, setup, target)  # the same set-up, the same text
            assert code.endswith("\n") and not code.endswith("\n\n")
            path = tmp_path / f"script_{i}_{target}.py"
            path.write_text(code)
            files.append(str(path))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--isolated",
            "--line-length",
            "79",
            "--select",
            "E,W,F,I",
            *files,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_bad_requests_are_refused_in_the_users_language(client):
    def refused(body, lang):
        answer = client.post(f"/api/export?lang={lang}", json=body)
        assert answer.status_code == 422, answer.text
        return answer.json()

    for lang in ("en", "zh"):
        kind = refused({"kind": "nope", "setup": {}}, lang)
        assert "nope" in kind["detail"] and kind["code"] == "invalid_request"
        target = refused({"kind": "conv", "setup": CONV_PRESETS["basic"], "target": "tensorflow"}, lang)
        assert "tensorflow" in target["detail"]
        extra = refused({"kind": "conv", "setup": CONV_PRESETS["basic"], "format": "py"}, lang)
        assert "format" in extra["detail"]
        # a set-up the lab refuses is refused here with the lab's own code and message
        big = {"input": [[1, 2], [3, 4]], "kernel": [[1, 2, 3], [4, 5, 6], [7, 8, 9]]}
        lab = client.post(f"/api/conv?lang={lang}", json=big).json()
        answer = refused({"kind": "conv", "setup": big}, lang)
        assert (answer["code"], answer["detail"]) == (lab["code"], lab["detail"])
        missing = refused({"kind": "pool", "setup": {"mode": "max"}}, lang)
        assert missing["errors"][0]["loc"] == ["body", "input"]
        assert refused({"kind": "model", "setup": {"model": "no-such-model"}}, lang)["code"] == "unknown_model"
        assert (
            refused({"kind": "network", "setup": {"layers": [{"type": "dense", "units": 10}]}}, lang)["code"]
            == "needs_vector"
        )
        assert refused({"kind": "activations", "setup": {"name": "swish2"}}, lang)["code"] == "unknown_activation"
        if lang == "zh":
            assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["detail"] + missing["detail"])
    assert client.get("/api/export/weights/no-such-model").status_code == 422
    assert client.get("/api/export/weights/lenet5?target=onnx").status_code == 422


def test_literals_wrap_and_read_back_exactly():
    values = np.random.default_rng(0).standard_normal((3, 17)).tolist()
    text = literal(values, 4)
    assert max(len(line) for line in text.splitlines()) + 4 <= 79
    assert ast.literal_eval(text) == values  # repr of a float reads back as the same float
    assert literal([[1.0, 2.5], [-0.0, 3]]) == "[[1, 2.5], [0, 3]]"


def test_padding_sides_follow_pytorch():
    assert padding_sides("same", (4, 3)) == (1, 2, 1, 1)  # even kernel: the extra row at the bottom
    assert padding_sides("same", (3, 3), (2, 1)) == (2, 2, 1, 1)
    assert padding_sides("valid", (3, 3)) == (0, 0, 0, 0)
    assert padding_sides([1, 2], (3, 3)) == (1, 1, 2, 2)
    assert padding_sides({"top": 1, "right": 3}, (3, 3)) == (1, 0, 0, 3)


# ---- the layers and options other parts of issue 10 add (written from the agreed spec) ----------------


class Stub:
    """An engine layer as the exporter reads it: type, name, config() and params."""

    def __init__(self, type, name, params=None, **config):
        self.type, self.name, self.params, self._config = type, name, params or {}, config
        for key, value in config.items():  # (a built layer keeps its settings as attributes: paths, ...)
            setattr(self, key, value)

    def config(self):
        return self._config


class StubModel:
    def __init__(self, *layers, input_shape=(3, 8, 8)):
        self.layers, self.input_shape = list(layers), input_shape


def stub_network_code(*layers):
    from app.export import HELPER_CLASSES, torch_model_source

    source, classes = torch_model_source(StubModel(*layers))
    code = "".join(HELPER_CLASSES[c] for c in sorted(classes)) + source
    ast.parse("import torch\nfrom torch import nn\nfrom collections import OrderedDict\n" + code)
    return flat(code)


def test_the_new_layers_are_written_as_pytorch_modules():
    w = np.zeros((4, 3, 3, 3), np.float32)
    code = stub_network_code(
        Stub(
            "conv",
            "conv1",
            {"W": np.zeros((6, 1, 3, 3))},
            filters=6,
            kernel=3,
            stride=1,
            padding=1,
            dilation=1,
            bias=True,
            groups=3,
            padding_mode="reflect",
        ),
        Stub(
            "conv",
            "conv2",
            {"W": w, "b": np.zeros(4)},
            filters=4,
            kernel=3,
            stride=1,
            padding={"top": 1, "bottom": 0, "left": 2, "right": 1},
            dilation=1,
            bias=True,
            padding_mode="zeros",
        ),
        Stub(
            "conv_transpose",
            "deconv1",
            {"W": np.zeros((4, 5, 2, 2)), "b": np.zeros(5)},
            filters=5,
            kernel=2,
            stride=2,
            padding=0,
            output_padding=1,
            dilation=1,
            bias=True,
        ),
        Stub("batchnorm2d", "bn1", {"gamma": np.ones(5), "beta": np.zeros(5)}, momentum=0.2, eps=1e-3, affine=True),
        Stub(
            "branches",
            "mixed1",
            merge="concat",
            paths=[
                [
                    Stub(
                        "conv",
                        None,
                        {"W": np.zeros((2, 5, 1, 1))},
                        filters=2,
                        kernel=1,
                        stride=1,
                        padding=0,
                        dilation=1,
                        bias=False,
                    )
                ],
                [],
                [Stub("maxpool", "p", size=3, stride=1, padding=1, ceil_mode=False), Stub("relu", "r")],
            ],
        ),
        Stub("gelu", "gelu1", approximate="none"),
        Stub("softplus", "softplus1", beta=2, threshold=10),
        Stub("batchnorm1d", "bn2", {}, affine=False, running_mean=np.zeros(7)),
    )
    for piece in (
        "('conv1', nn.Conv2d(3, 6, kernel_size=3, padding=1, padding_mode='reflect', groups=3))",
        "('conv2_pad', nn.ZeroPad2d((2, 1, 1, 0)))",
        "('conv2', nn.Conv2d(3, 4, kernel_size=3))",
        "('deconv1', nn.ConvTranspose2d(4, 5, kernel_size=2, stride=2, output_padding=1))",
        "('bn1', nn.BatchNorm2d(5, eps=0.001, momentum=0.2))",
        (
            "('mixed1', Branches('concat', nn.Sequential(OrderedDict([('conv1', nn.Conv2d(5, 2, kernel_size=1, "
            "bias=False))])), nn.Sequential(), nn.Sequential(OrderedDict([('p', nn.MaxPool2d(kernel_size=3, "
            "stride=1, padding=1)), ('r', nn.ReLU())]))))"
        ),
        "class Branches(nn.Module):",
        "('gelu1', nn.GELU(approximate='none'))",
        "('softplus1', nn.Softplus(beta=2, threshold=10))",
        "('bn2', nn.BatchNorm1d(7, affine=False))",
    ):
        assert piece in code, piece


def test_the_new_layers_parameters_get_pytorchs_names():
    """A real engine model with a transposed convolution, batch norm and a branches layer: its parameters
    and batch norm's running statistics under PyTorch's state_dict names and shapes."""
    from engine.model import Sequential

    model = Sequential.from_spec(
        {
            "input": [3, 4, 4],
            "layers": [
                {"type": "conv_transpose", "filters": 4, "kernel": 2, "stride": 2},
                {"type": "batchnorm2d"},
                {"type": "branches", "merge": "concat", "paths": [[{"type": "conv", "filters": 2, "kernel": 1}], []]},
            ],
        }
    )
    bn = model.layers[1]
    bn.buffers["running_mean"][:] = np.arange(4.0)
    bn.buffers["running_var"][:] = 4.0
    state = torch_state_dict(model)
    assert {k: v.shape for k, v in state.items()} == {
        "conv_transpose1.weight": (3, 4, 2, 2),
        "conv_transpose1.bias": (4,),
        "bn1.weight": (4,),
        "bn1.bias": (4,),
        "bn1.running_mean": (4,),
        "bn1.running_var": (4,),
        "bn1.num_batches_tracked": (),
        "branches1.paths.0.conv1.weight": (2, 4, 1, 1),
        "branches1.paths.0.conv1.bias": (2,),
    }
    np.testing.assert_array_equal(state["bn1.running_var"], [4, 4, 4, 4])
    np.testing.assert_array_equal(state["bn1.running_mean"], [0, 1, 2, 3])
    np.testing.assert_array_equal(state["conv_transpose1.weight"], model.params["conv_transpose1.W"])
    np.testing.assert_array_equal(state["branches1.paths.0.conv1.weight"], model.params["branches1.path1.conv1.W"])


def test_the_new_convolution_options_in_the_lab_code():
    from app.export import export as write

    base = {"input": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "kernel": [[1, 0], [0, 1]]}
    code = flat(
        write(
            "conv",
            {**base, "padding": {"top": 1, "bottom": 0, "left": 0, "right": 2}, "padding_mode": "circular"},
            "pytorch",
        )
    )
    assert "x = F.pad(x, (0, 2, 1, 0), mode='circular')" in code and "padding=0" in code
    code = flat(write("conv", {**base, "padding": "same"}, "pytorch"))
    assert "padding='same'" in code and "F.pad" not in code
    code = flat(write("conv", {**base, "padding": "same", "padding_mode": "replicate"}, "pytorch"))
    assert "x = F.pad(x, (0, 1, 0, 1), mode='replicate')" in code  # PyTorch's: the odd one right and below
    code = flat(write("conv", {**base, "padding": 1, "padding_mode": "reflect", "groups": 1}, "engine"))
    assert "padding_mode='reflect'" in code and "groups" not in code
    code = flat(write("conv", {"input": [[[1.0]], [[2.0]]], "kernel": [[[[3.0]]], [[[4.0]]]], "groups": 2}, "pytorch"))
    assert "groups=2" in code
    code = (
        flat(write("activations", {"name": "gelu", "params": {"approximate": "none"}}, "pytorch"))
        if "approximate" in __import__("engine.activations").activations.check_params("gelu", {})
        else ""
    )
    assert code == "" or "F.gelu(x, approximate='none')" in code


def test_a_models_script_classifies_the_digit_the_page_sends(client, tmp_path):
    """The draw page sends the 28 x 28 image the network saw (`input28`); the script carries it in 8-bit
    pixels: for an image already in 8-bit steps, its probabilities are the page's."""
    rng = np.random.default_rng(3)
    image = (np.round(rng.random((28, 28)) * 255) * (rng.random((28, 28)) < 0.25) / 255).tolist()
    answer = client.post("/api/export", json={"kind": "model", "setup": {"image": image}, "target": "engine"}).json()
    assert "the digit the page last showed" in answer["code"]
    (tmp_path / answer["weights"]["filename"]).write_bytes(client.get(answer["weights"]["url"]).content)
    ns = run(answer["code"], tmp_path)
    predicted = client.post("/api/predict", json={"image": image, "preprocess": False}).json()
    np.testing.assert_allclose(ns["output"], predicted["probabilities"], rtol=1e-5, atol=1e-9)
    wrong = client.post("/api/export", json={"kind": "model", "setup": {"image": [[0.5] * 20] * 20}})
    assert wrong.status_code == 422 and wrong.json()["code"] == "needs_28x28"
