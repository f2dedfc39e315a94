"""Fair evaluation under load: who gets the next engine worker. The admission is driven here with
threads that hold slots until told to let go, so every assertion is about order and refusal,
never about how long something took on this machine."""

from __future__ import annotations

import threading
import time

import pytest

from engine.admission import Admission
from engine.errors import EngineBusy
from models.desk import admin as desk_admin
from tests.api_fixtures import (  # noqa: F401 - the fixtures
    alpha_fixture,
    api_app_fixture,
    client_fixture,
    db_fixture,
    db_path_fixture,
    policy_variant,
)
from tests.desk_builders import ENGINE, wallet
from views.rates import EvaluationRate

FAR = 3600.0  # a deadline nobody reaches in a test


class Holder:
    """A thread that takes a slot, records when it got it, and keeps it until released."""

    def __init__(self, admission: Admission, name: str, organisation: str, cost: int, log: list):
        self.name = name
        self.release = threading.Event()
        self.admitted = threading.Event()
        self.error: Exception | None = None

        def run() -> None:
            try:
                with admission.slot(organisation, cost, time.monotonic() + FAR):
                    log.append(name)
                    self.admitted.set()
                    self.release.wait(30)
            except EngineBusy as exc:
                self.error = exc
                self.admitted.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def done(self) -> None:
        self.release.set()
        self.thread.join(30)


def release_all(holders: list[Holder]) -> None:
    """Let whichever holder has a slot go, then the next admitted, until all have run."""
    pending, deadline = list(holders), time.monotonic() + 30
    while pending and time.monotonic() < deadline:
        ready = next((h for h in pending if h.admitted.is_set()), None)
        if ready is None:
            time.sleep(0.001)
            continue
        ready.done()
        pending.remove(ready)
    assert not pending, [h.name for h in pending]


def waiting(admission: Admission, count: int) -> None:
    for _ in range(3000):  # until `count` tickets wait (each thread has queued itself)
        if admission._waiting == count:
            return
        time.sleep(0.001)
    raise AssertionError(f"expected {count} waiting, found {admission._waiting}")


def test_large_evaluations_leave_a_worker_for_small_ones():
    admission, log = Admission(workers=2, large_above=100), []
    big = [Holder(admission, f"large{i}", "a", 10_000, log) for i in range(3)]
    big[0].admitted.wait(5)
    waiting(admission, 2)  # the second large one waits although a worker is free
    assert log == ["large0"]
    small = Holder(admission, "small", "a", 50, log)
    small.admitted.wait(5)
    assert log == ["large0", "small"]  # the small one went straight to the kept worker
    release_all([small, *big])
    assert sorted(log) == ["large0", "large1", "large2", "small"]


def test_organisations_take_turns():
    admission, log = Admission(workers=1), []
    first = Holder(admission, "a0", "a", 1, log)
    first.admitted.wait(5)
    batch = []
    for i in range(1, 5):
        batch.append(Holder(admission, f"a{i}", "a", 1, log))
        waiting(admission, i)
    other = Holder(admission, "b0", "b", 1, log)
    waiting(admission, 5)
    release_all([first, *batch, other])
    assert log.index("b0") == 2  # after a0 and a1, not behind the whole batch of a


def test_a_full_queue_refuses_at_once():
    admission, log = Admission(workers=1, max_waiting=2), []
    holders = [Holder(admission, f"h{i}", "a", 1, log) for i in range(3)]
    waiting(admission, 2)
    with pytest.raises(EngineBusy, match="queue is full") as caught:
        with admission.slot("a", 1, time.monotonic() + FAR):
            pass
    assert caught.value.retry_after > 0 and admission.stats.refused_full == 1
    release_all(holders)


def test_the_deadline_counts_the_time_spent_waiting():
    admission, log = Admission(workers=1), []
    holder = Holder(admission, "busy", "a", 1, log)
    holder.admitted.wait(5)
    with pytest.raises(EngineBusy, match="in time"):
        with admission.slot("b", 1, time.monotonic() + 0.05):
            pass
    assert admission._waiting == 0 and admission.stats.refused_late == 1  # it left the queue
    holder.done()
    with admission.slot("b", 1, time.monotonic() + FAR):
        pass  # and the worker is free again


def test_one_worker_serves_large_and_small_alike():
    admission, log = Admission(workers=1, large_above=10), []
    holder = Holder(admission, "large", "a", 1000, log)
    holder.admitted.wait(5)
    assert log == ["large"]
    holder.done()


# --- through the API: a busy engine and a member of staff starting too many evaluations -------


def test_a_busy_engine_says_when_to_come_back_and_too_many_evaluations_are_refused(
    client, db, alpha, api_app
):
    body = {"policy": {"id": "malarvik-msc-ds-credit", "version": "2026.1"},
            "wallet": wallet("amira-haddad"), "as_of": "2026-09-01"}  # fmt: skip
    credit_policy = policy_variant("university-admissions.yaml")
    desk_admin.publish_policy(db, alpha.org.admin, credit_policy)

    class Busy:
        def evaluate(self, *args: object, **kwargs: object) -> None:
            raise EngineBusy("no engine worker became free in time; try again shortly", 7)

    api_app.extensions["credstack_evaluator"] = Busy()
    response = client.post("/api/v1/evaluate", json=body, headers=alpha.auth())
    assert response.status_code == 503 and response.headers["Retry-After"] == "7"
    assert response.json["error"]["title"] == "Evaluation engine busy"
    api_app.extensions["credstack_evaluator"] = ENGINE
    api_app.extensions["credstack_evaluation_rate"] = EvaluationRate(per_minute=3)
    codes = [
        client.post("/api/v1/evaluate", json=body, headers=alpha.auth()).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    refused = client.post("/api/v1/evaluate", json=body, headers=alpha.auth())
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "at most 3 evaluations a minute" in refused.json["error"]["message"]
    other = client.post("/api/v1/evaluate", json=body, headers=alpha.auth("officer2"))
    assert other.status_code == 200  # counted per member of staff
