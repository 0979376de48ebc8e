"""How long the server takes to trace a 16x16 input with a 3x3 kernel (POST /api/conv).

Runs the real app in-process and times each request twice: inside the ASGI app (from the request
arriving to the last byte of the answer: parsing, validation, the traced loops, the im2col view,
serialisation) and round trip through the test client. Prints the median and the 95th percentile;
the target is 20 ms on the server.

    python benchmarks/bench_trace.py [--requests 300] [--size 16] [--kernel 3]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from app.main import create_app  # noqa: E402


class Timed:
    """ASGI wrapper that records how long the app takes for each HTTP request."""

    def __init__(self, app):
        self.app = app
        self.seconds: list[float] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        await self.app(scope, receive, send)
        self.seconds.append(time.perf_counter() - start)


def percentile(values, q):
    return float(np.percentile(values, q))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--kernel", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    body = {
        "input": rng.integers(0, 10, (args.size, args.size)).tolist(),
        "kernel": rng.integers(-1, 2, (args.kernel, args.kernel)).tolist(),
        "bias": 1,
        "padding": 1,
    }
    timed = Timed(create_app())
    round_trips = []
    with TestClient(timed) as client:
        for _ in range(20):  # warm up
            assert client.post("/api/conv", json=body).status_code == 200
        timed.seconds.clear()
        for _ in range(args.requests):
            start = time.perf_counter()
            r = client.post("/api/conv", json=body)
            round_trips.append(time.perf_counter() - start)
            assert r.status_code == 200
        steps = len(r.json()["steps"])
        size = len(r.content)
    server = [s * 1000 for s in timed.seconds]
    trips = [s * 1000 for s in round_trips]
    print(
        f"POST /api/conv: {args.size}x{args.size} input, {args.kernel}x{args.kernel} kernel, padding 1: "
        f"{steps} steps, {size / 1024:.0f} kB of JSON, {args.requests} requests"
    )
    print(f"  server    median {statistics.median(server):6.2f} ms   p95 {percentile(server, 95):6.2f} ms")
    print(f"  round trip median {statistics.median(trips):5.2f} ms   p95 {percentile(trips, 95):6.2f} ms")
    print(f"  target: 20 ms on the server -> {'met' if percentile(server, 95) <= 20 else 'NOT met'} (p95)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
