"""The network check's memory estimate and budget (POST /api/networks/check), and network.build's."""

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.runs import network
from app.settings import Settings, get_settings
from engine.errors import EngineError
from engine.memory import estimate
from engine.model import Sequential
from engine.presets import preset
from tests.engine.test_memory import HEAVY

MB = 2**20
HEAVY_LAYERS = HEAVY["layers"]


def check(client, lang="en", **body):
    r = client.post(f"/api/networks/check?lang={lang}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_check_answers_the_engine_estimate_at_the_default_batch_size(client):
    answer = check(client, preset="lenet5")
    expected = estimate(Sequential.from_spec(preset("lenet5")), 64, "momentum")
    memory = answer["memory"]
    assert answer["ok"] and memory["batch_size"] == 64
    assert memory["train_bytes"] == expected.train_bytes and memory["eval_bytes"] == expected.eval_bytes
    assert memory["budget_bytes"] == get_settings().max_run_memory_mb * MB == 1024 * MB
    assert memory["train_mb"] == round(expected.train_bytes / MB, 1) and memory["budget_mb"] == 1024.0
    assert [row["train_bytes"] for row in answer["layers"]] == [row["train_bytes"] for row in expected.layers]
    assert answer["layers"][0]["train_bytes"] > answer["layers"][1]["train_bytes"] > 0  # conv1's columns


def test_the_estimate_follows_the_batch_size_and_the_optimizer(client):
    small = check(client, preset="lenet5", batch_size=16)["memory"]
    large = check(client, preset="lenet5", batch_size=256)["memory"]
    adam = check(client, preset="lenet5", batch_size=256, optimizer="adam")["memory"]
    assert small["batch_size"] == 16 and large["batch_size"] == 256
    assert 8 < large["train_bytes"] / small["train_bytes"] < 16
    assert adam["train_bytes"] - large["train_bytes"] == 61706 * 4  # one more copy of the parameters
    assert large["train_mb"] < 100  # LeNet-5 at batch 256 fits the default budget easily


def test_the_heavy_network_fits_at_64_and_is_refused_at_1024_in_both_languages(client):
    assert check(client, layers=HEAVY_LAYERS, batch_size=64)["ok"]
    answer = check(client, layers=HEAVY_LAYERS, batch_size=1024)
    error, memory = answer["error"], answer["memory"]
    assert not answer["ok"] and error["code"] == "too_much_memory" and error["index"] is None
    assert memory["train_bytes"] > memory["budget_bytes"] and len(answer["layers"]) == len(HEAVY_LAYERS)
    train_mb = f"{memory['train_bytes'] / MB:,.1f}".removesuffix(".0")
    assert train_mb in error["detail"] and "1,024 MB" in error["detail"] and "1024" in error["detail"]
    assert error["detail"].startswith("At a batch size of 1024")
    chinese = check(client, "zh", layers=HEAVY_LAYERS, batch_size=1024)["error"]["detail"]
    assert "批大小为 1024" in chinese and train_mb in chinese and "1,024 MB" in chinese


@pytest.mark.parametrize("batch", [0, -3, 1025, 2.5, "many"])
def test_a_batch_size_out_of_the_runs_bounds_is_refused(client, batch):
    r = client.post("/api/networks/check", json={"preset": "tiny", "batch_size": batch})
    assert r.status_code == 422 and r.json()["detail"]


def test_the_budget_is_a_setting():
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: Settings(max_run_memory_mb=10)
    with TestClient(app) as client:
        assert check(client, preset="tiny", batch_size=32)["ok"]
        answer = check(client, preset="lenet5", batch_size=64)
        assert answer["error"]["code"] == "too_much_memory" and answer["memory"]["budget_mb"] == 10.0
        assert "10 MB" in answer["error"]["detail"]


def test_build_takes_the_batch_size_and_the_budget():
    model, report = network.build(preset("lenet5"), 0, 2_000_000, batch_size=256, max_memory_bytes=100 * MB)
    assert report.memory.batch_size == 256 and report.memory.train_bytes < 100 * MB
    assert model.num_params == 61706
    with pytest.raises(EngineError) as info:
        network.build(HEAVY, 0, 2_000_000, batch_size=1024, max_memory_bytes=1024 * MB)
    assert info.value.code == "too_much_memory" and info.value.params["budget_mb"] == "1,024"
    assert "MB" in str(info.value) and "1024" in str(info.value)
    model, report = network.build(HEAVY, 0, 2_000_000, batch_size=1024)  # no budget given: none applies
    assert report.memory.train_bytes > 1024 * MB
    for bad in (0, True, 2.0):
        with pytest.raises(EngineError) as info:
            network.build(preset("tiny"), 0, 2_000_000, batch_size=bad)
        assert info.value.code == "bad_batch_size"


def test_every_layer_type_has_an_estimate(client):
    """Each activation and layer kind the builder offers gets a figure (no unknown layer)."""
    options = client.get("/api/training/options").json()
    for kind in options["layer_types"]:
        if kind in ("conv", "maxpool", "avgpool", "flatten", "dense"):
            continue
        entry = {
            "type": kind,
            **({"k": 2} if kind == "maxout" else {}),
            **({"filters": 2} if kind == "conv_transpose" else {}),
            **({"paths": [[{"type": "conv", "filters": 2, "kernel": 1}], []]} if kind == "branches" else {}),
        }
        layers = [
            {"type": "conv", "filters": 4, "kernel": 3},
            entry,
            {"type": "avgpool", "size": 2},
            {"type": "flatten"},
            {"type": "dense", "units": 10},
        ]
        if kind == "batchnorm1d":  # (normalises vectors: after the flatten layer)
            layers = [*layers[:1], *layers[2:4], entry, layers[4]]
        answer = check(client, layers=layers)
        assert answer["ok"] and answer["memory"]["train_bytes"] > 0, (kind, answer["error"])
