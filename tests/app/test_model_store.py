"""The models folder: leftover temporary files of interrupted saves are removed when a store starts;
damaged model files are left out of GET /api/models (never a 500) and explained without the
server's paths when asked for by name."""

import logging
import os
import time

import pytest
from fastapi.testclient import TestClient

from app.deps import get_model_store
from app.main import create_app
from app.model_store import LEFTOVER_SECONDS, ModelStore
from engine.model import Sequential
from engine.presets import preset


def _age(path, seconds):
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_leftover_temporary_files_are_removed_at_start(tmp_path):
    store = ModelStore(tmp_path)
    store.save("kept", Sequential.from_spec(preset("tiny"), seed=0))
    old = tmp_path / ".net.npz.k2j4h1.tmp"  # a save cut off by a crash, a minute ago
    old.write_bytes(b"half a model")
    _age(old, 60)
    fresh = tmp_path / ".other.npz.a8s7d6.tmp"  # a save that may still be under way
    fresh.write_bytes(b"being written")
    unrelated = tmp_path / "notes.tmp"  # not a model's temporary file
    unrelated.write_bytes(b"x")
    _age(unrelated, 60)

    ModelStore(tmp_path)  # a restarted server
    assert not old.exists()
    assert fresh.exists() and unrelated.exists() and (tmp_path / "kept.npz").exists()
    _age(fresh, LEFTOVER_SECONDS + 1)
    assert ModelStore(tmp_path).remove_leftovers() == [] or not fresh.exists()
    assert not fresh.exists()


def test_a_missing_models_folder_is_fine(tmp_path):
    store = ModelStore(tmp_path / "not yet")
    assert store.remove_leftovers() == [] and not (tmp_path / "not yet").exists()


@pytest.fixture()
def broken_store(tmp_path):
    store = ModelStore(tmp_path / "trained")
    good = Sequential.from_spec(preset("tiny"), seed=0)
    path = store.save("good", good, {"test_accuracy": 0.5})
    raw = (tmp_path / "trained" / "good.npz").read_bytes()
    (tmp_path / "trained" / "empty.npz").write_bytes(b"")
    (tmp_path / "trained" / "cut.npz").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "trained" / "junk.npz").write_bytes(b"not a zip file at all" * 10)
    assert path is not None
    return store


def test_damaged_model_files_are_left_out_of_the_list_with_a_log_line(broken_store, caplog):
    app = create_app()
    app.dependency_overrides[get_model_store] = lambda: broken_store
    with caplog.at_level(logging.WARNING, logger="app.model_store"), TestClient(app) as client:
        r = client.get("/api/models")
        assert r.status_code == 200, r.text
        names = [m["name"] for m in r.json()["models"]]
        assert "good" in names and "lenet5" in names
        assert not {"empty", "cut", "junk"} & set(names)
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "empty" in logged and "cut" in logged and "junk" in logged


@pytest.mark.parametrize("lang,fragment", [("en", "cannot be read"), ("zh", "无法读取")])
@pytest.mark.parametrize("name", ["empty", "cut", "junk"])
def test_a_damaged_model_asked_for_by_name_is_explained_without_paths(broken_store, tmp_path, name, lang, fragment):
    app = create_app()
    app.dependency_overrides[get_model_store] = lambda: broken_store
    with TestClient(app) as client:
        r = client.post(f"/api/predict?lang={lang}", json={"image": [[0.0] * 28] * 28, "model": name})
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["code"] == "bad_model_file" and fragment in body["detail"] and name in body["detail"]
        assert str(tmp_path) not in r.text and "/" not in body["detail"]
