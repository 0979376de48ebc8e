"""A classroom on one server: a LeNet-5 run watched by 50 browsers while 30 students draw digits.

Starts the playground itself (``python -m app.cli serve`` on a free port of 127.0.0.1, one BLAS
thread, temporary runs, data, state and cache folders), waits for ``/health`` and always stops it at the
end. Then, in each round:

- idle: 3 clients drawing over ``WS /ws/predict`` and 1 tracing ``POST /api/conv``, with no run
  (10 s at most); then one ``lenet5`` run, 1 epoch of the bundled sample, alone, watched by one
  websocket: its wall time from the POST to the ``done`` event;
- loaded: the same run again while, at once, ``--viewers`` websockets watch it on
  ``/ws/runs/{id}``, ``--drawers`` clients draw over ``/ws/predict`` and ``--tracers`` clients trace
  a 16x16 input with a 3x3 kernel, one request after another with a 0.25 s pause; until the run's
  ``done`` reaches every viewer, ``--seconds`` at most.

Before the first round, a warm-up (one run, one drawer, one tracer) loads the sample, the model and
the code paths; rounds after the first alternate which phase goes first.

A drawer sends what the /draw page sends (static/js/draw_page.js, draw_canvas.js): a 128x128 drawing
of ink in [0, 1] after every pointer event (60 a second while the pen moves), a stroke growing at
about one pad side a second; at most one question open, the latest drawing sent as soon as the
answer arrives; when the pen lifts, the drawing with every layer and the occlusion map. Between
strokes 0.3 s, after a digit 1.5 s looking at the answer, then the pad is cleared (nothing is sent).
"Prediction while drawing" times the pointer-event questions; "at pen lift" the heavier ones.

Prints idle and loaded figures side by side and a PASS/FAIL line per target (run wall time <= 1.5x
idle, prediction p95 <= 50 ms, 0 errors, every viewer the same events with no gap in ``seq``, server
RSS growth <= 300 MB), or with ``--json`` the same figures as JSON. An error is any non-2xx answer,
any error message (a "draw a digit first" answer to a single dot is an ordinary answer, as on the
page), a run that does not end ``finished``, any websocket that fails or closes with another code
than 1000. RSS is the server's own (/proc/<pid>/status VmRSS) and, separately, the sum over its
child processes, sampled every 0.25 s. Unknown fields and states in the API's answers are ignored.

    python benchmarks/bench_classroom.py [--rounds 1] [--viewers 50] [--drawers 30] [--tracers 5]
        [--seconds 60] [--json] [--one-process] [--server-env NAME=VALUE ...]

The clients run on the same machine: what they cost the CPU is reported, and on a small machine it
slows the server too. The drawers have a process of their own (``--one-process``: in this one, with
the viewers and tracers), as in a classroom, where no student's browser waits for another's: on one
event loop, the 50 viewers' handshakes and events delay the drawers' answers by tens of milliseconds
(the event-loop lag lines tell how much). Loopback only; every client loop is bounded in count and time.
"""

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

try:  # the test extras' client (Starlette's test client uses it under either name)
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, WebSocketException

ROOT = Path(__file__).resolve().parent.parent
RUN_BODY = {"preset": "lenet5", "epochs": 1, "dataset": "sample"}
RATE = 60  # pointer events a second while the pen moves (one drawing sent per event at most)
MIN_INTERVAL = 0.080  # ... and questions at least this far apart (static/js/draw_page.js, MIN_INTERVAL_MS)
SIDE = 128  # the pad's ink canvas (draw_canvas.js INK_SIDE)
BRUSH = 0.085  # pen width, a fraction of the side (draw_canvas.js BRUSH)
SPEED = 1.0  # pen speed, pad sides a second
STROKE_PAUSE, LOOK = 0.3, 1.5
NOT_YET = ("empty_drawing", "drawing_too_small")  # the page shows these as "draw a digit first"
IDLE_DRAWERS, IDLE_TRACERS, IDLE_SECONDS = 3, 1, 10.0
TRACE_PAUSE = 0.25
TIMEOUT = 20.0  # one answer, one event, at most
TARGETS = {"ratio": 1.5, "predict_p95_ms": 50.0, "errors": 0, "rss_growth_mb": 300.0}
# Digits as the pen draws them: strokes of points in [0, 1] x [0, 1] of the pad (x right, y down).
DIGITS = {
    "7": [[(0.25, 0.2), (0.75, 0.2), (0.42, 0.85)]],
    "1": [[(0.45, 0.2), (0.55, 0.15), (0.52, 0.85)]],
    "4": [[(0.6, 0.15), (0.25, 0.6), (0.78, 0.6)], [(0.62, 0.35), (0.6, 0.88)]],
    "0": [[(0.5 + 0.22 * np.sin(a), 0.5 - 0.33 * np.cos(a)) for a in np.linspace(0, 2 * np.pi, 25)]],
    "2": [[(0.28, 0.32), (0.4, 0.17), (0.6, 0.17), (0.7, 0.32), (0.62, 0.5), (0.28, 0.83), (0.75, 0.83)]],
}


# ---- pure helpers (tests/app/test_bench_classroom.py) -----------------------------------------------


def percentile(values, q: float) -> float | None:
    """The ``q``-th percentile (0..100) of ``values``, interpolated linearly between the closest ranks
    (NumPy's default method); None when there are no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _live_from(events: list[tuple]) -> int:
    """The seq from which a viewer certainly received everything live: its first snapshot's (a replay
    holds only the latest snapshot, so older ones may be missing before it), else 0."""
    return next((seq for seq, kind, *_ in events if kind == "snapshot"), 0)


def stream_problems(events: list[tuple], kept) -> list[str]:
    """What is wrong with one viewer's events, in words ([] when nothing is).

    ``events``: ``(seq, type, ...)`` in the order received. ``kept``: the seqs the server replays to a
    viewer arriving after the run (every event but the snapshots it compacted away). The events must
    come in order, each once, and end with ``done``; none of ``kept`` may be missing, and after the
    viewer's first snapshot (from then on it was live) no seq at all."""
    if not events:
        return ["no events"]
    problems = []
    seqs = [e[0] for e in events]
    if any(b <= a for a, b in zip(seqs, seqs[1:])):
        problems.append("seq out of order or repeated")
    if events[-1][1] != "done":
        problems.append(f"the last event is {events[-1][1]!r}, not 'done'")
    got = set(seqs)
    missing = {s for s in kept if s not in got}
    missing |= {s for s in range(_live_from(events) + 1, max(seqs)) if s not in got}
    if missing:
        shown = sorted(missing)
        problems.append(f"missing seq {', '.join(map(str, shown[:5]))}{' ...' if len(shown) > 5 else ''}")
    return problems


def same_events(streams: list[list[tuple]]) -> bool:
    """Whether every viewer received the same events (equal tuples) from the point all of them were live."""
    if not streams:
        return True
    start = max(_live_from(events) for events in streams)
    tails = [[e for e in events if e[0] >= start] for events in streams]
    return all(tail == tails[0] for tail in tails)


def stroke_frames(strokes, side: int = SIDE, brush: float = BRUSH, speed: float = SPEED, rate: int = RATE):
    """The pad's ink (side x side, in [0, 1], 3 decimals) after each pointer event of each stroke:
    a list per stroke of arrays, the pen moving at ``speed`` pad sides a second with ``rate`` events a
    second, every stroke kept on the pad. Edges are anti-aliased as a canvas draws a round pen."""
    centres = (np.arange(side) + 0.5)[:, None], (np.arange(side) + 0.5)[None, :]
    distance = np.full((side, side), np.inf)
    out = []
    for points in strokes:
        pts = np.asarray(points, dtype=np.float64) * side
        lengths = np.hypot(*np.diff(pts, axis=0).T)
        along = np.concatenate([[0.0], np.cumsum(lengths)])
        step = speed * side / rate
        frames, reached = [], pts[0]
        for travelled in [*np.arange(0, along[-1], step), along[-1]]:
            # the path from the last event to this one: the corners passed and the new pen position
            corners = [pts[i] for i in range(1, len(pts)) if travelled - step < along[i] < travelled]
            i = min(int(np.searchsorted(along, travelled, side="right")) - 1, len(pts) - 2)
            t = 0.0 if lengths[i] == 0 else (travelled - along[i]) / lengths[i]
            pen = pts[i] + min(t, 1.0) * (pts[i + 1] - pts[i])
            for a, b in zip([reached, *corners], [*corners, pen]):
                distance = np.minimum(distance, _segment_distance(centres, a, b))
            reached = pen
            frames.append(np.round(np.clip(brush * side / 2 + 0.5 - distance, 0, 1), 3))
        out.append(frames)
    return out


def _segment_distance(centres, a, b) -> np.ndarray:
    (yy, xx), d = centres, b - a
    span = float(d @ d)
    t = 0.0 if span == 0 else np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / span, 0, 1)
    return np.hypot(xx - (a[0] + t * d[0]), yy - (a[1] + t * d[1]))


def page_body(ink: np.ndarray, pen_lifted: bool) -> str:
    """The JSON the page sends for ``ink`` (without the ``id``): the ink's bytes in base64 with their
    shape (static/js/draw_canvas.js, DrawingPad.ink)."""
    alpha = np.rint(ink * 255).astype(np.uint8)
    body = {
        "pixels": base64.b64encode(alpha.tobytes()).decode("ascii"),
        "shape": list(alpha.shape),
        "layers": pen_lifted,
        "explain": "occlusion" if pen_lifted else None,
    }
    return json.dumps(body, separators=(",", ":"))


# ---- the server -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """VmRSS of a process in MB (0 when it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc)."""
    parent = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [], [pid]
    while frontier:
        children = [p for p, pp in parent.items() if pp in frontier]
        found += children
        frontier = children
    return found


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


class Server:
    """``python -m app.cli serve`` in its own process group, with its own temporary folders."""

    def __init__(self, folder: Path, extra_env: dict[str, str]):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "server.log"
        env = {
            **os.environ,
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "PYTHONPATH": str(ROOT),
            "CNN_PLAYGROUND_RUNS_DIR": str(folder / "runs"),
            "CNN_PLAYGROUND_DATA_DIR": str(folder / "data"),
            "CNN_PLAYGROUND_STATE_DIR": str(folder / "state"),
            "XDG_CACHE_HOME": str(folder / "cache"),
            # Every client here comes from 127.0.0.1: the limits per client are those of the whole class.
            "CNN_PLAYGROUND_MAX_WEBSOCKETS_PER_CLIENT": "200",
            "CNN_PLAYGROUND_MAX_REQUESTS_PER_CLIENT": "100",
            **extra_env,
        }
        for name in ("runs", "data", "state", "cache"):
            (folder / name).mkdir()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--no-browser", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def ready(self, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(base_url=self.base, trust_env=False, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                for path in ("/health", "/api/health"):
                    try:
                        if (await client.get(path)).status_code == 200:
                            return
                    except httpx.HTTPError:
                        pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"the server did not answer /health within {seconds:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def rss(self) -> tuple[float, float]:
        """(the server's RSS, the sum of its child processes' RSS), MB."""
        return rss_mb(self.proc.pid), sum(rss_mb(p) for p in descendants(self.proc.pid))

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid) + sum(cpu_seconds(p) for p in descendants(self.proc.pid))

    def stop(self) -> None:
        """SIGTERM, then after 15 s SIGKILL to its whole process group (only what this script started)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the server if it hung, and any child it left behind
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait(timeout=15)


# ---- the clients -----------------------------------------------------------------------------------


@dataclass
class Figures:
    """What one phase measured (times in ms)."""

    predict: list[float] = field(default_factory=list)
    pen_lift: list[float] = field(default_factory=list)
    trace: list[float] = field(default_factory=list)
    not_yet: int = 0
    errors: Counter = field(default_factory=Counter)
    lag: list[float] = field(default_factory=list)
    drawer_lag: list[float] = field(default_factory=list)  # the drawers' own process, when they have one
    streams: list[list[tuple]] = field(default_factory=list)
    viewer_problems: list[str] = field(default_factory=list)
    run: dict = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what[:120]] += 1

    def add(self, other: "Figures") -> None:
        """Take in another phase's figures (its run, if it had one)."""
        for name in ("predict", "pen_lift", "trace", "lag", "drawer_lag", "streams", "viewer_problems"):
            getattr(self, name).extend(getattr(other, name))
        self.not_yet += other.not_yet
        self.errors.update(other.errors)
        self.run = other.run or self.run


class Clients:
    def __init__(self, server: Server, digits: list[list[tuple[list[str], str]]]):
        self.server = server
        self.ws_base = f"ws://127.0.0.1:{server.port}"
        self.headers = {"Origin": server.base}  # what a browser on the page sends
        self.digits = digits
        self.drawer_host = None  # a pipe to the drawers' own process (see drawer_host), if they have one

    def connect(self, path: str):
        return connect(
            self.ws_base + path,
            origin=self.server.base,
            proxy=None,
            max_size=None,
            open_timeout=TIMEOUT,
            close_timeout=5,
        )

    def http(self) -> "httpx.AsyncClient":
        return httpx.AsyncClient(base_url=self.server.base, trust_env=False, timeout=TIMEOUT, headers=self.headers)

    async def drawer(self, figures: Figures, seed: int, stop: asyncio.Event, deadline: float) -> None:
        """One student drawing digits over /ws/predict as the page does, until ``stop`` or ``deadline``."""
        rng = np.random.default_rng(seed)
        cap = int(2 * RATE * (deadline - time.monotonic())) + 10  # questions, at most

        def over() -> bool:
            return stop.is_set() or time.monotonic() >= deadline or cap <= 0

        try:
            await asyncio.sleep(rng.uniform(0, 1.0))  # students do not start in step
            async with self.connect("/ws/predict?lang=en") as ws:
                number = 0

                sent_at = -MIN_INTERVAL

                async def ask(text: str, into: list[float]) -> bool:
                    nonlocal number, cap, sent_at
                    await asyncio.sleep(max(0.0, sent_at + MIN_INTERVAL - time.monotonic()))
                    sent_at = time.monotonic()
                    number, cap = number + 1, cap - 1
                    start = time.perf_counter()
                    await ws.send(f'{{"id":{number},{text[1:]}')
                    reply = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                    into.append(1000 * (time.perf_counter() - start))
                    kind = reply.get("type")
                    if kind == "error" and reply.get("code") in NOT_YET:
                        figures.not_yet += 1
                    elif kind == "error":
                        figures.error(f"/ws/predict: {reply.get('code')}: {reply.get('detail')}")
                    elif kind != "prediction" or reply.get("id") != number:
                        figures.error(f"/ws/predict: a {kind} answer with id {reply.get('id')}, not {number}")
                    return not over()

                while not over():
                    for strokes in [self.digits[i] for i in rng.permutation(len(self.digits))]:
                        for frames, lifted in strokes:
                            start, sent = time.monotonic(), -1
                            lift_at = start + len(frames) / RATE  # the pen lifts an event after its last move
                            while (now := time.monotonic()) < lift_at:  # the latest drawing when no question is open
                                if (wait := sent_at + MIN_INTERVAL - now) > 0:
                                    await asyncio.sleep(wait)
                                    continue
                                k = min(int((now - start) * RATE), len(frames) - 1)
                                if k == sent:
                                    await asyncio.sleep(min(start + (k + 1) / RATE, lift_at) - now)
                                elif not await ask(frames[k], figures.predict):
                                    return
                                else:
                                    sent = k
                            # once the pen has lifted, the next question is the pen-lift one (the page merges them)
                            if not await ask(lifted, figures.pen_lift):
                                return
                            await asyncio.sleep(STROKE_PAUSE)
                        await asyncio.sleep(LOOK)  # looks at the answer, clears the pad
                        if over():
                            return
        except (OSError, WebSocketException, TimeoutError) as error:
            figures.error(f"/ws/predict: {type(error).__name__} {error}")

    async def tracer(self, figures: Figures, body: dict, stop: asyncio.Event, deadline: float) -> None:
        """POST /api/conv, one request after another with a short pause, until ``stop`` or ``deadline``."""
        cap = int((deadline - time.monotonic()) / TRACE_PAUSE) + 10
        async with self.http() as client:
            for _ in range(cap):
                if stop.is_set() or time.monotonic() >= deadline:
                    return
                start = time.perf_counter()
                try:
                    r = await client.post("/api/conv", json=body)
                    if r.is_success:
                        figures.trace.append(1000 * (time.perf_counter() - start))
                    else:
                        figures.error(f"POST /api/conv: {r.status_code} {r.text[:80]}")
                except httpx.HTTPError as error:
                    figures.error(f"POST /api/conv: {type(error).__name__} {error}")
                await asyncio.sleep(TRACE_PAUSE)

    async def viewer(self, figures: Figures, run_id: str, deadline: float) -> float | None:
        """Read the run's events until ``done``, keeping ``(seq, type, crc of the text)`` in
        ``figures.streams``; the time ``done`` arrived, or None if it had not by ``deadline`` (not an
        error here: the run's own lateness is counted once, by :meth:`run`)."""
        events, done_at = [], None
        try:
            async with self.connect(f"/ws/runs/{run_id}?lang=en") as ws:
                while done_at is None:
                    try:
                        text = await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
                    except TimeoutError:
                        break
                    message = json.loads(text)
                    if "seq" not in message:  # not one of the run's events: an answer to this viewer
                        if message.get("type") == "error":
                            figures.error(f"/ws/runs: {message.get('code')}: {message.get('message')}")
                        continue
                    events.append((message["seq"], message.get("type"), zlib.crc32(text.encode())))
                    if message.get("type") == "error":
                        figures.error(f"the run: {message.get('code')}: {message.get('message')}")
                    elif message.get("type") == "done":
                        done_at = time.monotonic()
                        if message.get("reason") != "finished":
                            figures.error(f"the run ended: {message.get('reason')}")
                if done_at is not None:  # the server closes the socket after done
                    try:
                        await asyncio.wait_for(ws.recv(), 5)
                        figures.error("/ws/runs: a message after done")
                    except ConnectionClosed:
                        if ws.close_code != 1000:
                            figures.error(f"/ws/runs: closed after done with code {ws.close_code}")
        except ConnectionClosed as error:
            figures.error(f"/ws/runs: closed before done, code {error.rcvd.code if error.rcvd else None}")
        except (OSError, WebSocketException, TimeoutError) as error:
            figures.error(f"/ws/runs: {type(error).__name__} {error}")
        figures.streams.append(events)
        return done_at

    async def run(self, figures: Figures, viewers: int, deadline: float) -> None:
        """One run: POST /api/runs, ``viewers`` websockets on it, wall time to the first ``done``; then
        the viewers' events checked against what the server replays to a viewer arriving afterwards."""
        async with self.http() as client:
            start = time.monotonic()
            r = await client.post("/api/runs", json=RUN_BODY)
            if not r.is_success:
                figures.error(f"POST /api/runs: {r.status_code} {r.text[:80]}")
                return
            created = r.json()
            run_id = created["id"]
            ends = await asyncio.gather(*(self.viewer(figures, run_id, deadline) for _ in range(viewers)))
            ends = [end for end in ends if end is not None]
            figures.run = {
                "id": run_id,
                "wall_seconds": min(ends) - start if ends else None,
                "wall_seconds_over": None if ends else deadline - start,
            }
            if not ends:  # stop it, so that it does not hold up the next run (best effort)
                figures.error(f"the run was not done within {deadline - start:.0f} s")
                figures.viewer_problems.append("not checked: the run was not done in time")
                token = created.get("control_token")  # (a server that gives runs an owner asks for it)
                await client.post(f"/api/runs/{run_id}/stop", headers={"X-Control-Token": token} if token else None)
                return
            view = (await client.get(f"/api/runs/{run_id}")).json()
        figures.run.update(
            {
                "server_wall_seconds": view.get("wall_seconds"),
                "state": view.get("state"),
                "test_accuracy": (view.get("result") or {}).get("test_accuracy"),
            }
        )
        if view.get("state") != "done":
            figures.error(f"the run's state is {view.get('state')!r} after its done event")
        replay = Figures()  # what a viewer arriving now is sent: the seqs the server kept
        await self.viewer(replay, run_id, time.monotonic() + TIMEOUT)
        kept = {seq for seq, *_ in replay.streams[0]}
        figures.errors.update({f"replay: {what}": n for what, n in replay.errors.items()})
        for i, events in enumerate(figures.streams):
            figures.viewer_problems += [f"viewer {i + 1}: {p}" for p in stream_problems(events, kept)]
        if not same_events(figures.streams):
            figures.viewer_problems.append("the viewers did not all receive the same events")


async def loop_lag(figures: Figures, stop: asyncio.Event) -> None:
    """How late this process's event loop wakes up (the clients' own delay, included in their figures)."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.05)
        figures.lag.append(1000 * (time.perf_counter() - start - 0.05))


async def phase(
    clients: Clients, drawers: int, tracers: int, viewers: int, seconds: float, seed: int, with_run: bool
) -> Figures:
    """Drawers and tracers and, with ``with_run``, a watched run (1 s after them); ``seconds`` at most."""
    figures, stop = Figures(), asyncio.Event()
    deadline = time.monotonic() + seconds
    rng = np.random.default_rng(0)
    trace_body = {
        "input": rng.integers(0, 10, (16, 16)).tolist(),
        "kernel": rng.integers(-1, 2, (3, 3)).tolist(),
        "bias": 1,
        "padding": 1,
    }
    tasks = [asyncio.create_task(loop_lag(figures, stop))]
    host = clients.drawer_host if drawers else None
    if host is not None:  # the students drawing, in a process of their own
        host.send(("phase", drawers, seed, seconds))
    else:
        tasks += [asyncio.create_task(clients.drawer(figures, seed + i, stop, deadline)) for i in range(drawers)]
    tasks += [asyncio.create_task(clients.tracer(figures, trace_body, stop, deadline)) for _ in range(tracers)]
    try:
        if with_run:
            if drawers or tracers:
                await asyncio.sleep(1.0)
            await clients.run(figures, viewers, deadline)
            stop.set()
        else:
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        if host is not None:
            host.send(("stop",))
            theirs = await asyncio.to_thread(host.recv)
            figures.predict += theirs["predict"]
            figures.pen_lift += theirs["pen_lift"]
            figures.drawer_lag += theirs["lag"]
            figures.not_yet += theirs["not_yet"]
            figures.errors.update(theirs["errors"])
    return figures


def make_digits() -> list[list[tuple[list[str], str]]]:
    """Every digit's strokes as the page sends them: per stroke, the bodies while the pen moves and at its lift."""
    digits = []
    for strokes in DIGITS.values():
        frames = stroke_frames(strokes)
        digits.append([([page_body(f, False) for f in fs], page_body(fs[-1], True)) for fs in frames])
    return digits


def clients_cpu(host) -> float:
    """CPU seconds of this process and of the drawers' (``host``, if any)."""
    return time.process_time() + (cpu_seconds(host.pid) if host is not None else 0.0)


class _Address:
    def __init__(self, port: int):
        self.port, self.base = port, f"http://127.0.0.1:{port}"


def drawer_host(conn, port: int) -> None:
    """A process of its own for the drawing students (started by :func:`main` unless ``--one-process``):
    in a classroom no student's browser waits for another's, nor for the 50 viewers' pages; in one
    client process they all share one event loop, whose delays count in every answer's time. For
    each ``("phase", drawers, seed, seconds)`` it runs the drawers until ``("stop",)`` and sends back
    their figures."""
    clients = Clients(_Address(port), make_digits())
    conn.send("ready")
    while (message := conn.recv())[0] == "phase":
        _, drawers, seed, seconds = message
        figures = asyncio.run(_drawers_phase(conn, clients, drawers, seed, seconds))
        conn.send(
            {
                "predict": figures.predict,
                "pen_lift": figures.pen_lift,
                "lag": figures.lag,
                "not_yet": figures.not_yet,
                "errors": dict(figures.errors),
            }
        )


async def _drawers_phase(conn, clients: "Clients", drawers: int, seed: int, seconds: float) -> Figures:
    figures, stop = Figures(), asyncio.Event()
    deadline = time.monotonic() + seconds
    loop = asyncio.get_running_loop()
    loop.add_reader(conn.fileno(), stop.set)  # the ("stop",) message: read once the drawers have ended
    tasks = [asyncio.create_task(loop_lag(figures, stop))]
    tasks += [asyncio.create_task(clients.drawer(figures, seed + i, stop, deadline)) for i in range(drawers)]
    try:
        await asyncio.wait_for(stop.wait(), max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        stop.set()
    finally:
        loop.remove_reader(conn.fileno())
        await asyncio.gather(*tasks)
    conn.recv()  # ("stop",)
    return figures


# ---- the report ------------------------------------------------------------------------------------


def summary(rounds: list[dict[str, Figures]], rss: list[tuple[float, float, float]], cpu: dict) -> dict:
    """The figures of every round in one JSON-able dict, with the targets' verdicts."""

    def pooled(kind: str, attr: str) -> list[float]:
        return [v for r in rounds for v in getattr(r[kind], attr)]

    def stats(kind: str, attr: str) -> dict:
        values = pooled(kind, attr)
        return {"count": len(values), **{f"p{q}": percentile(values, q) for q in (50, 95, 99)}}

    out = {"rounds": len(rounds)}
    for kind in ("idle", "loaded"):
        walls = [r[kind].run.get("wall_seconds") for r in rounds]
        out[kind] = {
            "run_wall_seconds": walls,
            "run": [r[kind].run for r in rounds],
            "predict_ms": stats(kind, "predict"),
            "pen_lift_ms": stats(kind, "pen_lift"),
            "trace_ms": stats(kind, "trace"),
            "not_yet_answers": sum(r[kind].not_yet for r in rounds),
            "client_loop_lag_ms": stats(kind, "lag"),
            "drawers_loop_lag_ms": stats(kind, "drawer_lag"),
            "errors": sum(sum(r[kind].errors.values()) for r in rounds),
            "error_kinds": dict(sum((r[kind].errors for r in rounds), Counter()).most_common(10)),
            "viewers": sum(len(r[kind].streams) for r in rounds),
            "viewer_problems": [p for r in rounds for p in r[kind].viewer_problems][:10],
            "cpu_seconds": cpu[kind],
        }
    # a loaded run not done by the deadline counts with that lower bound (the ratio is then "more than")
    ratios = [
        (r["loaded"].run.get("wall_seconds") or r["loaded"].run["wall_seconds_over"]) / r["idle"].run["wall_seconds"]
        for r in rounds
        if r["loaded"].run and r["idle"].run.get("wall_seconds")
    ]
    out["ratio"] = percentile(ratios, 50)
    out["ratio_at_least"] = any(r["loaded"].run.get("wall_seconds") is None for r in rounds)
    totals = [s + c for _, s, c in rss]
    peak = max(range(len(rss)), key=lambda i: totals[i])
    out["rss_mb"] = {
        "start": {"server": rss[0][1], "children": rss[0][2]},
        "peak": {"server": max(s for _, s, _ in rss), "children": max(c for *_, c in rss), "total": totals[peak]},
        "end": {"server": rss[-1][1], "children": rss[-1][2]},
        "growth": totals[-1] - totals[0],
        "peak_growth": totals[peak] - totals[0],
    }
    p95 = out["loaded"]["predict_ms"]["p95"]
    errors = out["idle"]["errors"] + out["loaded"]["errors"]
    gapless = not out["idle"]["viewer_problems"] and not out["loaded"]["viewer_problems"]
    out["targets"] = {
        "run wall time loaded / idle <= 1.5x": (
            out["ratio"] is not None and not out["ratio_at_least"] and out["ratio"] <= TARGETS["ratio"]
        ),
        "prediction p95 under load <= 50 ms": p95 is not None and p95 <= TARGETS["predict_p95_ms"],
        "errors == 0": errors == TARGETS["errors"],
        "every viewer the same events, no seq gap": gapless and out["loaded"]["viewers"] > 0,
        "server RSS growth (end - start) <= 300 MB": out["rss_mb"]["growth"] <= TARGETS["rss_growth_mb"],
    }
    return out


def _ms(stats: dict, keys=("p50", "p95", "p99")) -> str:
    if not stats["count"]:
        return "-"
    return " / ".join(f"{stats[k]:.1f}" for k in keys)


def print_report(s: dict, args) -> None:
    idle, loaded = s["idle"], s["loaded"]
    walls = lambda k: ", ".join(
        "-"
        if not r
        else f"{r['wall_seconds']:.2f}"
        if r["wall_seconds"] is not None  # noqa: E731
        else f"> {r['wall_seconds_over']:.1f}"
        for r in s[k]["run"]
    )
    accuracy = lambda k: ", ".join(
        "-" if r.get("test_accuracy") is None else f"{r['test_accuracy']:.4f}"  # noqa: E731
        for r in s[k]["run"]
    )
    rows = [
        ("run wall time, POST to done (s)", walls("idle"), walls("loaded")),
        (
            "  loaded / idle (median of rounds)",
            "",
            "-" if s["ratio"] is None else f"{'> ' if s['ratio_at_least'] else ''}{s['ratio']:.2f}x",
        ),
        ("  test accuracy", accuracy("idle"), accuracy("loaded")),
        ("prediction while drawing p50/p95/p99 ms", _ms(idle["predict_ms"]), _ms(loaded["predict_ms"])),
        (
            '  answered ("draw a digit first")',
            f"{idle['predict_ms']['count']} ({idle['not_yet_answers']})",
            f"{loaded['predict_ms']['count']} ({loaded['not_yet_answers']})",
        ),
        (
            "prediction at pen lift p50/p95 ms, count",
            f"{_ms(idle['pen_lift_ms'], ('p50', 'p95'))}, {idle['pen_lift_ms']['count']}",
            f"{_ms(loaded['pen_lift_ms'], ('p50', 'p95'))}, {loaded['pen_lift_ms']['count']}",
        ),
        (
            "conv trace p50/p95 ms, count",
            f"{_ms(idle['trace_ms'], ('p50', 'p95'))}, {idle['trace_ms']['count']}",
            f"{_ms(loaded['trace_ms'], ('p50', 'p95'))}, {loaded['trace_ms']['count']}",
        ),
        ("errors", str(idle["errors"]), str(loaded["errors"])),
        (
            "viewers: same events, no seq gap",
            f"{'yes' if not idle['viewer_problems'] else 'NO'} ({idle['viewers']})",
            f"{'yes' if not loaded['viewer_problems'] else 'NO'} ({loaded['viewers']})",
        ),
        (
            "CPU s: server (+children) / the clients",
            "{:.1f} / {:.1f}".format(*idle["cpu_seconds"]),
            "{:.1f} / {:.1f}".format(*loaded["cpu_seconds"]),
        ),
        (
            "this script's event-loop lag p50/p95/p99 ms",
            _ms(idle["client_loop_lag_ms"]),
            _ms(loaded["client_loop_lag_ms"]),
        ),
        (
            "the drawers' process's event-loop lag p50/p95/p99 ms",
            _ms(idle["drawers_loop_lag_ms"]),
            _ms(loaded["drawers_loop_lag_ms"]),
        ),
    ]
    load = {k: " ".join(f"{v:.1f}" for v in s["load_average"][k]) for k in ("start", "end")}
    print(
        f"\nCNN Playground, a classroom on one server ({os.cpu_count()} cores; load average {load['start']} at "
        f"the start, {load['end']} at the end); {s['rounds']} round(s)"
    )
    print(
        f"run {json.dumps(RUN_BODY)}; idle: {IDLE_DRAWERS} drawers, {IDLE_TRACERS} tracer, then the run alone; "
        f"loaded: {args.viewers} viewers, {args.drawers} drawers, {args.tracers} tracers, {args.seconds:.0f} s at most\n"
    )
    print(f"{'':46}{'idle':>24}{'loaded':>26}")
    for label, a, b in rows:
        print(f"{label:46}{a:>24}{b:>26}")
    m = s["rss_mb"]
    print(
        f"server RSS MB (server + children): start {m['start']['server']:.0f} + {m['start']['children']:.0f}, "
        f"peak {m['peak']['server']:.0f} + {m['peak']['children']:.0f} (total {m['peak']['total']:.0f}), "
        f"end {m['end']['server']:.0f} + {m['end']['children']:.0f}: growth {m['growth']:+.0f} "
        f"(peak {m['peak_growth']:+.0f})"
    )
    for kind in ("idle", "loaded"):
        for what, n in s[kind]["error_kinds"].items():
            print(f"  {kind} error x{n}: {what}")
        for problem in s[kind]["viewer_problems"]:
            print(f"  {kind} {problem}")
    print()
    for target, ok in s["targets"].items():
        print(f"{'PASS' if ok else 'FAIL'}  {target}")


async def main(args) -> int:
    digits = make_digits()
    extra_env = dict(item.split("=", 1) for item in args.server_env)
    load_start = os.getloadavg()  # other work on the machine: it slows both columns
    with tempfile.TemporaryDirectory(prefix="bench-classroom-") as folder:
        server = Server(Path(folder), extra_env)
        rss: list[tuple[float, float, float]] = []
        clients = host = None
        try:
            await server.ready()
            rss.append((time.monotonic(), *server.rss()))
            sampling = asyncio.Event()

            async def sample():
                while not sampling.is_set():
                    rss.append((time.monotonic(), *server.rss()))
                    await asyncio.sleep(0.25)

            sampler = asyncio.create_task(sample())
            clients = Clients(server, digits)
            if not args.one_process:
                ours, theirs = multiprocessing.get_context("spawn").Pipe()
                host = multiprocessing.get_context("spawn").Process(
                    target=drawer_host, args=(theirs, server.port), daemon=True
                )
                host.start()
                theirs.close()
                if await asyncio.to_thread(ours.recv) == "ready":
                    clients.drawer_host = ours
            log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731
            log(f"server pid {server.proc.pid} on {server.base}; warming up (one run, a few questions)")
            warm = await phase(clients, 1, 1, 1, args.seconds, 0, with_run=True)  # loads the sample, the model...
            for what, n in warm.errors.items():
                log(f"warm-up error x{n}: {what}")
            rounds, cpu = [], {"idle": [0.0, 0.0], "loaded": [0.0, 0.0]}
            for r in range(args.rounds):
                figures = {}
                for kind in ("idle", "loaded") if r % 2 == 0 else ("loaded", "idle"):  # alternately first
                    server_cpu, own_cpu = server.cpu(), clients_cpu(host)
                    if kind == "idle":  # the questions with no run, then the run alone
                        figures[kind] = await phase(
                            clients,
                            IDLE_DRAWERS,
                            IDLE_TRACERS,
                            0,
                            min(IDLE_SECONDS, args.seconds),
                            100 * r,
                            with_run=False,
                        )
                        figures[kind].add(await phase(clients, 0, 0, 1, args.seconds, 0, with_run=True))
                    else:
                        figures[kind] = await phase(
                            clients,
                            args.drawers,
                            args.tracers,
                            args.viewers,
                            args.seconds,
                            1000 + 100 * r,
                            with_run=True,
                        )
                    cpu[kind][0] += server.cpu() - server_cpu
                    cpu[kind][1] += clients_cpu(host) - own_cpu
                    f = figures[kind]
                    wall = f.run.get("wall_seconds")
                    log(
                        f"round {r + 1} {kind}: run {'not done' if wall is None else f'{wall:.2f} s'}, "
                        f"predictions p95 {percentile(f.predict, 95) or float('nan'):.1f} ms ({len(f.predict)}), "
                        f"errors {sum(f.errors.values())}; RSS MB server {rss[-1][1]:.0f} + children {rss[-1][2]:.0f}"
                    )
                rounds.append(figures)
            await asyncio.sleep(1.0)
            sampling.set()
            await sampler
            rss.append((time.monotonic(), *server.rss()))
        finally:
            if clients is not None and clients.drawer_host is not None:
                clients.drawer_host.send(("end",))
                host.join(10)
            server.stop()
    s = summary(rounds, rss, cpu)
    s["load_average"] = {"start": load_start, "end": os.getloadavg()}
    if args.json:
        print(json.dumps(s, indent=1))
    else:
        print_report(s, args)
    return 0 if all(s["targets"].values()) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1, help="idle and loaded measurements, one after the other")
    parser.add_argument("--viewers", type=int, default=50, help="websockets watching the loaded run")
    parser.add_argument("--drawers", type=int, default=30, help="clients drawing over /ws/predict")
    parser.add_argument("--tracers", type=int, default=5, help="clients tracing POST /api/conv")
    parser.add_argument("--seconds", type=float, default=60.0, help="the loaded phase at most (and the idle run)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="the drawers in this process too, on one event loop with the viewers and tracers",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the server (a setting such as a limit per client)",
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
