"""Branches layers through the network check (POST /api/networks/check) and a run's creation: shapes
and parameter counts per path, and every refusal as a sentence in English and Chinese, never a 500."""

import pytest

from app.model_store import ModelStore
from tests.runs_support import make_registry, runs_client, wait_for

TIP = [{"type": "flatten"}, {"type": "dense", "units": 10}]
RELU = {"type": "relu"}


def conv(filters, kernel, padding=0):
    return {"type": "conv", "filters": filters, "kernel": kernel, "padding": padding}


@pytest.fixture()
def client(tmp_path):
    """The app with a run registry that trains on 512 images of the bundled sample."""
    with runs_client(make_registry(), ModelStore(tmp_path / "models", pretrained_dir=tmp_path / "pretrained")) as c:
        yield c


def check(client, lang="en", **body):
    r = client.post(f"/api/networks/check?lang={lang}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_inception_preset_reports_each_path(client):
    answer = check(client, preset="inception")
    assert answer["ok"], answer["error"]
    row = next(r for r in answer["layers"] if r["type"] == "branches")
    assert row["input_shape"] == [8, 14, 14] and row["output_shape"] == [24, 14, 14] and row["merge"] == "concat"
    # by hand: F * (C * k * k + 1) per conv
    by_path = [8 * (8 + 1), 8 * (8 + 1) + 8 * (8 * 9 + 1), 4 * (8 + 1) + 4 * (4 * 25 + 1), 4 * (8 + 1)]
    assert [p["params"] for p in row["paths"]] == by_path and row["params"] == sum(by_path)
    assert [p["output_shape"] for p in row["paths"]] == [[8, 14, 14], [8, 14, 14], [4, 14, 14], [4, 14, 14]]
    second = row["paths"][1]["layers"]
    assert [r["name"] for r in second] == [
        "branches1.path2.conv1",
        "branches1.path2.relu1",
        "branches1.path2.conv2",
        "branches1.path2.relu2",
    ]
    assert second[2]["dense_params"] == (8 * 14 * 14 + 1) * 8 * 14 * 14 and second[2]["dense_ratio"] > 1
    assert answer["total_params"] == sum(r["params"] for r in answer["layers"])
    assert answer["memory"]["train_bytes"] > 0


def test_a_residual_block_with_an_identity_path(client):
    block = {"type": "branches", "merge": "add", "paths": [[conv(4, 3, 1), RELU, conv(4, 3, 1)], []]}
    answer = check(client, layers=[conv(4, 3, 1), block, RELU, *TIP])
    assert answer["ok"], answer["error"]
    row = answer["layers"][1]
    assert row["paths"][1] == {"output_shape": [4, 28, 28], "params": 0, "layers": []}
    assert row["paths"][0]["params"] == 2 * 4 * (4 * 9 + 1)
    assert answer["spec"]["layers"][1]["paths"][1] == []


@pytest.mark.parametrize(
    "layers,code,index,en,zh",
    [
        (
            [conv(4, 3, 1), {"type": "branches", "merge": "add", "paths": [[conv(8, 3, 1)], []]}, *TIP],
            "branches_mismatch_add",
            1,
            ["path 1: 8×28×28", "path 2: 4×28×28"],
            ["路径 1：8×28×28，路径 2：4×28×28", "相加"],
        ),
        (
            [{"type": "branches", "paths": [[conv(2, 3)], [conv(2, 1)]]}, *TIP],
            "branches_mismatch_concat",
            0,
            ["path 1: 2×26×26", "path 2: 2×28×28"],
            ["路径 1：2×26×26，路径 2：2×28×28", "拼接"],
        ),
        ([{"type": "branches", "merge": "max", "paths": [[], []]}, *TIP], "bad_merge", 0, ["concat", "add"], ["相加"]),
        ([{"type": "branches", "paths": [[]]}, *TIP], "bad_paths", 0, ["2 to 8"], ["2 到 8"]),
        (
            [{"type": "branches", "paths": [[], [{"type": "conv", "filters": 2, "size": 3}]]}, *TIP],
            "in_path",
            0,
            ["path 2", "size"],
            ["第 2 条路径", "未知的设置 size"],
        ),
        (
            [{"type": "branches", "paths": [[], [conv(2, 31)]]}, *TIP],
            "kernel_too_big",
            0,
            ["branches1.path2.conv1"],
            ["31×31"],
        ),
        (
            [{"type": "branches", "paths": [[], [conv(300000, 3)]]}, *TIP],
            "network_too_big",
            0,
            ["branches1.path2.conv1"],
            ["branches1.path2.conv1"],
        ),
    ],
)
def test_refusals_in_both_languages(client, layers, code, index, en, zh):
    for lang, words in (("en", en), ("zh", zh)):
        error = check(client, lang, layers=layers)["error"]
        assert error["code"] == code and error["index"] == index, error
        for word in words:
            assert word in error["detail"], error["detail"]
    r = client.post("/api/runs", json={"layers": layers})
    assert r.status_code == 422 and r.json()["code"] == code, r.text


def test_a_mismatch_marks_the_path_at_fault(client):
    layers = [{"type": "branches", "paths": [[], [conv(2, 1)], [{"type": "flatten"}]]}, *TIP]
    error = check(client, layers=layers)["error"]
    assert error["code"] == "branches_mismatch_concat" and "path 3: 784" in error["detail"]
    inner = [{"type": "branches", "paths": [[], [conv(2, 1), {"type": "dense", "units": 3}]]}, *TIP]
    error = check(client, layers=inner)["error"]
    assert error["code"] == "needs_vector" and error["params"]["path"] == 2 and error["index"] == 0


def test_layers_inside_branches_count_towards_the_limit(client):
    block = {"type": "branches", "merge": "add", "paths": [[RELU] * 10, []]}
    r = client.post("/api/networks/check?lang=zh", json={"layers": [block] * 4 + TIP})
    assert r.status_code == 422 and r.json()["code"] == "too_many_layers", r.text
    assert "46" in r.json()["detail"]


def test_branches_nested_too_deeply_are_refused_not_crashed(client):
    leaf = {"type": "branches", "paths": [[], []]}
    twice = {"type": "branches", "paths": [[{"type": "branches", "paths": [[leaf], []]}], []]}
    r = client.post("/api/networks/check?lang=zh", json={"layers": [twice, *TIP]})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request" and "层次太深" in r.json()["detail"], r.text
    once = {"type": "branches", "paths": [[{"type": "branches", "paths": [[conv(2, 1)], []], "merge": "add"}], []]}
    answer = check(client, layers=[conv(2, 1), once, *TIP])
    assert answer["ok"], answer["error"]
    assert (
        answer["layers"][1]["paths"][0]["layers"][0]["paths"][0]["layers"][0]["name"]
        == "branches1.path1.branches1.path1.conv1"
    )


def test_dropout_reaches_the_layers_inside_branches(client):
    block = {"type": "branches", "merge": "add", "paths": [[{"type": "dropout", "p": 0.5}], []]}
    answer = check(client, layers=[block, *TIP], dropout=0.25)
    assert answer["spec"]["layers"][0]["paths"][0][0]["p"] == 0.25


@pytest.mark.parametrize("name", ["resnet", "inception"])
def test_the_presets_are_offered_and_start_a_run(client, name):
    assert name in client.get("/api/training/options").json()["presets"]
    r = client.post("/api/runs", json={"preset": name, "epochs": 1, "batch_size": 32})
    assert r.status_code == 201, r.text
    assert any(row.get("paths") for row in r.json()["layers"])
    run = wait_for(lambda: (run := client.get(f"/api/runs/{r.json()['id']}").json())["state"] == "done" and run)
    assert run["result"]["reason"] == "finished" and run["result"]["test_loss"] < 2.3, run["result"]
