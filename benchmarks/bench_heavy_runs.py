"""Three runs of the heavy network, one after another: refused with the estimate, or the server's memory bounded.

The requirement: "Three runs of the heavy network (four conv layers of 64 filters, kernel 3, padding 1,
on 28x28, then flatten and a dense layer of 10), one after another, either are refused with the estimate
or leave the server's RSS within 300 MB of where it started."

Starts the playground itself (``python -m app.cli serve`` on a free port of 127.0.0.1, one BLAS thread,
temporary runs, data, state and cache folders, ``CNN_PLAYGROUND_MAX_RUN_SECONDS`` small so that each run
trains a few seconds and then evaluates the test set), waits for ``/health`` and always stops it at the
end (its whole process group). Then:

- ``POST /api/networks/check`` with the heavy network at batch 64: the memory estimate the API gives;
- ``--runs`` times, one after another: ``POST /api/runs`` (batch 64, 1 epoch, the bundled sample), then
  ``GET /api/runs/{id}`` until the run has ended (done, diverged or interrupted), sampling every
  ``--interval`` s the web server's VmRSS and the VmHWM (peak RSS) of every process below it (the
  trainers are started through a forkserver: children or grandchildren of the server);
- the same network at batch 1024, once: it must be refused (422, ``too_much_memory``) with the estimate.

Prints a table (run, state/reason, steps, test accuracy, wall s, estimate MB, trainer peak MB, web RSS
before/after MB), the refusal, the web server's RSS growth over the runs and PASS/FAIL: PASS when every
run either was refused with the estimate (422 ``too_much_memory``) or ended (done, diverged or
interrupted, within the time), the web server's RSS after the last run is within ``--target-mb`` (300)
of its RSS before the first, and the batch-1024 run was refused. "Trainer peak" is the largest VmHWM
of the processes below the server (the trainer's, the interpreter and the data included); the estimate
is the larger of the API's train_mb and eval_mb. The runs use ``--lr 0.01``: at the server's default
(0.05) this network diverges within a few steps, and a diverged run is not evaluated, which is the part
this benchmark is about (how many runs evaluated the test set is printed).

    python benchmarks/bench_heavy_runs.py [--runs 3] [--run-seconds 8] [--timeout 170] [--target-mb 300]
        [--lr 0.01] [--batch-size 64] [--refused-batch-size 1024]

Loopback only; bounded in time (``--timeout`` for the whole benchmark, 3 minutes at most by default).
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

try:  # the test extras' client (Starlette's test client uses it under either name)
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_classroom import Server as ClassroomServer, descendants  # noqa: E402  (one copy of each)

CONV = {"type": "conv", "filters": 64, "kernel": 3, "padding": 1}
HEAVY = [dict(CONV) for _ in range(4)] + [{"type": "flatten"}, {"type": "dense", "units": 10}]
FINISHED = ("done", "diverged", "interrupted")
LR = 0.01  # the server's default (0.05) makes this network diverge in a few steps: it would never evaluate


# ---- /proc -------------------------------------------------------------------------------------------


def proc_kb(pid: int, field: str) -> float:
    """A field of /proc/<pid>/status (VmRSS, VmHWM) in MB; 0 when the process has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


# ---- the server --------------------------------------------------------------------------------------


class Server(ClassroomServer):
    """bench_classroom's server (its own process group and temporary folders), with a short run-time cap
    and a synchronous wait for it to answer."""

    def __init__(self, folder: Path, run_seconds: float):
        super().__init__(folder, {"CNN_PLAYGROUND_MAX_RUN_SECONDS": str(run_seconds)})

    def ready(self, client: "httpx.Client", seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.proc.poll() is None:
            for path in ("/health", "/api/health"):
                try:
                    if client.get(path, timeout=2).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer /health within {seconds:.0f} s:\n{self.log_tail()}")

    def web_rss(self) -> float:
        return proc_kb(self.proc.pid, "VmRSS")


# ---- one run -----------------------------------------------------------------------------------------


def one_run(server: Server, client: "httpx.Client", body: dict, deadline: float, interval: float) -> dict:
    """POST a run of the heavy network and follow it to its end; what it cost."""
    row = {"web_before": server.web_rss(), "trainer_peak": 0.0, "web_peak": 0.0}
    start = time.monotonic()
    answer = client.post("/api/runs", json=body)
    if answer.status_code != 201:
        body = _json(answer)
        row.update(
            state=f"refused {answer.status_code}",
            reason=body.get("code"),
            detail=body.get("detail"),
            wall=time.monotonic() - start,
            web_after=server.web_rss(),
            refused=True,
        )
        return row
    run_id = answer.json()["id"]
    hwm: dict[int, float] = {}
    view = answer.json()
    while True:
        for pid in descendants(server.proc.pid):
            hwm[pid] = max(hwm.get(pid, 0.0), proc_kb(pid, "VmHWM"))
        row["web_peak"] = max(row["web_peak"], server.web_rss())
        if view.get("state") in FINISHED:
            break
        if time.monotonic() > deadline:
            row["timed_out"] = True
            break
        time.sleep(interval)
        try:
            view = client.get(f"/api/runs/{run_id}").json()
        except httpx.HTTPError:
            continue
    row["wall"] = time.monotonic() - start
    result = view.get("result") or {}
    row.update(
        state=view.get("state"),
        reason=result.get("reason"),
        accuracy=result.get("test_accuracy"),
        steps=result.get("step"),
        run_wall=view.get("wall_seconds"),
        refused=False,
        trainer_peak=max(hwm.values(), default=0.0),
    )
    time.sleep(0.5)  # the relay thread lets go of the run's last messages
    row["web_after"] = server.web_rss()
    return row


def _json(answer) -> dict:
    try:
        body = answer.json()
        return body if isinstance(body, dict) else {}
    except ValueError:
        return {}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--refused-batch-size", type=int, default=1024)
    parser.add_argument("--run-seconds", type=float, default=8.0, help="CNN_PLAYGROUND_MAX_RUN_SECONDS")
    parser.add_argument("--timeout", type=float, default=170.0, help="the whole benchmark, seconds")
    parser.add_argument("--interval", type=float, default=0.2, help="sampling period, seconds")
    parser.add_argument("--target-mb", type=float, default=300.0)
    parser.add_argument(
        "--lr",
        type=float,
        default=LR,
        help="the runs' learning rate (the server's default, 0.05, makes this network diverge "
        "within a few steps, and a diverged run is not evaluated); 0 for the server's default",
    )
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.timeout

    with tempfile.TemporaryDirectory(prefix="bench-heavy-") as tmp:
        server = Server(Path(tmp), args.run_seconds)
        try:
            with httpx.Client(base_url=server.base, trust_env=False, timeout=30) as client:
                server.ready(client, seconds=min(60.0, args.timeout))
                check = client.post("/api/networks/check", json={"layers": HEAVY, "batch_size": args.batch_size})
                check.raise_for_status()
                memory = check.json().get("memory") or {}
                estimate = max(memory.get("train_mb") or 0.0, memory.get("eval_mb") or 0.0)
                start_rss = server.web_rss()
                body = {"layers": HEAVY, "batch_size": args.batch_size, "epochs": 1}
                if args.lr:
                    body["lr"] = args.lr
                rows = [one_run(server, client, body, deadline, args.interval) for _ in range(args.runs)]
                end_rss = server.web_rss()
                refused_check = client.post(
                    "/api/networks/check", json={"layers": HEAVY, "batch_size": args.refused_batch_size}
                ).json()
                refusal = client.post(
                    "/api/runs", json={"layers": HEAVY, "batch_size": args.refused_batch_size, "epochs": 1}
                )
                children_left = descendants(server.proc.pid)
        finally:
            server.stop()

    print(
        f"heavy network: 4 x conv 64 filters 3x3 pad 1 on 1x28x28, flatten, dense 10; "
        f"CNN_PLAYGROUND_MAX_RUN_SECONDS={args.run_seconds:g}, batch {args.batch_size}, 1 epoch of the sample, "
        f"lr {args.lr or 'the server default'}"
    )
    print(
        f"estimate (POST /api/networks/check, batch {args.batch_size}): train {memory.get('train_mb')} MB, "
        f"eval {memory.get('eval_mb')} MB, budget {memory.get('budget_mb')} MB"
    )
    print()
    header = (
        f"{'run':>3}  {'state/reason':<24} {'steps':>5} {'test acc':>8} {'wall s':>7} {'estimate MB':>11} "
        f"{'trainer peak MB':>15} {'web RSS before MB':>17} {'web RSS after MB':>16} {'web peak MB':>11}"
    )
    print(header)
    print("-" * len(header))
    for i, row in enumerate(rows, 1):
        state = f"{row['state']}/{row.get('reason')}" + (" (timed out)" if row.get("timed_out") else "")
        acc = row.get("accuracy")
        print(
            f"{i:>3}  {state:<24} {row.get('steps') if row.get('steps') is not None else '-':>5} "
            f"{'-' if acc is None else f'{acc:.3f}':>8} {row['wall']:>7.1f} {estimate:>11.1f} "
            f"{row['trainer_peak']:>15.1f} {row['web_before']:>17.1f} {row['web_after']:>16.1f} "
            f"{row['web_peak']:>11.1f}"
        )
        if row["refused"]:
            print(f"     refused: {row.get('detail')}")
    print()
    body = _json(refusal)
    refused_ok = refusal.status_code == 422 and body.get("code") == "too_much_memory"
    refused_memory = refused_check.get("memory") or {}
    print(
        f"batch {args.refused_batch_size}: POST /api/runs -> {refusal.status_code} {body.get('code')}: "
        f"{body.get('detail')}"
    )
    print(f"  (estimate: train {refused_memory.get('train_mb')} MB, eval {refused_memory.get('eval_mb')} MB)")
    print()
    growth = end_rss - start_rss
    runs_ok = all(
        r["refused"] and r.get("reason") == "too_much_memory" or (not r.get("timed_out") and r["state"] in FINISHED)
        for r in rows
    )
    evaluated = sum(r.get("accuracy") is not None for r in rows)
    ok = runs_ok and refused_ok and growth <= args.target_mb
    print(f"runs that evaluated the test set: {evaluated}/{len(rows)}")
    print(f"processes below the server before it stopped: {len(children_left)} (the forkserver and its helpers)")
    print(
        f"web RSS growth over {args.runs} runs: {growth:.1f} MB (target <= {args.target_mb:g}) "
        f"[{start_rss:.1f} -> {end_rss:.1f} MB]"
    )
    print(
        f"runs ended or refused with the estimate: {'yes' if runs_ok else 'NO'}; "
        f"batch {args.refused_batch_size} refused with too_much_memory: {'yes' if refused_ok else 'NO'}"
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
