"""The training-run HTTP API and the network check: starting, listing, pausing, resuming and stopping
runs, saving their models, 422 for impossible networks, and the caps (queueing with a place, run
time, network size, finished runs kept). Runs train `tiny` on 512 images of the bundled sample."""

import time

import pytest

from app.model_store import ModelStore
from engine.model import Sequential
from engine.presets import preset
from tests.runs_support import make_registry, owner, runs_client, wait_for


@pytest.fixture()
def registry():
    return make_registry()


@pytest.fixture()
def store(tmp_path):
    return ModelStore(tmp_path / "models", pretrained_dir=tmp_path / "pretrained")


@pytest.fixture()
def client(registry, store):
    with runs_client(registry, store) as c:
        yield c


def start(client, **body):
    network = {} if "layers" in body else {"preset": "tiny"}
    r = client.post("/api/runs", json={**network, "batch_size": 32, **body})
    assert r.status_code == 201, r.text
    return r.json()


def finished(client, run_id):
    return wait_for(lambda: (run := client.get(f"/api/runs/{run_id}").json())["state"] == "done" and run)


# ---- starting and looking at runs ----------------------------------------------------------------


def test_start_list_and_get(client):
    run = start(client, epochs=2, lr=0.1, optimizer="adam", seed=7, l2=0.001)
    assert len(run["id"]) >= 8 and run["state"] in ("running", "done")
    assert run["config"] == {
        "preset": "tiny",
        "spec": preset("tiny"),
        "epochs": 2,
        "batch_size": 32,
        "lr": 0.1,
        "optimizer": "adam",
        "seed": 7,
        "dataset": "sample",
        "l2": 0.001,
        "dropout": None,
    }
    assert run["params"] == 5874 and run["steps_total"] == 32 and run["dataset"]["train"] == 512
    assert [row["name"] for row in run["layers"]] == ["conv1", "relu1", "pool1", "flatten", "dense1"]
    assert [r["id"] for r in client.get("/api/runs").json()] == [run["id"]]
    done = finished(client, run["id"])
    assert done["result"]["reason"] == "finished" and done["progress"]["step"] == 32
    assert done["epoch"]["epoch"] == 2 and 0 <= done["epoch"]["val_accuracy"] <= 1
    assert done["started"] and done["finished"] and done["wall_seconds"] > 0


def test_custom_layers_with_dropout(client):
    layers = [
        {"type": "conv", "filters": 2, "kernel": 4, "stride": 2},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "dropout", "p": 0.5},
        {"type": "dense", "units": 10},
    ]
    run = start(client, layers=layers, dropout=0.2)
    assert run["config"]["preset"] is None and run["config"]["spec"]["layers"][3] == {"type": "dropout", "p": 0.2}
    assert [r["output_shape"] for r in run["layers"]] == [[2, 13, 13], [2, 13, 13], [338], [338], [10]]
    assert finished(client, run["id"])["result"]["reason"] == "finished"


def test_the_same_seed_trains_the_same_run(client):
    a, b = start(client, seed=3), start(client, seed=3)
    assert finished(client, a["id"])["result"]["test_loss"] == finished(client, b["id"])["result"]["test_loss"]


# ---- impossible networks and bad hyperparameters ---------------------------------------------------


@pytest.mark.parametrize(
    "body, code, words",
    [
        ({"layers": [{"type": "conv", "filters": 4, "kernel": 30}]}, "kernel_too_big", ["30", "28"]),
        (
            {"layers": [{"type": "conv", "filters": 4, "kernel": 3}, {"type": "dense", "units": 10}]},
            "needs_vector",
            ["flatten"],
        ),
        ({"layers": [{"type": "flatten"}, {"type": "dense", "units": 12}]}, "wrong_output", ["12", "10"]),
        ({"layers": [{"type": "flatten"}, {"type": "wobble"}]}, "unknown_layer", ["wobble"]),
        ({"layers": [{"type": "conv", "filters": 0}]}, "bad_setting", ["0"]),
        ({"layers": [{"type": "conv", "filter": 3}]}, "unknown_setting", ["filter"]),
        ({"layers": ["conv"]}, "bad_layer_entry", []),
        ({"layers": []}, "empty_network", []),
        ({"preset": "alexnet", "layers": None}, "unknown_preset", ["alexnet"]),
        ({"preset": None}, "no_network", []),
        ({"preset": "tiny", "layers": [{"type": "flatten"}]}, "two_networks", []),
        ({"layers": [{"type": "flatten"}] * 41}, "too_many_layers", ["40"]),
    ],
)
def test_impossible_networks_are_explained(client, body, code, words):
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422, r.text
    answer = r.json()
    assert answer["code"] == code and answer["detail"]
    for word in words:
        assert word in answer["detail"], answer["detail"]
    assert client.get("/api/runs").json() == []  # nothing was started


def test_the_layer_at_fault_is_named(client):
    r = client.post(
        "/api/runs",
        json={
            "layers": [
                {"type": "conv", "filters": 4, "kernel": 5},
                {"type": "maxpool", "size": 2},
                {"type": "conv", "filters": 4, "kernel": 13},
                {"type": "flatten"},
                {"type": "dense", "units": 10},
            ]
        },
    )
    assert r.status_code == 422 and r.json()["params"]["layer_index"] == 2


@pytest.mark.parametrize(
    "change",
    [
        {"lr": 0},
        {"lr": -0.1},
        {"lr": 11},
        {"epochs": 0},
        {"epochs": 51},
        {"batch_size": 0},
        {"optimizer": "rmsprop"},
        {"dataset": "cifar"},
        {"seed": -1},
        {"l2": -1},
        {"dropout": 1},
        {"colour": "red"},
    ],
)
def test_bad_hyperparameters(client, change):
    r = client.post("/api/runs", json={"preset": "tiny", **change})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request" and r.json()["detail"]


def test_errors_in_chinese(client):
    r = client.post("/api/runs?lang=zh", json={"layers": [{"type": "flatten"}, {"type": "dense", "units": 12}]})
    assert r.status_code == 422 and any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["detail"])


def test_full_mnist_where_the_server_has_none(tmp_path, monkeypatch):
    from app.runs.deps import dataset_loader
    from app.runs.local import LocalRunRegistry

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CNN_PLAYGROUND_DATA_DIR", raising=False)
    registry = LocalRunRegistry(dataset_loader(tmp_path / "empty"), tmp_path / "state")
    with runs_client(registry) as client:
        r = client.post("/api/runs", json={"preset": "tiny", "dataset": "mnist"})
    assert r.status_code == 422 and r.json()["code"] == "mnist_unavailable" and "sample" in r.json()["detail"]


# ---- control ---------------------------------------------------------------------------------------


def test_pause_resume_stop(client):
    run = start(client, epochs=50, batch_size=8)
    run_id = run["id"]
    assert client.post(f"/api/runs/{run_id}/pause", headers=owner(run)).status_code == 200
    paused = wait_for(lambda: (r := client.get(f"/api/runs/{run_id}").json())["state"] == "paused" and r)
    step = (paused["progress"] or {}).get("step", 0)
    time.sleep(0.3)
    assert (client.get(f"/api/runs/{run_id}").json()["progress"] or {}).get("step", 0) == step  # it waits
    r = client.post(f"/api/runs/{run_id}/resume", headers=owner(run))
    assert r.status_code == 200
    wait_for(lambda: (client.get(f"/api/runs/{run_id}").json()["progress"] or {}).get("step", 0) > step)
    assert client.post(f"/api/runs/{run_id}/stop", headers=owner(run)).status_code == 200
    done = finished(client, run_id)
    assert done["result"]["reason"] == "stopped" and done["result"]["step"] < 3200
    r = client.post(f"/api/runs/{run_id}/resume", headers=owner(run))
    assert r.status_code == 409 and r.json()["code"] == "run_finished"


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/runs/nope"),
        ("post", "/api/runs/nope/pause"),
        ("post", "/api/runs/nope/resume"),
        ("post", "/api/runs/nope/stop"),
    ],
)
def test_unknown_runs_are_404(client, method, path):
    r = getattr(client, method)(path)
    assert r.status_code == 404 and r.json()["code"] == "unknown_run" and "nope" in r.json()["detail"]


# ---- saving the model ------------------------------------------------------------------------------


def test_save_a_finished_run_for_the_draw_page(client, store):
    run = start(client, epochs=1)
    early = client.post(f"/api/runs/{run['id']}/save", json={"name": "too-early"}, headers=owner(run))
    if early.status_code != 200:  # the run may already have finished
        assert early.status_code == 409 and early.json()["code"] == "run_not_finished"
    result = finished(client, run["id"])["result"]
    r = client.post(f"/api/runs/{run['id']}/save", json={"name": "my tiny"}, headers=owner(run))
    assert r.status_code == 200, r.text
    info = r.json()
    assert info["name"] == "my tiny" and info["source"] == "trained" and info["params"] == 5874
    assert info["test_accuracy"] == result["test_accuracy"] and info["dataset"] == "sample"
    assert "my tiny" in [m["name"] for m in store.list()]
    assert client.get(f"/api/runs/{run['id']}").json()["saved"] == ["my tiny"]
    # The saved model is the trained one: it scores exactly the run's test accuracy.
    from engine.train import evaluate
    from tests.runs_support import small_data

    data = small_data()
    model = Sequential.load(store.trained_dir / "my tiny.npz")
    assert model.metadata["run"] == run["id"]
    assert evaluate(model, data.test_images, data.test_labels)[1] == result["test_accuracy"]


@pytest.mark.parametrize("name", ["", "../etc", "x" * 49, "bad/name"])
def test_bad_model_names(client, name):
    run = start(client, epochs=1)
    finished(client, run["id"])
    r = client.post(f"/api/runs/{run['id']}/save", json={"name": name}, headers=owner(run))
    assert r.status_code == 422 and r.json()["code"] == "bad_model_name"


def test_a_run_stopped_in_the_queue_has_nothing_to_save(client):
    blocker = start(client, epochs=50, batch_size=8)
    queued = start(client)
    client.post(f"/api/runs/{queued['id']}/stop", headers=owner(queued))
    assert client.get(f"/api/runs/{queued['id']}").json()["result"]["reason"] == "stopped"
    r = client.post(f"/api/runs/{queued['id']}/save", json={"name": "nothing"}, headers=owner(queued))
    assert r.status_code == 409 and r.json()["code"] == "run_not_finished"
    client.post(f"/api/runs/{blocker['id']}/stop", headers=owner(blocker))


# ---- caps ------------------------------------------------------------------------------------------


def test_concurrent_runs_queue_with_their_place():
    registry = make_registry(max_concurrent=2)
    with runs_client(registry) as client:
        a, b = start(client, epochs=50, batch_size=8), start(client, epochs=50, batch_size=8)
        c, d = start(client, epochs=1), start(client, epochs=1)
        assert a["state"] == b["state"] == "running"
        assert (c["state"], c["place"]) == ("queued", 1) and (d["state"], d["place"]) == ("queued", 2)
        client.post(f"/api/runs/{c['id']}/stop", headers=owner(c))  # leaving the queue moves the others up
        assert client.get(f"/api/runs/{d['id']}").json()["place"] == 1
        client.post(f"/api/runs/{a['id']}/stop", headers=owner(a))
        assert finished(client, d["id"])["result"]["reason"] == "finished"
        assert client.get(f"/api/runs/{b['id']}").json()["state"] in ("running", "paused")
        client.post(f"/api/runs/{b['id']}/stop", headers=owner(b))


def test_run_time_cap():
    registry = make_registry(max_seconds=0.05)
    with runs_client(registry) as client:
        run = start(client, epochs=50, batch_size=8)
        result = finished(client, run["id"])["result"]
    assert result["reason"] == "time_limit" and result["limit"] == 0.05 and result["step"] < 3200
    assert result["test_accuracy"] is not None  # what it learnt in the time is still measured


def test_network_size_cap():
    registry = make_registry(max_params=5000)
    with runs_client(registry) as client:
        r = client.post("/api/runs", json={"preset": "tiny"})
        assert r.status_code == 422 and r.json()["code"] == "network_too_big"
        assert "5,000" in r.json()["detail"] and "5,874" in r.json()["detail"]  # counted before dense1 is built
        huge = client.post("/api/runs", json={"layers": [{"type": "flatten"}, {"type": "dense", "units": 10**9}]})
        assert huge.status_code == 422 and huge.json()["code"] == "network_too_big"  # refused before allocating
        wide = client.post(
            "/api/runs",
            json={
                "layers": [
                    {"type": "conv", "filters": 512, "kernel": 1, "bias": False},
                    {"type": "flatten"},
                    {"type": "dense", "units": 10},
                ]
            },
        )
        assert wide.status_code == 422 and wide.json()["code"] in ("network_too_big", "network_too_slow")


def test_finished_runs_kept_are_bounded():
    registry = make_registry(max_finished=2)
    with runs_client(registry) as client:
        ids = []
        for _ in range(3):
            ids.append(start(client)["id"])
            finished(client, ids[-1])
        assert [r["id"] for r in client.get("/api/runs").json()] == ids[:0:-1]
        assert client.get(f"/api/runs/{ids[0]}").status_code == 404


# ---- the network check -----------------------------------------------------------------------------


def test_check_a_preset_against_the_engine(client):
    r = client.post("/api/networks/check", json={"preset": "lenet5"})
    assert r.status_code == 200
    answer = r.json()
    model = Sequential.from_spec(preset("lenet5"))
    assert answer["ok"] and answer["error"] is None and answer["spec"] == preset("lenet5")
    assert answer["total_params"] == model.num_params == 61706 and answer["output_shape"] == [10]
    for row, expected in zip(answer["layers"], model.summary(), strict=True):
        assert {k: row[k] for k in expected} == expected
    conv1 = answer["layers"][0]
    assert conv1["params"] == 6 * 25 + 6 and conv1["dense_params"] == (28 * 28 + 1) * 6 * 28 * 28
    assert conv1["dense_ratio"] == 23671  # 3,692,640 / 156, whole above 100
    assert answer["layers"][3]["dense_ratio"] == round(answer["layers"][3]["dense_params"] / 2416)  # 779


def test_check_shows_the_layers_that_work_and_the_first_that_does_not(client):
    layers = [
        {"type": "conv", "filters": 4, "kernel": 5},
        {"type": "maxpool", "size": 2},
        {"type": "conv", "filters": 4, "kernel": 13},
        {"type": "flatten"},
        {"type": "dense", "units": 10},
    ]
    answer = client.post("/api/networks/check?lang=en", json={"layers": layers}).json()
    assert not answer["ok"] and answer["error"]["index"] == 2 and answer["error"]["code"] == "kernel_too_big"
    assert "13" in answer["error"]["detail"] and "12" in answer["error"]["detail"]
    assert [row["output_shape"] for row in answer["layers"]] == [[4, 24, 24], [4, 12, 12]]


def test_check_accepts_strides_that_leave_a_remainder_as_pytorch(client):
    """The issue's network: conv 8@3x3 stride 2 padding 1 on 28x28 is floor((28 + 2 - 2 - 1) / 2) + 1 = 14
    (it used to be refused); a 2x2 max-pool with ceil_mode on 7x7 is ceil((7 - 2) / 2) + 1 = 4."""
    layers = [
        {"type": "conv", "filters": 8, "kernel": 3, "stride": 2, "padding": 1},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "dense", "units": 10},
    ]
    answer = client.post("/api/networks/check", json={"layers": layers}).json()
    assert answer["ok"], answer["error"]
    assert [row["output_shape"] for row in answer["layers"]] == [[8, 14, 14], [8, 14, 14], [1568], [10]]
    layers = [
        {"type": "conv", "filters": 2, "kernel": 3, "stride": 4},  # floor(25 / 4) + 1 = 7
        {"type": "maxpool", "size": 2, "ceil_mode": True},  # ceil(5 / 2) + 1 = 4
        {"type": "avgpool", "size": 3, "stride": 1, "padding": 1, "count_include_pad": False},
        *TIP,
    ]
    answer = client.post("/api/networks/check", json={"layers": layers}).json()
    assert answer["ok"], answer["error"]
    assert [row["output_shape"] for row in answer["layers"][:3]] == [[2, 7, 7], [2, 4, 4], [2, 4, 4]]


def test_check_a_network_that_ends_wrongly(client):
    answer = client.post(
        "/api/networks/check", json={"layers": [{"type": "flatten"}, {"type": "dense", "units": 3}]}
    ).json()
    assert not answer["ok"] and answer["error"]["code"] == "wrong_output" and answer["error"]["index"] == 1
    assert [row["output_shape"] for row in answer["layers"]] == [[784], [3]]  # still shown


def test_check_refuses_a_huge_layer_without_building_it(client):
    answer = client.post(
        "/api/networks/check", json={"layers": [{"type": "flatten"}, {"type": "dense", "units": 10**9}]}
    ).json()
    assert answer["error"]["code"] == "network_too_big" and answer["error"]["index"] == 1
    assert answer["layers"][0]["output_shape"] == [784]


# Found by tests/app/test_fuzz.py: each of these answered 500 (a list as a layer's type, a number as its
# name, a bias that is not true or false, a layer nested a thousand levels deep echoed back), or said
# it in English on a Chinese page; two layers with one name would have shared their parameters.
TIP = [{"type": "flatten"}, {"type": "dense", "units": 10}]


@pytest.mark.parametrize(
    "layers, index, code, words, chinese",
    [
        ([{"type": ["conv"]}] + TIP, 0, "unknown_layer", ["['conv']"], "未知的层类型"),
        ([{"type": "flatten", "name": 5}, {"type": "dense", "units": 10}], 0, "bad_layer_name", ["5"], "名称"),
        ([{"type": "conv", "filters": 2, "kernel": 3, "name": "a.W"}] + TIP, 0, "bad_layer_name", ["a.W"], "名称"),
        (
            [{"type": "conv", "filters": 2, "kernel": 3, "name": "a"}, {"type": "relu", "name": "a"}] + TIP,
            1,
            "duplicate_layer_name",
            ["Layer 2", "“a”"],
            "已经被前面的层用了",
        ),
        (
            [{"type": "conv", "filters": 2, "kernel": 5, "bias": "yes"}] + TIP,
            0,
            "bad_flag",
            ["true or false", "yes"],
            "必须是 true 或 false",
        ),
        (
            [{"type": "flatten"}, {"type": "dense", "units": 10, "bias": [1]}],
            1,
            "bad_flag",
            ["[1]"],
            "必须是 true 或 false",
        ),
        ([{"type": "maxpool", "ceil_mode": 1}] + TIP, 0, "bad_flag", ["ceil_mode", "1"], "必须是 true 或 false"),
        (
            [{"type": "avgpool", "count_include_pad": "no"}] + TIP,
            0,
            "bad_flag",
            ["count_include_pad", "no"],
            "必须是 true 或 false",
        ),
        (
            [{"type": "maxpool", "count_include_pad": False}] + TIP,
            0,
            "unknown_setting",
            ["count_include_pad"],
            "未知的设置",
        ),
        (
            [{"type": "conv", "filters": 2, "kernel": 5, "init": "zeros"}] + TIP,
            0,
            "unknown_init",
            ["zeros", "he"],
            "初始化",
        ),
        ([{"type": "prelu", "mode": "x"}] + TIP, 0, "bad_prelu_mode", ["layer", "channel"], "必须是"),
        (
            [{"type": "conv", "filters": 3, "kernel": 3}, {"type": "maxout", "k": 2}] + TIP,
            1,
            "maxout_channels",
            ["3 channel(s)", "k = 2"],
            "倍数",
        ),
        ([{"type": "maxout", "k": 0}] + TIP, 0, "maxout_bad_k", ["at least 1"], "至少为 1"),
        ([{"type": "leaky_relu", "a": "x"}] + TIP, 0, "activation_param_not_number", ["x"], "有限的数"),
        # integers too large for a float: the output-size formula overflowed (500)
        (
            [{"type": "conv", "filters": 2, "kernel": 5, "padding": 10**400}] + TIP,
            0,
            "setting_too_large",
            ["1e+400", "1,000,000"],
            "最多只能是",
        ),
        ([{"type": "maxpool", "size": [2, -(10**30)]}] + TIP, 0, "setting_too_large", ["-1e+30"], "最多只能是"),
        (
            [{"type": "flatten"}, {"type": "elu", "alpha": 10**400}, {"type": "dense", "units": 10}],
            1,
            "activation_param_range",
            ["1e+400"],
            "之间",
        ),
    ],
)
def test_check_explains_bad_layer_settings(client, layers, index, code, words, chinese):
    for lang in ("en", "zh"):
        r = client.post(f"/api/networks/check?lang={lang}", json={"layers": layers})
        assert r.status_code == 200, r.text
        error = r.json()["error"]
        assert error["index"] == index and error["code"] == code, error
        for word in words if lang == "en" else [chinese]:
            assert word in error["detail"], error["detail"]
    r = client.post("/api/runs", json={"layers": layers})
    assert r.status_code == 422 and r.json()["code"] == code


def test_check_with_nan_as_a_bias(client):
    text = (
        '{"layers": [{"type": "conv", "filters": 2, "kernel": 5, "bias": NaN}, {"type": "flatten"}, '
        '{"type": "dense", "units": 10}]}'
    )
    r = client.post("/api/networks/check", content=text, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["error"]["code"] == "bad_flag", r.text


@pytest.mark.parametrize("path", ["/api/networks/check", "/api/runs"])
def test_a_layer_nested_too_deeply_is_refused(client, path):
    deep = 1
    for _ in range(900):
        deep = [deep]
    for layers in (
        [deep],
        [{"type": "conv", "filters": 2, "kernel": 3, "x": deep}],
        [{"type": "dense", "units": [[[10]]]}],
    ):
        r = client.post(path + "?lang=zh", json={"layers": layers})
        assert r.status_code == 422 and r.json()["code"] == "invalid_request", r.text
        assert "层次太深" in r.json()["detail"]
    r = client.post(path, json={"layers": [{"type": "conv", "filters": 2, "kernel": [3, 3]}] + TIP})  # a pair is fine
    assert r.status_code in (200, 201), r.text


def test_training_options(client):
    options = client.get("/api/training/options").json()
    assert (
        set(options["presets"]) == {"lenet5", "notes", "tiny", "resnet", "inception"}
        and options["datasets"]["sample"] is True
    )
    assert options["optimizers"] == ["sgd", "momentum", "nesterov", "adam"]
    assert {"conv", "maxpool", "dense", "dropout", "flatten", "relu"} <= set(options["layer_types"])


def test_a_run_left_paused_is_stopped():
    registry = make_registry(max_pause_seconds=0.3)
    with runs_client(registry) as client:
        run = start(client, epochs=50, batch_size=8)
        wait_for(lambda: client.get(f"/api/runs/{run['id']}").json()["state"] == "running")
        client.post(f"/api/runs/{run['id']}/pause", headers=owner(run))
        time.sleep(0.15)
        client.post(f"/api/runs/{run['id']}/resume", headers=owner(run))  # a resumed pause does not count
        time.sleep(0.4)  # past the limit since the pause began
        wait_for(lambda: client.get(f"/api/runs/{run['id']}").json()["state"] == "running", timeout=5)
        assert client.get(f"/api/runs/{run['id']}").json()["result"] is None
        client.post(f"/api/runs/{run['id']}/pause", headers=owner(run))
        result = finished(client, run["id"])["result"]
    assert result["reason"] == "pause_limit" and result["limit"] == 0.3 and result["test_accuracy"] is not None


# ---- ownership ---------------------------------------------------------------------------------------


def test_only_the_starter_controls_and_saves_a_run(client, store):
    run = start(client, epochs=50, batch_size=8)
    token = run["control_token"]
    assert len(token) >= 20 and "control_token" not in client.get(f"/api/runs/{run['id']}").json()
    assert all("control_token" not in r for r in client.get("/api/runs").json())
    for headers in ({}, {"X-Control-Token": "guess"}, {"X-Control-Token": token[:-1]}):
        for command in ("pause", "resume", "stop"):
            r = client.post(f"/api/runs/{run['id']}/{command}?lang=zh", headers=headers)
            assert r.status_code == 403 and r.json()["code"] == "not_run_owner", r.text
            assert "只能观看" in r.json()["detail"]
    assert client.get(f"/api/runs/{run['id']}").json()["state"] == "running"  # nothing happened to it
    wait_for(lambda: client.get(f"/api/runs/{run['id']}").json()["progress"])
    assert client.post(f"/api/runs/{run['id']}/stop", headers=owner(run)).status_code == 200
    finished(client, run["id"])
    r = client.post(f"/api/runs/{run['id']}/save", json={"name": "mine"})
    assert r.status_code == 403 and r.json()["code"] == "not_run_owner"
    assert client.post(f"/api/runs/{run['id']}/save", json={"name": "mine"}, headers=owner(run)).status_code == 200


def test_a_taken_name_is_refused_unless_its_owner_overwrites_it(client, store):
    a, b = start(client), start(client)
    finished(client, a["id"]), finished(client, b["id"])
    assert client.post(f"/api/runs/{a['id']}/save", json={"name": "ours"}, headers=owner(a)).status_code == 200
    r = client.post(f"/api/runs/{b['id']}/save", json={"name": "ours"}, headers=owner(b))
    assert r.status_code == 409 and r.json()["code"] == "model_name_in_use" and "ours" in r.json()["detail"]
    r = client.post(f"/api/runs/{b['id']}/save", json={"name": "ours", "overwrite": True}, headers=owner(b))
    assert r.status_code == 403 and r.json()["code"] == "not_model_owner"
    assert Sequential.load(store.trained_dir / "ours.npz").metadata["run"] == a["id"]  # untouched
    r = client.post(f"/api/runs/{a['id']}/save", json={"name": "ours", "overwrite": True}, headers=owner(a))
    assert r.status_code == 200, r.text


# ---- trainer processes, restarts ----------------------------------------------------------------------


def test_runs_train_in_another_process_and_a_killed_trainer_ends_its_run(client, registry):
    import os

    run = start(client, epochs=50, batch_size=8)
    live = registry._runs[run["id"]]
    pid = wait_for(lambda: live.process is not None and live.process.pid)
    assert pid != os.getpid()
    wait_for(lambda: (client.get(f"/api/runs/{run['id']}").json()["progress"] or {}).get("step", 0) > 2)
    os.kill(pid, 9)
    done = finished(client, run["id"])
    assert done["result"]["reason"] == "error"
    assert client.get("/health").status_code == 200  # the server carries on
    with client.websocket_connect(f"/ws/runs/{run['id']}?lang=zh") as ws:
        events = []
        while not events or events[-1]["type"] != "done":
            events.append(ws.receive_json())
    error = [e for e in events if e["type"] == "error"][-1]
    assert error["code"] == "trainer_died" and "训练进程意外停止" in error["message"]
    assert start(client)["state"] in ("running", "done")  # the next run gets the freed slot


def test_a_restarted_server_keeps_finished_runs_their_events_and_models(tmp_path, store):
    state = tmp_path / "state"
    with runs_client(make_registry(state), store) as client:
        done = start(client)
        finished(client, done["id"])
        events = client.get(f"/api/runs/{done['id']}").json()["events"]
    with runs_client(make_registry(state), store) as client:  # a new server on the same folder
        runs = {r["id"]: r for r in client.get("/api/runs").json()}
        assert runs[done["id"]]["state"] == "done" and runs[done["id"]]["events"] == events
        with client.websocket_connect(f"/ws/runs/{done['id']}?after=0") as ws:
            replay = []
            while not replay or replay[-1]["type"] != "done":
                replay.append(ws.receive_json())
        seqs = [e["seq"] for e in replay]
        assert seqs == sorted(set(seqs)) and seqs[-1] == events
        assert any(e["type"] == "epoch" for e in replay) and any(e["type"] == "progress" for e in replay)
        r = client.post(f"/api/runs/{done['id']}/save", json={"name": "after restart"}, headers=owner(done))
        assert r.status_code == 200, r.text
        r = client.post(f"/api/runs/{done['id']}/save", json={"name": "x"})
        assert r.status_code == 403  # the token survives the restart, and is still needed


def test_a_run_cut_off_by_a_crash_is_interrupted(tmp_path):
    """A real server process is killed (SIGKILL) while it trains; the next one shows the run as interrupted."""
    import os
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "CNN_PLAYGROUND_STATE_DIR": str(tmp_path / "state"),
        "OPENBLAS_NUM_THREADS": "1",
        "CNN_PLAYGROUND_RUNS_DIR": str(tmp_path / "models"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port), "--log-level", "warning"],
        env=env,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _http(f"{base}/health"), timeout=30)
        run = _http(f"{base}/api/runs", {"preset": "tiny", "epochs": 50})
        wait_for(lambda: (_http(f"{base}/api/runs/{run['id']}")["progress"] or {}).get("step"), timeout=30)
    finally:
        os.killpg(server.pid, signal.SIGKILL)  # the server and its trainers, with no chance to write anything
        server.wait(10)
    with runs_client(make_registry(tmp_path / "state")) as client:
        view = client.get(f"/api/runs/{run['id']}").json()
        assert view["state"] == "interrupted" and view["result"]["reason"] == "interrupted"
        assert view["result"]["step"] >= 1 and view["progress"]["step"] >= 1
        with client.websocket_connect(f"/ws/runs/{run['id']}") as ws:
            replay = []
            while not replay or replay[-1]["type"] != "done":
                replay.append(ws.receive_json())
        assert replay[-1]["reason"] == "interrupted" and [e["seq"] for e in replay] == list(range(1, len(replay) + 1))


def _http(url, body=None):
    """GET (or POST ``body`` as JSON) on a real server: the answer's JSON, or None if it is not up."""
    import json
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.loads(answer.read())
    except OSError:
        return None


def test_a_run_over_the_memory_budget_is_refused_with_the_estimate():
    heavy = [{"type": "conv", "filters": 64, "kernel": 3, "padding": 1} for _ in range(4)] + TIP
    registry = make_registry(max_memory_bytes=1024 * 2**20)
    with runs_client(registry) as client:
        r = client.post("/api/runs?lang=en", json={"layers": heavy, "batch_size": 128})
        assert r.status_code == 422 and r.json()["code"] == "too_much_memory", r.text
        assert "1,024 MB" in r.json()["detail"] and "batch size of 128" in r.json()["detail"]
        check = client.post("/api/networks/check", json={"layers": heavy, "batch_size": 128}).json()
        assert check["error"]["code"] == "too_much_memory" and check["memory"]["train_mb"] > 1024
        assert client.get("/api/runs").json() == []  # no trainer was started


def test_runs_per_client_and_the_queue_are_limited():
    from app.runs.base import RunConfig
    from engine.errors import EngineError

    registry = make_registry(max_concurrent=1, max_runs_per_client=2, max_queued=2)
    tiny = RunConfig(spec=preset("tiny"), preset="tiny")
    with runs_client(registry) as client:
        a, b = start(client, epochs=50, batch_size=8), start(client, epochs=50, batch_size=8)  # one trains, one waits
        r = client.post("/api/runs?lang=zh", json={"preset": "tiny"})
        assert r.status_code == 429 and r.json()["code"] == "too_many_runs" and "最多允许 2 个" in r.json()["detail"]
        assert len(client.get("/api/runs").json()) == 2
        other = registry.create(tiny, client="10.0.0.9")  # another client may still queue one ...
        assert (other["state"], other["place"]) == ("queued", 2)
        with pytest.raises(EngineError) as full:  # ... until the queue is full
            registry.create(tiny, client="10.0.0.10")
        assert full.value.code == "queue_full"
        client.post(f"/api/runs/{b['id']}/stop", headers=owner(b))  # leaving frees this client's place
        assert start(client)["state"] == "queued"
        for run in (a, other):
            registry.control(run["id"], "stop", token=run["control_token"])


def test_commands_given_in_the_queue_apply_when_the_run_starts():
    registry = make_registry(max_concurrent=1)
    with runs_client(registry) as client:
        first = start(client, epochs=50, batch_size=8)
        waiting = start(client, epochs=50, batch_size=8)
        assert client.get(f"/api/runs/{waiting['id']}").json()["state"] == "queued"
        assert client.post(f"/api/runs/{waiting['id']}/pause", headers=owner(waiting)).status_code == 200
        registry.control(waiting["id"], "set", 0.02, token=waiting["control_token"])
        client.post(f"/api/runs/{first['id']}/stop", headers=owner(first))
        paused = wait_for(lambda: (r := client.get(f"/api/runs/{waiting['id']}").json())["state"] == "paused" and r)
        assert paused["lr"] == 0.02
        client.post(f"/api/runs/{waiting['id']}/stop", headers=owner(waiting))
        assert finished(client, waiting["id"])["result"]["reason"] == "stopped"


def test_a_finished_runs_slot_is_free_when_its_end_is_heard():
    registry = make_registry(max_concurrent=1)
    with runs_client(registry) as client:
        finished(client, start(client)["id"])
        assert start(client, epochs=50, batch_size=8)["state"] == "running"  # not queued behind the ended run
        for run in list(registry._runs.values()):
            run.send("stop")
