"""Follow the teacher: how long a teacher's step takes to reach every student's browser.

Starts the playground itself (bench_classroom's ``Server``: ``python -m app.cli serve`` on a free port of
127.0.0.1, its own temporary folders, always stopped at the end), opens a class (``POST /api/classes``)
and connects the teacher's websocket (``{"type": "lead"}``). Then two phases, each on followers that
connected and received the class's current state first:

- idle: ``--idle-followers`` (1) follower websockets;
- loaded: ``--followers`` (40) follower websockets;

in each, the teacher sends ``--steps`` states one after another, ``1 / --rate`` seconds apart (8 a
second: the player's fastest speed), as the conv lab's page sends them: its whole URL state with the
player's ``step`` changed. The latency of one step at one follower is the time from just before the
teacher's send to the follower's receipt of that step, on this process's monotonic clock. A state a
follower never receives (a follower more than 16 states behind loses the oldest) counts as missed.

Prints, per phase, p50 / p95 / max latency over every (step, follower), the missed states and the
errors, and a PASS/FAIL line for the target (loaded p95 <= 100 ms, nothing missed, no errors); or with
``--json`` the same figures as JSON.

    python benchmarks/bench_follow.py [--followers 40] [--idle-followers 1] [--steps 200] [--rate 8]
        [--json] [--server-env NAME=VALUE ...]

The clients run in this process, on the same machine as the server: their own scheduling delay is
part of each figure (which makes them upper bounds). Loopback only; every wait is bounded.
"""

import argparse
import os
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

try:  # the test extras' client (Starlette's test client uses it under either name)
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_classroom import Server, percentile  # noqa: E402  (one copy of each)

TARGET_P95_MS = 100.0
TIMEOUT = 10.0  # one connection, one state, at most
# The conv lab's URL state for its 5x5 ReLU preset (static/js/conv_lab.js), the step filled in per message.
QUERY = (
    "preset=relu5x5&input=1,1,1,0,0;0,1,1,1,0;0,0,1,1,1;0,0,1,1,0;0,1,1,0,0&kernel=1,0,1;0,1,0;1,0,1"
    "&bias=0&stride=1&padding=0&dilation=1&activation=relu&step={step}&speed=8&im2col=0"
)


async def follower(
    ws_url: str, received: dict[int, float], ready: asyncio.Event, done: asyncio.Event, errors: list[str]
) -> None:
    """One student's websocket: the receipt time of every step, by step number."""
    try:
        async with connect(ws_url, open_timeout=TIMEOUT, max_size=2**20) as ws:
            first = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))  # the class's current state
            if first.get("type") != "state":
                errors.append(f"first message {first.get('type')}")
            ready.set()
            while not done.is_set():
                try:
                    text = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                now = time.monotonic()
                message = json.loads(text)
                if message.get("type") != "state":
                    errors.append(f"message {message.get('type')}: {message.get('code')}")
                    continue
                step = int(message["query"].split("&step=")[1].split("&")[0])
                received[step] = now
    except Exception as error:  # noqa: BLE001 (a benchmark reports every failure and goes on)
        errors.append(f"follower: {type(error).__name__}: {error}")
        ready.set()


async def phase(
    server: Server, code: str, token: str, leader, followers: int, steps: int, rate: float, first_step: int
) -> dict:
    """``followers`` students follow while the teacher sends ``steps`` steps; the figures of the phase."""
    ws_url = f"ws://127.0.0.1:{server.port}/ws/classes/{code}"
    received = [{} for _ in range(followers)]
    readies = [asyncio.Event() for _ in range(followers)]
    done, errors = asyncio.Event(), []
    tasks = [asyncio.create_task(follower(ws_url, received[i], readies[i], done, errors)) for i in range(followers)]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), TIMEOUT * 3)
    await asyncio.sleep(0.5)  # (the counts the connections caused reach the teacher, and are read below)
    sent: dict[int, float] = {}
    period = 1.0 / rate
    start = time.monotonic()
    for i in range(steps):
        step = first_step + i
        await asyncio.sleep(max(0.0, start + i * period - time.monotonic()))
        sent[step] = time.monotonic()
        await leader.send(
            json.dumps({"type": "state", "token": token, "path": "/conv", "query": QUERY.format(step=step)})
        )
    await asyncio.sleep(1.0)  # the last step's way to every follower
    done.set()
    await asyncio.gather(*tasks)
    latencies, missed = [], 0
    for got in received:
        for step, at in sent.items():
            if step in got:
                latencies.append((got[step] - at) * 1000)
            else:
                missed += 1
    return {
        "followers": followers,
        "steps": steps,
        "rate_per_s": rate,
        "received": len(latencies),
        "missed": missed,
        "errors": errors,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "max_ms": max(latencies) if latencies else None,
    }


async def drain(leader, stop: asyncio.Event, counts: list[dict]) -> None:
    """The teacher's websocket: keep reading the follower counts the server sends."""
    while not stop.is_set():
        try:
            message = json.loads(await asyncio.wait_for(leader.recv(), 0.5))
        except TimeoutError:
            continue
        if message.get("type") == "count":
            counts.append(message)


async def main(args) -> int:
    extra_env = dict(item.split("=", 1) for item in args.server_env)
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-follow-") as folder:
        server = Server(Path(folder), extra_env)
        try:
            await server.ready()
            async with httpx.AsyncClient(base_url=server.base, trust_env=False, timeout=TIMEOUT) as client:
                created = (await client.post("/api/classes")).json()
            code, token = created["code"], created["control_token"]
            async with connect(f"ws://127.0.0.1:{server.port}/ws/classes/{code}", open_timeout=TIMEOUT) as leader:
                await leader.send(json.dumps({"type": "lead", "token": token}))
                await leader.send(
                    json.dumps({"type": "state", "token": token, "path": "/conv", "query": QUERY.format(step=0)})
                )
                stop, counts = asyncio.Event(), []
                reader = asyncio.create_task(drain(leader, stop, counts))
                idle = await phase(server, code, token, leader, args.idle_followers, args.steps, args.rate, 1)
                idle["teacher_saw"] = max((c["following"] for c in counts), default=0)
                counts.clear()
                loaded = await phase(server, code, token, leader, args.followers, args.steps, args.rate, 1 + args.steps)
                loaded["teacher_saw"] = max((c["following"] for c in counts), default=0)
                stop.set()
                await reader
        finally:
            server.stop()
    passed = (
        loaded["p95_ms"] is not None
        and loaded["p95_ms"] <= TARGET_P95_MS
        and not loaded["missed"]
        and not loaded["errors"]
        and not idle["errors"]
        and loaded["teacher_saw"] == args.followers
    )
    result = {
        "idle": idle,
        "loaded": loaded,
        "target_p95_ms": TARGET_P95_MS,
        "pass": passed,
        "load_average": {"start": load_start, "end": os.getloadavg()},
    }
    if args.json:
        print(json.dumps(result, indent=1))
        return 0 if passed else 1
    print(
        f"Follow the teacher: a step from the teacher's websocket to each follower's, {args.steps} steps at "
        f"{args.rate:g}/s (load average {load_start[0]:.2f} at the start)"
    )
    print(
        f"{'':10}{'followers':>10}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'received':>10}{'missed':>8}{'errors':>8}"
        f"{'teacher saw':>13}"
    )
    for name, f in (("idle", idle), ("loaded", loaded)):
        print(
            f"{name:10}{f['followers']:>10}{f['p50_ms'] or float('nan'):>9.1f}{f['p95_ms'] or float('nan'):>9.1f}"
            f"{f['max_ms'] or float('nan'):>9.1f}{f['received']:>10}{f['missed']:>8}{len(f['errors']):>8}"
            f"{f['teacher_saw']:>13}"
        )
    for f in (idle, loaded):
        for error in f["errors"][:5]:
            print(f"  error: {error}")
    print(
        f"{'PASS' if passed else 'FAIL'}: {args.followers} followers, p95 "
        f"{loaded['p95_ms'] or float('nan'):.1f} ms <= {TARGET_P95_MS:g} ms, none missed, no errors, "
        f"the teacher counted every follower"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--followers", type=int, default=40, help="students following in the loaded phase")
    parser.add_argument("--idle-followers", type=int, default=1, help="students following in the idle phase")
    parser.add_argument("--steps", type=int, default=200, help="steps the teacher sends in each phase")
    parser.add_argument("--rate", type=float, default=8.0, help="steps a second (the player's fastest: 8)")
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    parser.add_argument(
        "--server-env",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the server (CNN_PLAYGROUND_...)",
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
