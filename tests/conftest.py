"""Shared fixtures: the path to the development copy of MNIST, an HTTP test client, and a real
uvicorn server on a free local port with Debian's Chromium for browser tests."""
import os
import socket
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
MNIST_DIR = SHARED / "datasets" / "mnist"
TEXTBOOK = SHARED / "examples" / "textbook_cases.json"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def textbook():
    import json

    with open(TEXTBOOK, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    assert (MNIST_DIR / "train-images-idx3-ubyte.gz").exists(), f"the development MNIST is missing: {MNIST_DIR}"
    return MNIST_DIR


@pytest.fixture()
def client():
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app()) as c:
        yield c


@pytest.fixture(scope="session")
def live_server():
    """A real uvicorn serving the app on a socket pre-bound to a free port; yields its base URL."""
    import uvicorn

    from app.main import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start within 20 s"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    assert Path(CHROMIUM).exists(), "Debian's chromium is not installed: apt-get install -y chromium"
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 720}}


@pytest.fixture()
def console_errors(page):
    """Collects console errors and page errors; a browser test asserts it stays empty."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors
