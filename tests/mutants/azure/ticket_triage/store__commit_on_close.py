# MUTANT store__commit_on_close: a plausible wrong store.py; the graded tests must fail on it.
# ruff: noqa
"""Durable results: one SQLite row per ticket, written the moment the ticket is finished.

Why SQLite: a committed transaction survives the process being killed (even SIGKILL, which
no ``finally`` or signal handler sees), and a PRIMARY KEY on the ticket id makes a second
result for the same ticket impossible rather than merely unlikely. A rerun with ``--resume``
asks the store which tickets are finished and sends only the others.

Every ticket ends in exactly one of three states:
``classified`` (with category, priority, summary), ``filtered`` (the content filter refused
it; with the filter's reason) or ``failed`` (with the reason, after the allowed tries).

A ticket that was in flight when the process died has no row: it is sent again on resume.
Requests are therefore at-least-once, results exactly-once.

The ``calls`` table keeps one row per API call (tokens, latency, outcome), so accounting over
a resumed run includes the calls of the run that was killed.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

STATUSES = ("classified", "filtered", "failed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    ticket_id   TEXT PRIMARY KEY,
    status      TEXT NOT NULL CHECK (status IN ('classified', 'filtered', 'failed')),
    category    TEXT,
    priority    TEXT,
    summary     TEXT,
    reason      TEXT,
    attempts    INTEGER NOT NULL DEFAULT 1,
    truncated   INTEGER NOT NULL DEFAULT 0,
    finished_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at        REAL NOT NULL,
    latency_s         REAL NOT NULL,
    n_tickets         INTEGER NOT NULL,
    outcome           TEXT NOT NULL,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    admitted_tokens   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class StoreConflict(RuntimeError):
    """The results file belongs to a different run (other split, deployment or limit)."""


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

    def close(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")
        self.db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- results -------------------------------------------------------------------------

    def record(self, results: list[dict]) -> int:
        """Write finished tickets in one transaction; return how many were new.

        Each dict has ``ticket_id`` and ``status`` (one of STATUSES) and optionally
        category, priority, summary, reason, attempts, truncated. A ticket that already has
        a row keeps its first result: a result is never written twice.
        """
        # BEGIN SOLUTION
        # HINT: BEGIN; INSERT ... ON CONFLICT(ticket_id) DO NOTHING for each; COMMIT (ROLLBACK on error).
        rows = []
        for r in results:
            if r["status"] not in STATUSES:
                raise ValueError(f"status must be one of {STATUSES}, got {r['status']!r}")
            rows.append((r["ticket_id"], r["status"], r.get("category"), r.get("priority"),
                         r.get("summary"), r.get("reason"), r.get("attempts", 1),
                         int(bool(r.get("truncated"))), time.time()))
        before = self.db.total_changes
        if not self.db.in_transaction:  # BUG: one transaction for the whole run
            self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(
                "INSERT INTO results (ticket_id, status, category, priority, summary, reason,"
                " attempts, truncated, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(ticket_id) DO NOTHING",
                rows,
            )
            pass
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return self.db.total_changes - before
        # END SOLUTION

    def pending(self, tickets: list[dict]) -> list[dict]:
        """The tickets, in order, that have no result yet (what a resumed run still sends)."""
        # BEGIN SOLUTION
        # HINT: read the finished ticket ids from the results table and keep the other tickets.
        done = self.finished_ids()
        return [t for t in tickets if t["id"] not in done]
        # END SOLUTION

    def finished_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT ticket_id FROM results")}

    def results(self) -> list[dict]:
        cur = self.db.execute("SELECT * FROM results ORDER BY ticket_id")
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def counts(self) -> dict[str, int]:
        found = dict(self.db.execute("SELECT status, COUNT(*) FROM results GROUP BY status"))
        return {s: found.get(s, 0) for s in STATUSES}

    # -- calls and run metadata ------------------------------------------------------------

    def record_call(self, *, started_at: float, latency_s: float, n_tickets: int, outcome: str,
                    prompt_tokens: int = 0, completion_tokens: int = 0,
                    admitted_tokens: int = 0) -> None:
        self.db.execute(
            "INSERT INTO calls (started_at, latency_s, n_tickets, outcome, prompt_tokens,"
            " completion_tokens, admitted_tokens) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (started_at, latency_s, n_tickets, outcome, prompt_tokens, completion_tokens,
             admitted_tokens),
        )

    def calls(self) -> list[dict]:
        cur = self.db.execute("SELECT * FROM calls ORDER BY id")
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]

    def bind_run(self, meta: dict) -> None:
        """Tie the file to one run's identity (split, deployment, ...); refuse another's.

        Resuming a run with a different split or deployment would mix two runs' results.
        """
        stored = self.db.execute("SELECT value FROM meta WHERE key = 'run'").fetchone()
        if stored is None:
            self.db.execute("INSERT INTO meta VALUES ('run', ?)", (json.dumps(meta, sort_keys=True),))
            return
        previous = json.loads(stored[0])
        if previous != meta:
            diff = ", ".join(f"{k}: {previous.get(k)!r} -> {meta.get(k)!r}"
                             for k in sorted(set(previous) | set(meta)) if previous.get(k) != meta.get(k))
            raise StoreConflict(
                f"{self.path} holds results of a different run ({diff}). Resume with the same "
                "options, or choose another --out folder for this run."
            )
