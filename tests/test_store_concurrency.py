"""Several processes record decisions into one database file at the same moment.

With every write beginning IMMEDIATE, writers queue on the busy timeout instead of failing: no
"database is locked", every decision present, the file intact and the audit chain valid. The
rate is printed (run with -s to see it), never asserted: it depends on the disk's fsync.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from typing import Any

from models.desk import cases as desk
from models.store import cases as store_cases
from models.store import database as store
from models.store import users as store_users
from tests.desk_builders import ENGINE, make_org, open_enic

PROCESSES = 3
PER_PROCESS = 100
SHARED = 10  # cases every process decides with the same idempotency key: one decision each


class _Once:
    """Every case holds the same wallet: evaluate it once and store that result for each case."""

    def __init__(self) -> None:
        self.result: dict[str, Any] | None = None

    def evaluate(self, policy: Any, wallet: Any, as_of: Any, **_: Any) -> dict[str, Any]:
        if self.result is None:
            self.result = ENGINE.evaluate(policy, wallet, as_of)
        return self.result


def _record_decisions(
    path: str, org_id: int, officer_id: int, own: list[int], shared: list[int], barrier: Any,
    results: Any,
) -> None:  # fmt: skip
    db = store.open_db(path)
    officer = store_users.get_user(db, org_id, officer_id)
    locked, errors = 0, []
    barrier.wait()
    started = time.time()
    for n, case_id in enumerate(own):
        for attempt in [f"own-{case_id}"] + ([f"shared-{shared[n]}"] if n < len(shared) else []):
            target = case_id if attempt.startswith("own") else shared[n]
            data = {"action": "accept", "justification": "as proposed", "idempotency_key": attempt}
            try:
                desk.decide(db, officer, target, data)
            except sqlite3.OperationalError as exc:
                locked += "locked" in str(exc)
                errors.append(repr(exc))
            except Exception as exc:  # reported to the parent, which fails the test
                errors.append(repr(exc))
    results.put({"locked": locked, "errors": errors, "started": started, "ended": time.time()})
    db.close()


def test_concurrent_processes_record_every_decision(tmp_path):
    path = str(tmp_path / "concurrent.sqlite")
    db = store.open_db(path)
    db.conn.execute("PRAGMA synchronous = OFF")  # set-up only; the workers write with FULL
    org = make_org(db, "alpha")
    engine = _Once()
    cases = []
    for _ in range(PROCESSES * PER_PROCESS + SHARED):
        case = open_enic(db, org.officer, "greta-nowak")
        desk.evaluate_case(db, org.officer, case.id, engine)
        cases.append(case.id)
    db.close()
    shared = cases[:SHARED]
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    workers = [
        ctx.Process(
            target=_record_decisions,
            args=(
                path,
                org.id,
                org.officer.id,
                cases[SHARED + i * PER_PROCESS :][:PER_PROCESS],
                shared,
                barrier,
                results,
            ),
        )  # fmt: skip
        for i in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    reports = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    results.close()
    results.join_thread()
    assert [w.exitcode for w in workers] == [0] * PROCESSES

    assert sum(r["locked"] for r in reports) == 0
    assert [e for r in reports for e in r["errors"]] == []
    elapsed = max(r["ended"] for r in reports) - min(r["started"] for r in reports)
    recorded = PROCESSES * PER_PROCESS + SHARED
    print(
        f"\n{PROCESSES} processes recorded {recorded} decisions "
        f"(+{SHARED * (PROCESSES - 1)} idempotent repeats) in {elapsed:.2f} s: "
        f"{recorded / elapsed:.0f} decisions/s with synchronous=FULL"
    )
    check = store.open_db(path)
    try:
        assert check.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = check.conn.execute("SELECT case_id, count(*) FROM decisions GROUP BY case_id")
        assert dict(rows.fetchall()) == {case_id: 1 for case_id in cases}
        statuses = {c.status for c in store_cases.list_cases(check, org.id)}
        assert statuses == {"decided"}
        report = store.verify_audit(check)
        assert report.ok, report
    finally:
        check.close()


def test_nested_writes_join_one_transaction(tmp_path):
    """A desk operation nests store writes: one BEGIN IMMEDIATE, savepoints inside."""
    db = store.open_db(tmp_path / "nested.sqlite")
    org = make_org(db, "alpha", policies=())
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    with store.transaction(db), store.transaction(db):
        store.record_event(db, org.admin, "export", "case:1")
    db.conn.set_trace_callback(None)
    begins = [s for s in statements if s.upper().startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE"]
    assert len([s for s in statements if s.startswith("SAVEPOINT")]) == 2
    db.close()
