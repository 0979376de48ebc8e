"""Grouped convolution and batch norm through the API: the network check (shapes, parameter counts,
the layer at fault in English and Chinese), a run that trains a batch-norm network with a
depthwise-separable block, is saved, and predicts the same after loading; /api/conv with groups."""

import re

import numpy as np
import pytest

from app.model_store import ModelStore
from engine.model import Sequential
from tests.runs_support import make_registry, owner, runs_client, small_data, wait_for

CJK = re.compile(r"[\u4e00-\u9fff]")

# conv 4@3x3 pad 1 -> bn -> relu -> depthwise 4@3x3 pad 1 (groups 4) -> pointwise 8@1x1 -> bn -> relu
# -> maxpool 4 -> flatten -> dense 16 -> bn1d -> relu -> dense 10
LAYERS = [
    {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
    {"type": "batchnorm2d"},
    {"type": "relu"},
    {"type": "conv", "filters": 4, "kernel": 3, "padding": 1, "groups": 4},
    {"type": "conv", "filters": 8, "kernel": 1},
    {"type": "batchnorm2d", "momentum": 0.2},
    {"type": "relu"},
    {"type": "maxpool", "size": 4},
    {"type": "flatten"},
    {"type": "dense", "units": 16},
    {"type": "batchnorm1d"},
    {"type": "relu"},
    {"type": "dense", "units": 10},
]
# by hand: conv 4*(1*9)+4; bn 2*4; depthwise 4*(4/4*9)+4; pointwise 8*4+8; bn 2*8; dense 8*7*7*16+16;
# bn1d 2*16; dense 16*10+10
PARAMS = [40, 8, 0, 40, 40, 16, 0, 0, 0, 6288, 32, 0, 170]
SHAPES = [[4, 28, 28]] * 4 + [[8, 28, 28]] * 3 + [[8, 7, 7], [392], [16], [16], [16], [10]]


@pytest.fixture()
def store(tmp_path):
    return ModelStore(tmp_path / "models", pretrained_dir=tmp_path / "pretrained")


@pytest.fixture()
def client(store):
    with runs_client(make_registry(), store) as c:
        yield c


def test_the_check_reports_shapes_and_parameters(client):
    r = client.post("/api/networks/check", json={"layers": LAYERS, "batch_size": 32})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["ok"] and answer["error"] is None, answer["error"]
    assert [row["params"] for row in answer["layers"]] == PARAMS
    assert [row["output_shape"] for row in answer["layers"]] == SHAPES
    assert [row["name"] for row in answer["layers"]][:6] == ["conv1", "bn1", "relu1", "conv2", "conv3", "bn2"]
    assert answer["total_params"] == sum(PARAMS) and answer["memory"]["train_bytes"] > 0


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    "change,index,code,numbers",
    [
        ({3: {"type": "conv", "filters": 6, "kernel": 3, "groups": 4}}, 3, "groups_not_divisible", ["4", "6"]),
        ({3: {"type": "conv", "filters": 4, "kernel": 3, "groups": 3}}, 3, "groups_not_divisible", ["3", "4"]),
        ({3: {"type": "conv", "filters": 4, "kernel": 3, "groups": 0}}, 3, "bad_setting", ["0"]),
        ({1: {"type": "batchnorm1d"}}, 1, "batchnorm1d_needs_vector", ["4×28×28"]),
        ({10: {"type": "batchnorm2d"}}, 10, "needs_image", []),
        ({5: {"type": "batchnorm2d", "momentum": 2}}, 5, "bad_momentum", ["2"]),
        ({5: {"type": "batchnorm2d", "eps": -1}}, 5, "bad_eps", ["-1"]),
        ({5: {"type": "batchnorm2d", "affine": "yes"}}, 5, "bad_flag", ["yes"]),
    ],
)
def test_bad_settings_name_the_layer_in_both_languages(client, change, index, code, numbers, lang):
    layers = [change.get(i, entry) for i, entry in enumerate(LAYERS)]
    r = client.post(f"/api/networks/check?lang={lang}", json={"layers": layers, "batch_size": 32})
    assert r.status_code == 200, r.text
    error = r.json()["error"]
    assert error["index"] == index and error["code"] == code, error
    for number in numbers:
        assert number in error["detail"], error["detail"]
    assert bool(CJK.search(error["detail"])) == (lang == "zh"), error["detail"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_batch_of_one_is_refused_by_the_check_and_the_run(client, lang):
    r = client.post(f"/api/networks/check?lang={lang}", json={"layers": LAYERS, "batch_size": 1})
    error = r.json()["error"]
    assert error["code"] == "batchnorm_batch_of_one" and error["index"] == 10 and "bn3" in error["detail"]
    assert bool(CJK.search(error["detail"])) == (lang == "zh")
    r = client.post(f"/api/runs?lang={lang}", json={"layers": LAYERS, "batch_size": 1})
    assert r.status_code == 422 and r.json()["code"] == "batchnorm_batch_of_one", r.text
    # 512 training images in batches of 511: a last batch of one image
    r = client.post(f"/api/runs?lang={lang}", json={"layers": LAYERS, "batch_size": 511})
    assert r.status_code == 422 and r.json()["code"] == "batchnorm_last_batch_of_one", r.text
    assert "512" in r.json()["detail"] and "511" in r.json()["detail"]
    # without batchnorm1d, 28x28 maps have values enough for one image
    maps_only = [entry for entry in LAYERS if entry["type"] != "batchnorm1d"]
    assert client.post("/api/networks/check", json={"layers": maps_only, "batch_size": 1}).json()["ok"]


def test_train_save_load_and_predict_the_same(client, store):
    r = client.post(
        "/api/runs", json={"layers": LAYERS, "batch_size": 64, "epochs": 1, "lr": 0.05, "optimizer": "adam"}
    )
    assert r.status_code == 201, r.text
    run = r.json()
    done = wait_for(lambda: (v := client.get(f"/api/runs/{run['id']}").json())["state"] == "done" and v, timeout=60)
    assert done["result"]["reason"] == "finished", done["result"]
    r = client.post(f"/api/runs/{run['id']}/save", json={"name": "bn net"}, headers=owner(run))
    assert r.status_code == 200, r.text
    model = Sequential.load(store.trained_dir / "bn net.npz")
    # 512 images in batches of 64: 8 steps moved the running statistics from mean 0 / variance 1
    assert int(model.buffers["bn1.num_batches_tracked"]) == 8
    assert not np.allclose(model.buffers["bn2.running_mean"], 0)
    from engine.train import evaluate

    data = small_data()
    assert evaluate(model, data.test_images, data.test_labels)[1] == done["result"]["test_accuracy"]
    # a drawing (a batch of one, in evaluation mode) gets the same answer as the loaded model gives
    drawing = np.zeros((28, 28))
    drawing[4:24, 13:16] = 1.0
    answer = client.post("/api/predict", json={"image": drawing.tolist(), "model": "bn net", "layers": True})
    assert answer.status_code == 200, answer.text
    answer = answer.json()
    assert [layer["name"] for layer in answer["layers"]] == [layer.name for layer in model.layers]
    probs = answer["probabilities"]
    again = client.post("/api/predict", json={"image": drawing.tolist(), "model": "bn net"}).json()["probabilities"]
    assert probs == again  # predicting moves no running statistic


def test_conv_lab_with_groups(client):
    x = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    r = client.post("/api/conv", json={"input": x, "kernel": [[[[2]]], [[[-3]]]], "bias": [1, 0.5], "groups": 2})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["output"] == [[[3, 5], [7, 9]], [[-14.5, -17.5], [-20.5, -23.5]]]
    assert answer["groups"] == 2 and answer["kernel_shape"] == [2, 1, 1, 1]
    # the matrix view: filter 1 has zeros against channel 0 (a block diagonal)
    assert answer["im2col"]["kernel_rows"] == [[2, 0], [0, -3]]
    assert [s["cells"][0][0] for s in answer["steps"]] == [0] * 4 + [1] * 4


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    "body,code",
    [
        ({"input": [[[1]], [[2]], [[3]]], "kernel": [[[[1]]], [[[1]]]], "groups": 2}, "groups_not_divisible"),
        ({"input": [[[1]], [[2]]], "kernel": [[[[1]], [[1]]], [[[1]], [[1]]]], "groups": 2}, "channel_mismatch"),
        ({"input": [[1]], "kernel": [[1]], "groups": 0}, "invalid_request"),
        ({"input": [[1]], "kernel": [[1]], "groups": True}, "invalid_request"),
    ],
)
def test_conv_lab_refuses_bad_groups(client, body, code, lang):
    r = client.post(f"/api/conv?lang={lang}", json=body)
    assert r.status_code == 422 and r.json()["code"] == code, r.text
    assert bool(CJK.search(r.json()["detail"])) == (lang == "zh"), r.json()["detail"]
