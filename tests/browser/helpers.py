"""What the browser tests share: a real uvicorn serving an app, opening a lab and waiting for the
server's answer to be shown, reading the numbers of a grid widget, and screenshots (1280x720 unless
`full_page`) in screenshots/."""

import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@contextmanager
def serve(app):
    """A real uvicorn serving `app` on a socket pre-bound to a free local port; yields its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start within 20 s"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def settle(page):
    """Wait until the page shows the server's answer to its latest state (`body[data-ready=yes]`)."""
    page.wait_for_selector("body[data-ready=yes]")


def open_lab(page, url):
    page.goto(url)
    settle(page)


def shoot(page, name, full_page=False):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / name, full_page=full_page)


def grid_values(page, selector):
    """The numbers shown in a grid widget, as rows (empty cells as None)."""
    cells = page.eval_on_selector_all(
        f"{selector} .cell[data-row]",
        "els => els.map(e => [+e.dataset.row, +e.dataset.col, e.value !== undefined ? e.value : e.textContent])",
    )
    rows = max(r for r, _, _ in cells) + 1
    cols = max(c for _, c, _ in cells) + 1
    out = [[None] * cols for _ in range(rows)]
    for r, c, text in cells:
        out[r][c] = float(text) if text.strip() else None
    return out
