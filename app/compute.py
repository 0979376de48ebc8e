"""The engine's heavy answers, off the web process: a small pool of worker processes at a lower CPU
priority.

The web process answers every page, websocket and run event on one event loop. An engine call that
runs Python loops for tens of milliseconds (a traced convolution: one small dict per output cell; a
pen-lift answer: every layer and 145 forward passes for the occlusion map) in a thread of that process
holds the interpreter lock the loop needs between two of its steps: under a classroom's load
(``benchmarks/bench_classroom.py``: 30 students drawing, 5 tracing ``/api/conv``, a run watched by 50)
the traces alone held the lock for over a third of the time, and a quick prediction waited for the
loop more than a hundred times as long as it took.

So such calls run here, in :func:`default_workers` processes started through the same forkserver as
the trainers (NumPy and the engine preloaded), each at ``WORKER_NICE`` below the server, so that a class's strokes,
its run's trainer and the web process come first. A call's arguments and result are pickled: send a
request model, get back JSON bytes (:func:`app.responses.to_json`) or a dict. An
:class:`engine.errors.EngineError` raised in a worker is raised again in the caller, where the error
handlers translate it as usual.
"""

import asyncio
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Callable
from typing import Any

WORKER_NICE = 10
_CONTEXT = multiprocessing.get_context("forkserver")
_lock = threading.Lock()
_state: dict = {"pool": None}


def _start_worker() -> None:
    os.nice(WORKER_NICE)


def default_workers() -> int:
    """``CNN_PLAYGROUND_ENGINE_WORKERS`` if set (0: compute in a thread of the web process instead, for
    a machine with one core), else one per core beyond the first (a run's trainer takes one), two at most.

    Measured with ``benchmarks/bench_classroom.py`` on 2 cores (2 rounds each; prediction p95 while
    drawing, run wall time loaded / idle): 0 workers 200 ms, 1.70x; 1 worker 80 ms, 1.59x; 2 workers
    103 ms, 1.76x (the second competes with the trainer for the cores)."""
    setting = os.environ.get("CNN_PLAYGROUND_ENGINE_WORKERS", "").strip()
    if setting:
        return max(0, int(setting))
    return max(1, min(2, (os.cpu_count() or 1) - 1))


def pool() -> ProcessPoolExecutor:
    """The worker pool (:func:`default_workers` processes, at least one): started on first use, and again
    if a worker died (the pool is then broken)."""
    with _lock:
        current = _state["pool"]
        if current is None or getattr(current, "_broken", False):
            if current is not None:
                current.shutdown(wait=False, cancel_futures=True)
            current = ProcessPoolExecutor(max(1, default_workers()), mp_context=_CONTEXT, initializer=_start_worker)
            _state["pool"] = current
        return current


async def run(fn: Callable[..., Any], *args) -> Any:
    """``fn(*args)`` in a worker process; ``fn`` must be a module-level function (it is pickled by name).

    Arguments nested too deeply to pickle (a request of hundreds of nested lists, which the JSON reader
    takes) are handed to ``fn`` in a thread here instead: its first check refuses them with a message."""
    if default_workers() == 0:
        return await asyncio.to_thread(fn, *args)
    try:
        return await asyncio.wrap_future(pool().submit(fn, *args))
    except RecursionError:
        return await asyncio.to_thread(fn, *args)


def shutdown() -> None:
    """Stop the workers (the next call starts new ones, with the number set then)."""
    with _lock:
        current, _state["pool"] = _state["pool"], None
    if current is not None:
        current.shutdown(wait=False, cancel_futures=True)
