"""Durable results: one SQLite row per image, written the moment the image is finished.

Why SQLite: a committed transaction survives the process being killed (even SIGKILL), and a
PRIMARY KEY on the image id makes a second result for the same image impossible rather than
merely unlikely. A rerun with ``--resume`` asks the store which images are finished and sends
only the others.

Every image ends in exactly one of three states: ``done`` (with its type and fields),
``refused`` (the image cannot be analysed: too small, corrupt, refused by the service; with the
reason) or ``failed`` (the service did not answer after the allowed tries; with the reason).
An image that was in flight when the process died has no row: it is sent again on resume.
Calls are therefore at-least-once, results exactly-once.

The ``calls`` table keeps one row per HTTP call (outcome, status, latency, features, billed
transactions), so the cost of a resumed run includes the calls of the run that was killed.
Several threads write: one connection, one lock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

STATUSES = ("done", "refused", "failed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    image_id     TEXT PRIMARY KEY,
    status       TEXT NOT NULL CHECK (status IN ('done', 'refused', 'failed')),
    reason       TEXT,
    type         TEXT,
    fields       TEXT NOT NULL DEFAULT '{}',
    attempts     INTEGER NOT NULL DEFAULT 0,
    latency_s    REAL,
    transactions INTEGER NOT NULL DEFAULT 0,
    finished_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    image_id     TEXT NOT NULL,
    started_at   REAL NOT NULL,
    latency_s    REAL NOT NULL,
    outcome      TEXT NOT NULL,
    status_code  INTEGER,
    features     TEXT NOT NULL,
    transactions INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
COLUMNS = ("image_id", "status", "reason", "type", "fields", "attempts", "latency_s", "transactions",
           "finished_at")


class StoreConflict(RuntimeError):
    """The results file belongs to a different run (other images, features or code)."""


class ResultStore:
    """The results of one run, in a SQLite file."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we open transactions ourselves, so a commit is never deferred.
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        self.db.execute("PRAGMA synchronous=FULL")  # a commit is on disk before it returns
        self.db.executescript(SCHEMA)
        self.lock = threading.RLock()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- results -------------------------------------------------------------------------

    def record(self, results: list[dict]) -> int:
        """Write finished images in one transaction; return how many were new.

        Each dict has ``image_id`` and ``status`` (one of STATUSES; ValueError otherwise) and
        optionally reason, type, fields (a dict, stored as JSON), attempts, latency_s,
        transactions (attempts and transactions are 0 when not given). An image that already has
        a row keeps its first result: never written
        twice. A failure rolls the whole transaction back.
        """
        # BEGIN SOLUTION
        # HINT: validate statuses; BEGIN IMMEDIATE; INSERT ... ON CONFLICT(image_id) DO NOTHING; COMMIT or ROLLBACK.
        rows = []
        for r in results:
            if r.get("status") not in STATUSES:
                raise ValueError(f"status must be one of {STATUSES}, got {r.get('status')!r}")
            rows.append((r["image_id"], r["status"], r.get("reason"), r.get("type"),
                         json.dumps(r.get("fields") or {}, sort_keys=True), r.get("attempts", 0),
                         r.get("latency_s"), r.get("transactions", 0), time.time()))
        with self.lock:
            before = self.db.total_changes
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany(f"INSERT INTO results ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 9)})"
                                    " ON CONFLICT(image_id) DO NOTHING", rows)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            return self.db.total_changes - before
        # END SOLUTION

    def pending(self, images: list) -> list:
        """The images (objects with an ``id``), in order, that have no result yet."""
        # BEGIN SOLUTION
        # HINT: the ids in the results table; keep the images whose id is not among them.
        done = self.finished_ids()
        return [image for image in images if image.id not in done]
        # END SOLUTION

    def finished_ids(self) -> set[str]:
        with self.lock:
            return {row[0] for row in self.db.execute("SELECT image_id FROM results")}

    def results(self) -> list[dict]:
        rows = self._rows("SELECT * FROM results ORDER BY image_id")
        for row in rows:
            row["fields"] = json.loads(row["fields"])
        return rows

    def count(self) -> int:
        with self.lock:
            return self.db.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def counts(self) -> dict[str, int]:
        with self.lock:
            found = dict(self.db.execute("SELECT status, COUNT(*) FROM results GROUP BY status"))
        return {s: found.get(s, 0) for s in STATUSES}

    # -- calls and run metadata ------------------------------------------------------------

    def record_call(self, *, image_id: str, started_at: float, latency_s: float, outcome: str,
                    status_code: int | None, features: str, transactions: int = 0) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO calls (image_id, started_at, latency_s, outcome, status_code, features, transactions)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (image_id, started_at, latency_s, outcome, status_code, features, transactions))

    def calls(self) -> list[dict]:
        return self._rows("SELECT * FROM calls ORDER BY id")

    def _rows(self, sql: str) -> list[dict]:
        with self.lock:
            cur = self.db.execute(sql)
            names = [c[0] for c in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur]

    def bind_run(self, meta: dict) -> None:
        """Tie the file to one run's identity (images, features, code, ...); refuse another's.

        Resuming with other images or other features would mix two runs' results.
        """
        with self.lock:
            stored = self.db.execute("SELECT value FROM meta WHERE key = 'run'").fetchone()
            if stored is None:
                self.db.execute("INSERT INTO meta VALUES ('run', ?)", (json.dumps(meta, sort_keys=True),))
                return
        previous = json.loads(stored[0])
        if previous != meta:
            diff = ", ".join(f"{k}: {previous.get(k)!r} -> {meta.get(k)!r}"
                             for k in sorted(set(previous) | set(meta)) if previous.get(k) != meta.get(k))
            raise StoreConflict(f"{self.path} holds results of a different run ({diff}). Resume with the "
                                "same options, or choose another --out folder for this run.")
