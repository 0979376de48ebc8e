"""Helpers for the training-run tests: a small slice of the bundled sample, a registry that trains
on it (through the dependency override), and a watchdog so that a broken stream fails instead of hanging."""

import faulthandler
import time
from contextlib import contextmanager

from engine import data as mnist

_SAMPLE = None


def small_data(train: int = 512, test: int = 200) -> mnist.Mnist:
    """The first images of the bundled sample (class-balanced enough for a few quick steps)."""
    global _SAMPLE
    if _SAMPLE is None:
        _SAMPLE = mnist.load("sample")
    s = _SAMPLE
    return mnist.Mnist(
        s.train_images[:train],
        s.train_labels[:train],
        s.test_images[:test],
        s.test_labels[:test],
        source=f"first {train} + {test} images of the sample",
        name="sample",
    )


def small_data_named(name: str) -> mnist.Mnist:
    """:func:`small_data` as a registry's ``load_data`` (module-level: the trainer processes unpickle it)."""
    return small_data()


def make_registry(state_dir=None, **caps):
    """A registry training on :func:`small_data`, keeping its runs in ``state_dir`` (a new temporary
    folder by default); every step's progress is sent (``progress_seconds=0``) so that tests can count on them."""
    import tempfile

    from app.runs.local import LocalRunRegistry

    state_dir = state_dir or tempfile.mkdtemp(prefix="cnn-playground-runs-")
    return LocalRunRegistry(small_data_named, state_dir, **{"progress_seconds": 0, "max_runs_per_client": 100, **caps})


def owner(run: dict) -> dict:
    """The headers that control ``run`` (a POST /api/runs answer)."""
    return {"X-Control-Token": run["control_token"]}


@contextmanager
def runs_client(registry, store=None):
    """A TestClient whose app uses ``registry`` (and ``store`` for saved models)."""
    from fastapi.testclient import TestClient

    from app.deps import get_model_store
    from app.main import create_app
    from app.runs.deps import get_run_registry

    app = create_app()
    app.dependency_overrides[get_run_registry] = lambda: registry
    if store is not None:
        app.dependency_overrides[get_model_store] = lambda: store
    faulthandler.dump_traceback_later(120, exit=True)  # a hung stream kills the run with a traceback
    try:
        with TestClient(app) as client:
            yield client
    finally:
        faulthandler.cancel_dump_traceback_later()
        registry.close()
        assert registry.wait_idle(20), "runs were still training 20 s after the test"


def wait_for(predicate, timeout: float = 20.0, every: float = 0.01):
    """Poll ``predicate()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"still waiting after {timeout} s")


def receive_until(ws, kind: str, limit: int = 100_000) -> list[dict]:
    """Messages up to and including the first of type ``kind``."""
    out = []
    for _ in range(limit):
        message = ws.receive_json()
        out.append(message)
        if message["type"] == kind:
            return out
    raise AssertionError(f"no {kind!r} message in {limit} messages")
