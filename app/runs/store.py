"""Runs on disk: an embedded SQLite database (standard library, WAL mode) in the server's state folder.

Every run's view (configuration, state, figures) and its event history are written as they happen,
so a restarted server lists past runs, replays their charts to a reconnecting viewer, and can still
save their models. Of the snapshots only each run's latest is kept (they are large, and a latecomer
only needs the newest), as in the live history (:mod:`app.runs.channel`).

One connection, used under a lock from any thread (the relay threads, the request threads).
"""

import json
import sqlite3
import threading
from pathlib import Path

from .base import Event

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    finished REAL,
    token_hash TEXT NOT NULL,
    view TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
"""


class RunStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def put_run(self, run_id: str, created: float, token_hash: str, view: dict, finished: float | None = None):
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO runs (id, created, finished, token_hash, view) VALUES (?,?,?,?,?)",
                (run_id, created, finished, token_hash, json.dumps(view)),
            )

    def update(self, run_id: str, view: dict, finished: float | None = None) -> None:
        """Replace a stored run's view (and set its finishing time, when given)."""
        with self._lock:
            self._db.execute(
                "UPDATE runs SET view = ?, finished = COALESCE(?, finished) WHERE id = ?",
                (json.dumps(view), finished, run_id),
            )

    def add_event(self, run_id: str, event: Event) -> None:
        with self._lock, self._db:
            if event.type == "snapshot":
                self._db.execute("DELETE FROM events WHERE run_id = ? AND type = 'snapshot'", (run_id,))
            self._db.execute(
                "INSERT OR REPLACE INTO events (run_id, seq, type, text) VALUES (?,?,?,?)",
                (run_id, event.seq, event.type, event.text),
            )

    def run(self, run_id: str) -> tuple[dict, str] | None:
        """A run's view and its control token's hash, or None."""
        with self._lock:
            row = self._db.execute("SELECT view, token_hash FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else (json.loads(row[0]), row[1])

    def finished_views(self) -> list[dict]:
        """The finished runs' views, newest first."""
        with self._lock:
            rows = self._db.execute("SELECT view FROM runs WHERE finished IS NOT NULL ORDER BY created DESC").fetchall()
        return [json.loads(r[0]) for r in rows]

    def unfinished(self) -> list[tuple[str, dict]]:
        """Runs that a previous server left queued, running or paused (cut off by a restart or a crash)."""
        with self._lock:
            rows = self._db.execute("SELECT id, view FROM runs WHERE finished IS NULL").fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def events(self, run_id: str, after: int = 0) -> list[Event]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, type, text FROM events WHERE run_id = ? AND seq > ? ORDER BY seq", (run_id, after)
            ).fetchall()
        return [Event(seq, kind, text, json.loads(text)) for seq, kind, text in rows]

    def last_seq(self, run_id: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT MAX(seq) FROM events WHERE run_id = ?", (run_id,)).fetchone()
        return row[0] or 0

    def forget_all_but(self, keep: int) -> list[str]:
        """Delete all but the ``keep`` most recently finished runs; returns the deleted ids."""
        with self._lock, self._db:
            ids = [
                r[0]
                for r in self._db.execute(
                    "SELECT id FROM runs WHERE finished IS NOT NULL ORDER BY finished DESC LIMIT -1 OFFSET ?", (keep,)
                )
            ]
            for run_id in ids:
                self._db.execute("DELETE FROM events WHERE run_id = ?", (run_id,))
                self._db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        return ids

    def close(self) -> None:
        with self._lock:
            self._db.close()
