"""How fast a drawn digit is recognised: inside the server, and round trip from the page.

1. Inside the server (in-process, the pretrained ``lenet5``):
   - the prediction: ``run_prediction``, what POST /api/predict and WS /ws/predict run (grid check,
     MNIST-style preprocessing, forward pass, the answer as JSON-ready values);
   - the whole HTTP request inside the ASGI app: JSON parsing, validation, the prediction and the
     serialised answer.
   Target: p50 at most 5 ms for the prediction.
2. Round trip from the page on localhost: a real uvicorn (a subprocess) and Debian's Chromium.
   From the /draw page's own JavaScript context: POST /api/predict with fetch, and the websocket
   /ws/predict the page uses, each from sending the drawing to having the parsed answer; and the
   page itself: digits drawn with the mouse, the time from reading the pad to having drawn the
   answer (the page records it in ``data-round-trip-ms``). Target: at most 30 ms.

The drawing is what the page sends: 128 x 128 ink values. "while drawing" asks for every layer's
activations too (as the page does on each pen movement); "pen lifted" adds the occlusion map.

    python benchmarks/bench_predict.py [--runs 300] [--no-browser]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from app.model_store import ModelStore  # noqa: E402
from app.routers.draw import run_prediction  # noqa: E402
from app.schemas.draw import PredictRequest  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def seven(side: int = 128) -> np.ndarray:
    """A 7 as the page's pen draws it (round pen, 8.5% of the side wide), ink in [0, 1]."""
    d = np.zeros((side, side))
    yy, xx = np.mgrid[0:side, 0:side]
    for (y0, x0), (y1, x1) in (((0.2, 0.25), (0.2, 0.75)), ((0.2, 0.75), (0.85, 0.4))):
        for t in np.linspace(0, 1, 100):
            y, x = (y0 + t * (y1 - y0)) * side, (x0 + t * (x1 - x0)) * side
            d[(yy - y) ** 2 + (xx - x) ** 2 <= (0.0425 * side) ** 2] = 1
    return np.round(d, 3)


def summary(label: str, seconds: list[float]) -> str:
    ms = np.array(seconds) * 1000
    return f"  {label:<52} p50 {np.percentile(ms, 50):7.2f} ms   p99 {np.percentile(ms, 99):7.2f} ms   ({len(ms)} runs)"


def timed(fn, runs: int) -> list[float]:
    fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def inside_the_server(runs: int) -> None:
    store = ModelStore()
    drawing = seven().tolist()
    mnist_like = np.zeros((28, 28))
    mnist_like[4:24, 4:24] = seven(20)
    cases = [
        ("28x28 image as it is", {"image": mnist_like.tolist()}),
        ("128x128 drawing, preprocessed", {"image": drawing}),
        ("128x128 drawing + all layers (while drawing)", {"image": drawing, "layers": True}),
        ("... + occlusion map (pen lifted)", {"image": drawing, "layers": True, "explain": "occlusion"}),
        ("... + saliency map", {"image": drawing, "layers": True, "explain": "saliency"}),
    ]
    print("Inside the server: the prediction (lenet5, one thread)")
    for label, body in cases:
        request = PredictRequest(**body)
        print(summary(label, timed(lambda request=request: run_prediction(request, store), runs)))

    from fastapi.testclient import TestClient

    from app.main import create_app

    class Timed:
        def __init__(self, app):
            self.app, self.seconds = app, []

        async def __call__(self, scope, receive, send):
            start = time.perf_counter()
            await self.app(scope, receive, send)
            if scope["type"] == "http":
                self.seconds.append(time.perf_counter() - start)

    print("Inside the server: the whole POST /api/predict in the ASGI app (parse, validate, predict, serialise)")
    for label, body in cases[1:3]:
        app = Timed(create_app())
        content = json.dumps(body, separators=(",", ":"))
        with TestClient(app) as client:
            for _ in range(runs + 1):
                client.post("/api/predict", content=content, headers={"content-type": "application/json"})
        print(summary(label.replace("128x128", f"128x128 ({len(content) // 1000} kB)"), app.seconds[1:]))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PAGE_BENCH = """async ([image, runs]) => {
  const time = async (fn) => { const out = []; await fn(); for (let i = 0; i < runs; i++) {
      const t0 = performance.now(); await fn(); out.push(performance.now() - t0); } return out; };
  const results = {};
  for (const layers of [false, true]) {
    const body = JSON.stringify({image, layers});
    results[`fetch POST /api/predict${layers ? ' + layers' : ''}`] = await time(async () => {
      const r = await fetch('/api/predict', {method: 'POST', headers: {'Content-Type': 'application/json'}, body});
      await r.json();
    });
    const ws = new WebSocket(`ws://${location.host}/ws/predict`);
    await new Promise((resolve) => ws.addEventListener('open', resolve));
    results[`websocket /ws/predict${layers ? ' + layers' : ''}`] = await time(() => new Promise((resolve) => {
      ws.addEventListener('message', (e) => { JSON.parse(e.data); resolve(); }, {once: true});
      ws.send(body);
    }));
    ws.close();
  }
  return results;
}"""


def from_the_page(runs: int) -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("uvicorn did not start within 30 s") from None
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(f"{base}/draw?lang=en")
            page.wait_for_selector("body[data-models=loaded]")
            print("Round trip from the /draw page in Chromium to uvicorn on localhost (a 128x128 drawing)")
            results = page.evaluate(PAGE_BENCH, [seven().tolist(), runs])
            for label, ms in results.items():
                print(summary(label, [m / 1000 for m in ms]))
            # The page itself: short mouse strokes; each answer is read, sent, answered and drawn.
            box = page.locator("#pad").bounding_box()
            trips = []
            for _ in range(max(20, runs // 10)):
                page.click("#clear")
                page.wait_for_function("document.body.dataset.ready === 'yes'")
                x0, y0 = box["x"] + 0.3 * box["width"], box["y"] + 0.2 * box["height"]
                page.mouse.move(x0, y0)
                before = int(page.evaluate("Number(document.body.dataset.answers ?? 0)"))
                page.mouse.down()
                page.mouse.move(x0 + 0.4 * box["width"], y0, steps=4)
                page.mouse.move(x0 + 0.1 * box["width"], y0 + 0.65 * box["height"], steps=4)
                page.wait_for_function(
                    f"Number(document.body.dataset.answers ?? 0) > {before} && document.body.dataset.ready === 'yes'"
                )
                trips.append(float(page.evaluate("document.body.dataset.roundTripMs")) / 1000)
                page.mouse.up()
                page.wait_for_function("document.body.dataset.ready === 'yes'")
            print(summary("the page: pad read, sent, answered, drawn", trips))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--no-browser", action="store_true", help="only the in-process figures")
    args = parser.parse_args()
    inside_the_server(args.runs)
    if not args.no_browser:
        from_the_page(args.runs)


if __name__ == "__main__":
    main()
