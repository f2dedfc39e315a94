"""Two gunicorn worker processes on one SQLite file take decisions from several client threads at
once: no "database is locked", no 5xx, every acknowledged decision stored exactly once.

Clients aim at the same few cases, so writers contend for the same rows; a share of the requests
is sent twice with the same Idempotency-Key, from different threads, at the same moment. The rate
(with `synchronous=FULL`, which `models.store.database.open_db` sets on every connection) is
printed — run with `-s` to see it — and never asserted: it depends on the disk's fsync.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter

from models.store import database as store
from tests.api_fixtures import Server, call, evaluated_credit_case, tenant
from tests.desk_builders import wallet

THREADS = 6
PER_THREAD = 40
CASES = 6
TWINS = 5  # keys each thread also sends from a second thread at once
DEADLINE_S = 45.0


def test_two_workers_take_concurrent_decisions_without_locking_errors(tmp_path):
    path = tmp_path / "concurrent.sqlite"
    db = store.open_db(path)
    t = tenant(db, "alpha")
    cases = [evaluated_credit_case(db, t).id for _ in range(CASES)]
    db.close()

    log = tmp_path / "gunicorn.log"
    server = Server(path, workers=2, log=log)
    server.start()
    acknowledged: dict[str, int] = {}
    failures: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(THREADS)
    deadline = time.monotonic() + DEADLINE_S

    def send(key: str, case_id: int, who: str) -> None:
        body = {"action": "accept", "justification": f"decision {key}"}
        headers = t.auth(who, **{"Idempotency-Key": key})
        try:
            status, answer = call(f"{server.url}/api/v1/cases/{case_id}/decisions", "POST", body,
                                  headers, timeout=20)  # fmt: skip
        except OSError as exc:
            with lock:
                failures.append(f"{key}: {exc!r}")
            return
        with lock:
            if status == 201 and isinstance(answer, dict):
                if acknowledged.setdefault(key, answer["id"]) != answer["id"]:
                    failures.append(f"{key}: two decisions for one key")
            else:
                failures.append(f"{key}: {status} {str(answer)[:200]}")

    def client(n: int) -> None:
        start_gate.wait(timeout=30)
        for i in range(PER_THREAD):
            if time.monotonic() > deadline:
                with lock:
                    failures.append(f"thread {n}: deadline reached at {i}")
                return
            # Thread n also replays the twin keys of thread n-1 (same body, same officer).
            send(f"t{n}-{i}", cases[(n + i) % CASES], "officer")
            if i < TWINS:
                m = (n - 1) % THREADS
                send(f"t{m}-{i}", cases[(m + i) % CASES], "officer")

    try:
        # One evaluation through the real contained engine first: the full stack works.
        status, result = call(f"{server.url}/api/v1/evaluate", "POST", {
            "policy": {"id": "malarvik-msc-ds-credit", "version": "2026.1"},
            "wallet": wallet("amira-haddad"), "as_of": "2026-09-01"}, t.auth("viewer"),
            timeout=30)  # fmt: skip
        assert status == 200 and result["fingerprint"].startswith("sha256:"), result
        threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DEADLINE_S + 10)
        elapsed = time.perf_counter() - started
    finally:
        server.stop()

    assert failures == []
    assert len(acknowledged) == THREADS * PER_THREAD
    db = store.open_db(path)
    try:
        stored = dict(
            db.conn.execute(
                "SELECT idempotency_key, id FROM decisions WHERE idempotency_key IS NOT NULL"
            ).fetchall()  # fmt: skip
        )
        assert stored == acknowledged  # each acknowledged decision, once, under its key
        assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.verify_audit(db).ok
    finally:
        db.close()
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "database is locked" not in text and "Traceback" not in text
    pids = Counter(re.findall(r"^<(\d+)> POST /api/v1/cases/\d+/decisions 201", text, re.M))
    assert len(pids) == 2, pids  # both worker processes took decisions
    rate = len(acknowledged) / elapsed
    print(
        f"\nconcurrency: {len(acknowledged)} decisions from {THREADS} threads through 2 gunicorn "
        f"workers in {elapsed:.2f} s = {rate:.0f} decisions/s (synchronous=FULL); "
        f"{THREADS * TWINS} concurrent idempotent replays; per worker {dict(pids)}"
    )
