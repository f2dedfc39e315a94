"""SIGKILL the server (gunicorn, master and both workers at once) again and again while clients
submit decisions, restart it each time, and check that nothing acknowledged was lost:

- every decision answered 2xx is in the database, under its idempotency key, exactly once;
- a request whose answer was lost in the crash is retried with the same key after the restart
  and is recorded at most once (the retry returns the decision if the first attempt committed);
- `PRAGMA integrity_check` is ok and the audit chain verifies.

The counts are printed (run with `-s`).
"""

from __future__ import annotations

import random
import socket
import threading
import time

import pytest

from models.store import database as store
from tests.api_fixtures import Server, call, evaluated_credit_case, tenant

KILLS = 5
CLIENTS = 3
CASES = 4
RUN_BEFORE_KILL_S = (0.3, 0.8)  # how long decisions flow before each kill
FIRST_ANSWER_S = 10.0  # at most, for the first decision of a cycle to be acknowledged

DEADLINE_S = 90.0  # a bound on a slow machine; a run takes about 10 s
MAX_PER_CYCLE = 2_000  # attempts per client thread between two kills


class Clients:
    """Client threads submitting decisions until told to stop; they sort every attempt into
    acknowledged (2xx), refused (an HTTP error: a test failure) and in doubt (no answer)."""

    def __init__(self, tenant_, cases: list[int]):
        self.tenant, self.cases = tenant_, cases
        self.acknowledged: dict[str, int] = {}
        self.in_doubt: set[str] = set()
        self.refused: list[str] = []
        self.lock = threading.Lock()
        self.counter = 0
        self.committed_unanswered = 0  # in doubt, and found stored after the restart

    def next_key(self) -> tuple[str, int]:
        with self.lock:
            self.counter += 1
            return f"crash-{self.counter}", self.cases[self.counter % len(self.cases)]

    def submit(self, url: str, key: str, case_id: int, timeout: float = 5.0) -> bool:
        """True when the server answered (2xx or not); False when the answer was lost."""
        body = {"action": "accept", "justification": f"decision {key}"}
        headers = self.tenant.auth("officer", **{"Idempotency-Key": key})
        try:
            status, answer = call(f"{url}/api/v1/cases/{case_id}/decisions", "POST", body,
                                  headers, timeout=timeout)  # fmt: skip
        except OSError:
            with self.lock:
                self.in_doubt.add(key)
            return False
        with self.lock:
            self.in_doubt.discard(key)
            if 200 <= status < 300:
                self.acknowledged[key] = answer["id"]
            else:
                self.refused.append(f"{key}: {status} {str(answer)[:200]}")
        return True

    def run(self, url: str, stop: threading.Event, deadline: float) -> list[threading.Thread]:
        def loop() -> None:
            for _ in range(MAX_PER_CYCLE):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                key, case_id = self.next_key()
                if not self.submit(url, key, case_id):
                    return  # the server is gone: wait for the next one

        threads = [threading.Thread(target=loop) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        return threads

    def wait_for_more_than(self, count: int, timeout: float) -> None:
        """Until a decision more than `count` is acknowledged (or `timeout` passes), so that
        every kill falls among decisions flowing, however slowly the workers came up."""
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            with self.lock:
                if len(self.acknowledged) > count or self.refused:
                    return
            time.sleep(0.01)

    def retry_in_doubt(self, url: str, path: object) -> None:
        db = store.open_db(path)
        try:
            for key in self.in_doubt:
                found = db.conn.execute("SELECT 1 FROM decisions WHERE idempotency_key = ?", [key])
                self.committed_unanswered += found.fetchone() is not None
        finally:
            db.close()
        for key in sorted(self.in_doubt):
            case_id = self.cases[int(key.split("-")[1]) % len(self.cases)]
            self.submit(url, key, case_id, timeout=20)


def test_killed_servers_lose_no_acknowledged_decision(tmp_path):
    path = tmp_path / "crash.sqlite"
    db = store.open_db(path)
    t = tenant(db, "alpha")
    cases = [evaluated_credit_case(db, t).id for _ in range(CASES)]
    db.close()

    rng = random.Random(20261126)
    clients = Clients(t, cases)
    server = Server(path, workers=2, log=tmp_path / "gunicorn.log")
    deadline = time.monotonic() + DEADLINE_S
    kills, acknowledged_before_kill, retried = 0, [], 0
    try:
        for _ in range(KILLS):
            assert time.monotonic() < deadline, "out of time before every kill was done"
            server.start()
            retried += len(clients.in_doubt)
            clients.retry_in_doubt(server.url, path)  # answers lost in the last crash
            stop = threading.Event()
            before = len(clients.acknowledged)
            threads = clients.run(server.url, stop, deadline)
            clients.wait_for_more_than(before, FIRST_ANSWER_S)  # a slow start is no crash test
            time.sleep(rng.uniform(*RUN_BEFORE_KILL_S))
            server.kill()  # SIGKILL to the process group, mid-request
            kills += 1
            stop.set()
            for thread in threads:
                thread.join(timeout=15)
            assert not any(thread.is_alive() for thread in threads)
            acknowledged_before_kill.append(len(clients.acknowledged) - before)
        server.start()
        in_doubt_after_last_kill = len(clients.in_doubt)
        retried += in_doubt_after_last_kill
        clients.retry_in_doubt(server.url, path)
    finally:
        server.stop()

    assert clients.refused == []
    assert clients.in_doubt == set()  # every lost answer was settled by its retry
    assert all(n > 0 for n in acknowledged_before_kill), acknowledged_before_kill
    db = store.open_db(path)
    try:
        assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.conn.execute(
            "SELECT idempotency_key, count(*), min(id) FROM decisions GROUP BY idempotency_key"
        ).fetchall()
        stored = {key: first for key, n, first in rows}
        assert all(n == 1 for _, n, _ in rows)  # no key recorded twice, retries included
        assert stored == clients.acknowledged  # every acknowledged decision, with its id
        report = store.verify_audit(db)
        assert report.ok, str(report)
        decided = db.conn.execute(
            "SELECT count(*) FROM audit WHERE event = 'decision_recorded'"
        ).fetchone()[0]
        assert decided == len(stored)  # each decision's audit entry committed with it
    finally:
        db.close()
    print(
        f"\ncrash safety: {kills} SIGKILLs survived; {len(clients.acknowledged)} decisions "
        f"acknowledged ({acknowledged_before_kill} between kills), 0 lost; {retried} requests "
        f"whose answer was lost were retried with their key ({clients.committed_unanswered} of "
        f"them had committed before the kill), none recorded twice; "
        f"integrity_check ok; audit chain ok ({report.checked} entries)"
    )


def test_an_answer_cut_off_mid_body_counts_as_lost_not_as_a_crash_of_the_client():
    """A server killed while writing its answer leaves headers and no body: http.client raises
    IncompleteRead, which is no OSError. The client must file that request as in doubt (and
    retry it) rather than die with the key unrecorded."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer_headers_then_die() -> None:
        conn, _ = listener.accept()
        request = b""
        while not request.endswith(b"}"):  # the whole request, so closing sends FIN, not RST
            request += conn.recv(65536)
        conn.sendall(b"HTTP/1.1 201 CREATED\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 608\r\n\r\n")  # fmt: skip
        conn.close()

    server = threading.Thread(target=answer_headers_then_die)
    server.start()
    try:
        with pytest.raises(OSError, match="cut off"):
            call(f"http://127.0.0.1:{port}/api/v1/cases/1/decisions", "POST", {"action": "x"})
    finally:
        server.join(timeout=10)
        listener.close()
