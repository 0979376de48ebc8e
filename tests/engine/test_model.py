"""Models from specs: shapes, parameter counts, explanations of impossible specs, saving, training
basics (a tiny network overfits a tiny batch; one seed gives one run)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from engine.errors import EngineError
from engine.model import FORMAT_VERSION, Sequential, check_spec, make_layer, upgrade_spec
from engine.presets import PRESETS, preset


def test_lenet5_shapes_and_parameter_count():
    model = Sequential.from_spec(preset("lenet5"))
    rows = model.summary()
    shapes = [r["output_shape"] for r in rows]
    assert shapes[:6] == [[6, 28, 28], [6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 10, 10], [16, 5, 5]]
    assert shapes[-1] == [10]
    # LeNet-5's well-known count: 156 + 2416 + 48120 + 10164 + 850
    assert model.num_params == 61706 == sum(r["params"] for r in rows)
    assert rows[0]["dense_params"] == (28 * 28 + 1) * 6 * 28 * 28
    assert set(model.params) == {f"{n}.{k}" for n in ("conv1", "conv2", "dense1", "dense2", "dense3") for k in "Wb"}


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_build_and_run(name):
    model = Sequential.from_spec(preset(name))
    assert model.forward(np.zeros((2, 1, 28, 28), np.float32)).shape == (2, 10)


def test_impossible_spec_is_explained_in_words():
    spec = {
        "input": [1, 8, 8],
        "layers": [{"type": "conv", "filters": 2, "kernel": 5}, {"type": "conv", "filters": 2, "kernel": 5}],
    }
    with pytest.raises(EngineError) as e:
        Sequential.from_spec(spec)
    assert e.value.code == "kernel_too_big"
    assert str(e.value).startswith("conv2: a 5x5 kernel does not fit a 4x4 input with padding 0")


@pytest.mark.parametrize(
    "layers,code",
    [
        ([{"type": "banana"}], "unknown_layer"),
        ([{"type": "conv", "filters": 2, "kernal": 3}], "unknown_setting"),
        ([{"type": "dense", "units": 10}], "needs_vector"),
        ([{"type": "flatten"}, {"type": "maxpool"}], "needs_image"),
        ([{"type": "conv", "filters": 0}], "bad_setting"),
        ([{"type": "dropout", "p": 1.5}], "bad_dropout"),
        ([], "empty_network"),
        (["conv"], "bad_layer_entry"),
        ([{"type": ["conv"]}], "unknown_layer"),  # a type that is not text
        ([{"type": "flatten", "name": 5}], "bad_layer_name"),
        ([{"type": "flatten", "name": "a.W"}], "bad_layer_name"),  # '.' separates "conv1.W"
        ([{"type": "relu", "name": "a"}, {"type": "flatten", "name": "a"}], "duplicate_layer_name"),
        ([{"type": "conv", "filters": 2, "bias": "yes"}], "bad_flag"),
        ([{"type": "flatten"}, {"type": "dense", "units": 2, "bias": float("nan")}], "bad_flag"),
    ],
)
def test_bad_specs(layers, code):
    with pytest.raises(EngineError) as e:
        Sequential.from_spec({"input": [1, 8, 8], "layers": layers})
    assert e.value.code == code and str(e.value)


def test_spec_round_trip_and_atomic_save(tmp_path):
    model = Sequential.from_spec(preset("notes"), seed=3)
    assert json.loads(json.dumps(model.spec)) == model.spec
    again = Sequential.from_spec(model.spec, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(model.params.values(), again.params.values()))
    path = model.save(tmp_path / "m.npz", metadata={"test_accuracy": 0.5})
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temporary file left behind
    assert path.stat().st_mode & 0o644 == 0o644  # readable by others, as any saved file
    loaded = Sequential.load(path)
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    assert np.array_equal(loaded.forward(x), model.forward(x))
    assert loaded.metadata == {"test_accuracy": 0.5}
    (tmp_path / "bad.npz").write_bytes(b"not a model")
    with pytest.raises(EngineError):
        Sequential.load(tmp_path / "bad.npz")


GELU_NET = {
    "input": [1, 6, 6],
    "layers": [
        {"type": "conv", "filters": 2, "kernel": 3},
        {"type": "gelu"},
        {"type": "flatten"},
        {"type": "dense", "units": 3},
        {"type": "softplus", "beta": 2.0, "threshold": 5.0},
        {"type": "dense", "units": 2},
    ],
}


def _old_format_file(model, path):
    """A file as Sequential.save wrote it before format 2: no __format__ entry, and GELU layers
    without an ``approximate`` setting (the engine's only GELU was then the tanh form)."""
    spec = model.spec
    for entry in spec["layers"]:
        if entry["type"] == "gelu":
            del entry["approximate"]
        if entry["type"] == "softplus":
            del entry["beta"], entry["threshold"]
    arrays = dict(model.params)
    arrays["__spec__"] = np.array(json.dumps(spec))
    arrays["__metadata__"] = np.array(json.dumps({"epochs": 1}))
    np.savez(path, **arrays)
    return path


def test_gelu_and_softplus_settings_are_saved_and_loaded(tmp_path):
    model = Sequential.from_spec(GELU_NET, seed=1)
    assert model.spec["layers"][1] == {"type": "gelu", "name": "gelu1", "approximate": "none"}
    assert model.spec["layers"][4] == {"type": "softplus", "name": "softplus1", "beta": 2.0, "threshold": 5.0}
    path = model.save(tmp_path / "new.npz")
    with np.load(path) as data:
        assert int(data["__format__"]) == FORMAT_VERSION == 2
    loaded = Sequential.load(path)
    assert loaded.spec == model.spec and loaded.layer("gelu1").approximate == "none"
    x = np.random.default_rng(0).standard_normal((4, 1, 6, 6)).astype(np.float32)
    assert np.array_equal(loaded.forward(x), model.forward(x))


def test_a_model_saved_before_format_2_keeps_its_tanh_gelu(tmp_path):
    """Models trained when GELU meant the tanh approximation answer exactly as they did then."""
    tanh_model = Sequential.from_spec(
        {
            **GELU_NET,
            "layers": [{**e, "approximate": "tanh"} if e["type"] == "gelu" else e for e in GELU_NET["layers"]],
        },
        seed=1,
    )
    path = _old_format_file(tanh_model, tmp_path / "old.npz")
    loaded = Sequential.load(path)
    assert loaded.layer("gelu1").approximate == "tanh"
    assert loaded.layer("softplus1").beta == 1.0 and loaded.layer("softplus1").threshold == 20.0
    assert loaded.metadata == {"epochs": 1}
    x = np.random.default_rng(0).standard_normal((4, 1, 6, 6)).astype(np.float32)
    reference = Sequential.from_spec(
        {
            **GELU_NET,
            "layers": [
                {**e, "approximate": "tanh"}
                if e["type"] == "gelu"
                else {"type": "softplus"}
                if e["type"] == "softplus"
                else e
                for e in GELU_NET["layers"]
            ],
        },
        seed=1,
    )
    for name, value in tanh_model.params.items():
        reference.params[name][...] = value
    assert np.array_equal(loaded.forward(x), reference.forward(x))
    # Saved again, it is a format-2 file that says so.
    again = Sequential.load(loaded.save(tmp_path / "again.npz"))
    assert again.spec["layers"][1]["approximate"] == "tanh"
    # A spec written today without "approximate" means PyTorch's default, the exact GELU.
    assert Sequential.from_spec(GELU_NET).layer("gelu1").approximate == "none"


def test_upgrade_spec_touches_only_old_gelu_entries():
    old = {"input": [1, 4, 4], "layers": [{"type": "gelu"}, {"type": "gelu", "approximate": "none"}, {"type": "relu"}]}
    assert upgrade_spec(old, 1)["layers"] == [
        {"type": "gelu", "approximate": "tanh"},
        {"type": "gelu", "approximate": "none"},
        {"type": "relu"},
    ]
    assert old["layers"][0] == {"type": "gelu"}  # the argument is left as it was
    assert upgrade_spec([{"type": "gelu"}], 1) == [{"type": "gelu", "approximate": "tanh"}]
    assert upgrade_spec(old, 2) is old
    assert upgrade_spec("junk", 1) == "junk" and upgrade_spec({"layers": 3}, 1) == {"layers": 3}


def test_a_file_from_a_newer_format_is_refused(tmp_path):
    model = Sequential.from_spec(GELU_NET, seed=1)
    arrays = {**model.params, "__spec__": np.array(json.dumps(model.spec)), "__format__": np.array(3)}
    np.savez(tmp_path / "future.npz", **arrays)
    with pytest.raises(EngineError) as e:
        Sequential.load(tmp_path / "future.npz")
    assert e.value.code == "bad_model_file" and "format 3" in str(e.value)
    arrays["__format__"] = np.array("two")
    np.savez(tmp_path / "broken.npz", **arrays)
    with pytest.raises(EngineError) as e:
        Sequential.load(tmp_path / "broken.npz")
    assert e.value.code == "bad_model_file"


def test_relu_pool_reordering_changes_nothing():
    """The model runs max-pool before ReLU for speed; the answer equals the declared order's."""
    model = Sequential.from_spec(preset("lenet5"), seed=0, dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((4, 1, 28, 28))
    declared = model.activations(x)[-1][1]
    assert [l.type for l in model._order][:3] == ["conv", "maxpool", "relu"]
    np.testing.assert_allclose(model.forward(x), declared, rtol=1e-12)


def test_tiny_network_overfits_a_tiny_batch():
    from engine.losses import SoftmaxCrossEntropy
    from engine.optim import make_optimizer

    model = Sequential.from_spec(preset("tiny"), seed=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 16)
    loss_fn, opt = SoftmaxCrossEntropy(), make_optimizer("adam", 0.01)
    first = None
    for _ in range(150):
        loss = loss_fn.forward(model.forward(x, train=True), y)
        first = loss if first is None else first
        model.backward(loss_fn.backward())
        opt.step(model.params, model.grads)
    assert first > 1.5 and loss < 0.01
    assert np.array_equal(model.forward(x).argmax(1), y)


def test_importing_engine_imports_no_web_framework():
    code = (
        "import sys, engine, engine.model, engine.train, engine.data, engine.reference, engine.fast, "
        "engine.activations, engine.presets; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'pydantic', 'uvicorn', 'jinja2', 'app', 'httpx')]; print(bad); assert not bad"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_backward_gives_the_input_gradient_only_when_asked():
    """input_grad=True returns d(loss)/d(input) as (N, C, H, W), checked by finite differences, and
    leaves the first layer skipping it again for training."""
    from engine.gradcheck import numerical_gradient, relative_error

    model = Sequential.from_spec(preset("tiny"), seed=2, dtype=np.float64)
    x = np.random.default_rng(4).standard_normal((2, 1, 28, 28))
    r = np.random.default_rng(5).standard_normal((2, 10))
    model.forward(x)
    assert model.backward(r) is None
    model.forward(x)
    dx = model.backward(r, input_grad=True)
    assert dx.shape == x.shape and model.layers[0].input_grad is False
    sample = x[:, :, 10:13, 10:13].copy()

    def loss(patch):
        y = x.copy()
        y[:, :, 10:13, 10:13] = patch
        return float(np.sum(model.forward(y) * r))

    assert relative_error(dx[:, :, 10:13, 10:13], numerical_gradient(loss, sample, eps=1e-5)) < 1e-6


def test_networks_with_floor_sizes_build_and_train():
    """Strides that leave a remainder round down, as in PyTorch: the issue's network check
    (conv 8@3x3 stride 2 padding 1 on 28x28: floor((28 + 2 - 2 - 1) / 2) + 1 = 14) and a pooling
    with ceil_mode (7x7, 2x2: ceil(5 / 2) + 1 = 4) build, and a training step lowers the loss."""
    from engine.losses import SoftmaxCrossEntropy
    from engine.optim import SGD

    model = Sequential.from_spec(
        {
            "input": [1, 28, 28],
            "layers": [
                {"type": "conv", "filters": 8, "kernel": 3, "stride": 2, "padding": 1},
                {"type": "relu"},
                {"type": "conv", "filters": 4, "kernel": 3, "stride": 2},  # floor((14 - 3) / 2) + 1 = 6
                {"type": "maxpool", "size": 4, "stride": 4, "ceil_mode": True},  # ceil((6 - 4) / 4) + 1 = 2
                {
                    "type": "avgpool",
                    "size": 2,
                    "stride": 1,
                    "padding": 1,
                    "count_include_pad": False,
                },  # (2 + 2 - 2) + 1 = 3
                {"type": "flatten"},
                {"type": "dense", "units": 10},
            ],
        },
        seed=0,
        dtype=np.float64,
    )
    assert [s[1:] for s in model.shapes[:5]] == [(14, 14), (14, 14), (6, 6), (2, 2), (3, 3)]
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 1, 28, 28)), rng.integers(0, 10, 8)
    loss, opt = SoftmaxCrossEntropy(), SGD(lr=0.05)
    first = loss.forward(model.forward(x, train=True), y)
    for _ in range(5):
        loss.forward(model.forward(x, train=True), y)
        model.backward(loss.backward())
        opt.step(model.params, model.grads)
    assert loss.forward(model.forward(x), y) < first


def test_the_notes_alexnet_first_layer():
    """224x224x3, 96 kernels of 11x11, stride 4, padding 2: floor((224 + 4 - 11) / 4) + 1 = 55."""
    model = Sequential.from_spec(
        {"input": [3, 224, 224], "layers": [{"type": "conv", "filters": 96, "kernel": 11, "stride": 4, "padding": 2}]}
    )
    assert model.shapes[0] == (96, 55, 55)
    assert model.num_params == 96 * (3 * 11 * 11 + 1)


def test_pooling_options_are_saved_in_the_spec_and_checked():
    model = Sequential.from_spec([{"type": "avgpool", "size": 2, "ceil_mode": True, "count_include_pad": False}])
    assert model.spec["layers"][0] == {
        "type": "avgpool",
        "name": "pool1",
        "size": 2,
        "stride": None,
        "padding": 0,
        "ceil_mode": True,
        "count_include_pad": False,
    }
    for bad in ({"type": "maxpool", "ceil_mode": 1}, {"type": "avgpool", "count_include_pad": "no"}):
        with pytest.raises(EngineError) as e:
            Sequential.from_spec([bad])
        assert e.value.code == "bad_flag"
    with pytest.raises(EngineError) as e:  # max pooling has no divisor: PyTorch's MaxPool2d takes no such option
        Sequential.from_spec([{"type": "maxpool", "count_include_pad": False}])
    assert e.value.code == "unknown_setting" and "count_include_pad" in str(e.value)


def test_the_whole_alexnet_as_torchvision_builds_it():
    """AlexNet (torchvision's single-GPU version of the notes' network) on 3x224x224: every output shape
    from the floor formula and every parameter count from F·(C·k·k + 1) and (inputs + 1)·units, written out."""
    spec = {
        "input": [3, 224, 224],
        "layers": [
            {"type": "conv", "filters": 64, "kernel": 11, "stride": 4, "padding": 2},
            {"type": "relu"},
            {"type": "maxpool", "size": 3, "stride": 2},
            {"type": "conv", "filters": 192, "kernel": 5, "padding": 2},
            {"type": "relu"},
            {"type": "maxpool", "size": 3, "stride": 2},
            {"type": "conv", "filters": 384, "kernel": 3, "padding": 1},
            {"type": "relu"},
            {"type": "conv", "filters": 256, "kernel": 3, "padding": 1},
            {"type": "relu"},
            {"type": "conv", "filters": 256, "kernel": 3, "padding": 1},
            {"type": "relu"},
            {"type": "maxpool", "size": 3, "stride": 2},
            {"type": "flatten"},
            {"type": "dropout", "p": 0.5},
            {"type": "dense", "units": 4096},
            {"type": "relu"},
            {"type": "dropout", "p": 0.5},
            {"type": "dense", "units": 4096},
            {"type": "relu"},
            {"type": "dense", "units": 1000},
        ],
    }
    model = Sequential.from_spec(spec)
    rows = {row["name"]: row for row in model.summary()}
    expected = {  # name: (output shape, parameters)
        "conv1": ([64, 55, 55], 64 * (3 * 11 * 11 + 1)),  # floor((224 + 4 - 11) / 4) + 1 = 55
        "pool1": ([64, 27, 27], 0),  # floor((55 - 3) / 2) + 1 = 27
        "conv2": ([192, 27, 27], 192 * (64 * 5 * 5 + 1)),
        "pool2": ([192, 13, 13], 0),
        "conv3": ([384, 13, 13], 384 * (192 * 3 * 3 + 1)),
        "conv4": ([256, 13, 13], 256 * (384 * 3 * 3 + 1)),
        "conv5": ([256, 13, 13], 256 * (256 * 3 * 3 + 1)),
        "pool3": ([256, 6, 6], 0),
        "dense1": ([4096], (256 * 6 * 6 + 1) * 4096),
        "dense2": ([4096], (4096 + 1) * 4096),
        "dense3": ([1000], (4096 + 1) * 1000),
    }
    assert {name: (rows[name]["output_shape"], rows[name]["params"]) for name in expected} == expected
    assert model.num_params == sum(p for _, p in expected.values()) == 61_100_840  # torchvision's alexnet()


@pytest.mark.parametrize(
    "layer,code,message",
    [
        ({"type": "conv"}, "missing_setting", "layer 1: conv needs filters"),
        ({"type": "conv", "kernel": 3}, "missing_setting", "layer 1: conv needs filters"),
        ({"type": "dense"}, "missing_setting", "layer 1: dense needs units"),
        (
            {"type": "conv", "filters": 2, "kernal": 3},
            "unknown_setting",
            "layer 1 (conv): unknown setting(s) kernal; it takes bias, dilation, filters, groups, init, kernel, padding, "
            "padding_mode, stride",
        ),
        ({"type": "conv", "kernal": 3}, "unknown_setting", "layer 1 (conv): unknown setting(s) kernal"),
        (
            {"type": "relu", "inplace": True},
            "takes_no_settings",
            "layer 1 (relu): unknown setting(s) inplace; this layer takes no settings (only a name)",
        ),
        ({"type": "flatten", "start_dim": 1}, "takes_no_settings", "layer 1 (flatten): unknown setting(s) start_dim"),
    ],
)
def test_the_layer_factory_says_what_is_missing_or_unknown(layer, code, message):
    with pytest.raises(EngineError) as e:
        Sequential.from_spec({"input": [1, 8, 8], "layers": [layer]})
    assert e.value.code == code and str(e.value).startswith(message), str(e.value)
    assert "?" not in str(e.value)


@pytest.mark.parametrize(
    "entry,shape",
    [
        ({"type": "conv", "filters": 6, "kernel": 3, "groups": 3}, (3, 8, 8)),
        ({"type": "conv", "filters": 4, "kernel": [2, 3], "groups": 2, "bias": False}, (4, 8, 8)),
        ({"type": "conv_transpose", "filters": 5, "kernel": 3, "stride": 2}, (2, 4, 4)),
        ({"type": "batchnorm2d"}, (7, 4, 4)),
        ({"type": "batchnorm1d", "affine": False}, (9,)),
        (
            {
                "type": "branches",
                "merge": "concat",
                "paths": [
                    [{"type": "conv", "filters": 2, "kernel": 1}],
                    [{"type": "conv", "filters": 3, "kernel": 3, "padding": 1}, {"type": "batchnorm2d"}],
                    [],
                ],
            },
            (4, 6, 6),
        ),
    ],
)
def test_count_params_is_what_build_creates(entry, shape):
    """Layer.count_params (what check_spec counts before a layer allocates) against the arrays build makes."""
    layer = make_layer(entry, 1)
    counted = layer.count_params(shape)
    layer.name = layer.name or "layer1"
    layer.build(shape, np.random.default_rng(0), np.float32)
    assert counted == sum(v.size for v in layer.params.values())
    assert (counted > 0) == (entry.get("affine") is not False)


def test_check_spec_names_the_layer_inside_a_path_that_goes_over_the_cap():
    spec = {
        "input": [1, 8, 8],
        "layers": [
            {
                "type": "branches",
                "paths": [
                    [{"type": "conv", "filters": 2, "kernel": 1}],
                    [{"type": "conv", "filters": 40, "kernel": 3, "padding": 1}],
                ],
            },
            {"type": "flatten"},
            {"type": "dense", "units": 10},
        ],
    }
    found = check_spec(spec, max_params=100)
    assert found.index == 0 and found.error.code == "network_too_big"
    assert found.error.params["layer"] == "branches1.path2.conv1"
    assert found.error.params["params"] == f"{2 * 2 + 40 * 10:,}"  # 1x1 conv (2 weights + 2 biases), 3x3 conv
