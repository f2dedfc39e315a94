"""Evaluation behind a process boundary: the entry point the CLI, the web app and batches use.

The caller sends plain data (the policy's digest, the credentials as plain dicts, the as-of date)
to a supervised worker; the validated policy itself travels only the first time a worker needs it,
and each worker compiles it once per digest. A crash, hang or memory blow-up in durable-rules
costs that one call an `EngineError` and a fresh worker, never the caller's process.

An evaluation that crashed a worker or ran it out of memory (or ran past the time limit twice) is
quarantined: the same policy version and credentials are refused at once (`EngineQuarantined`)
for a while, so that replaying them cannot keep taking workers away from everyone else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from engine.admission import Admission
from engine.errors import (
    EngineBusy,
    EngineCompileError,
    EngineCrashed,
    EngineFailure,
    EngineMemoryExceeded,
    EngineQuarantined,
    EngineTimeout,
    EvaluationInputError,
)
from engine.evaluate import evaluate
from engine.inputs import Wallet, wallet_from_plain, wallet_to_plain
from engine.worker import WorkerPool
from rules.policy import Policy

DEFAULT_TIMEOUT = 20.0
# An evaluation of more rules × credentials than this never takes the last free worker.
LARGE_ABOVE = 2000
DEFAULT_MEMORY_MB = 1024
QUARANTINE_SECONDS = 15 * 60.0
QUARANTINE_SIZE = 1000  # inputs remembered at most; the oldest is forgotten first
# The errors that cost a worker its life, what they say, and after how many within a quarantine
# period their input is refused: a time limit can also be reached on a busy machine.
WORKER_KILLERS = {
    EngineCrashed: ("it crashed the worker", 1),
    EngineMemoryExceeded: ("it ran out of memory", 1),
    EngineTimeout: ("it ran past the time limit twice", 2),
}
_TARGET = "engine.service:evaluate_payload"
_policies: dict[str, Policy] = {}  # in the worker: validated policies by document hash


_PASSED_THROUGH = {
    "EngineCompileError": EngineCompileError,
    "EvaluationInputError": EvaluationInputError,
}


class PolicyNotLoaded(Exception):
    """The worker has not seen this policy version yet; the caller sends it once."""


def evaluate_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Runs inside the worker. Policies arrive validated, once per worker, keyed by digest."""
    digest = payload["digest"]
    policy = _policies.get(digest)
    if policy is None:
        policy = payload.get("policy")
        if policy is None:
            raise PolicyNotLoaded(digest)
        if len(_policies) >= 128:
            _policies.clear()
        _policies[digest] = policy
    wallet = wallet_from_plain(payload["wallet"])
    as_of = dt.date.fromisoformat(payload["as_of"])
    detail = payload.get("detail", "full")
    return evaluate(policy, wallet, as_of, payload.get("matcher", "durable"), detail)


def input_digest(policy_digest: str, plain_wallet: dict[str, Any]) -> str:
    """What identifies an evaluation's input for the quarantine: the policy version and the
    wallet's content (credentials, applicant facts, request), whoever the learner is."""
    content = {k: v for k, v in plain_wallet.items() if k != "learner_key"}
    text = json.dumps([policy_digest, content], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class Quarantine:
    """Digests of inputs that killed a worker, each kept `seconds` after its latest strike, at
    most `size` of them (thread-safe). An input is refused once it has the strikes its fault
    needs."""

    def __init__(
        self,
        seconds: float = QUARANTINE_SECONDS,
        size: int = QUARANTINE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.seconds, self.size, self.clock = seconds, size, clock
        self._entries: OrderedDict[str, tuple[float, str, int, int]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, digest: str, why: str, needed: int = 1) -> None:
        with self._lock:
            now = self.clock()
            until, _, strikes, _ = self._entries.pop(digest, (now, "", 0, needed))
            strikes = strikes + 1 if until > now else 1
            self._entries[digest] = (now + self.seconds, why, strikes, needed)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def check(self, digest: str) -> None:
        """Raise EngineQuarantined if `digest` is in quarantine."""
        with self._lock:
            found = self._entries.get(digest)
            if found is not None and found[0] <= self.clock():
                del self._entries[digest]
                found = None
        if found is not None and found[2] >= found[3]:
            left = max(1, round((found[0] - self.clock()) / 60))
            raise EngineQuarantined(
                f"this evaluation (the same policy version and credentials) stopped the "
                f"evaluation engine a short while ago ({found[1]}); it is refused for another "
                f"{left} minute(s) so that it cannot hold up other evaluations. Please report it."
            )

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class ContainedEvaluator:
    """Evaluate in supervised workers; one per process is enough (it is thread-safe)."""

    def __init__(
        self,
        size: int = 1,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit_mb: int = DEFAULT_MEMORY_MB,
        quarantine_seconds: float = QUARANTINE_SECONDS,
        quarantine_size: int = QUARANTINE_SIZE,
        max_waiting: int | None = None,
        large_above: int = LARGE_ABOVE,
    ):
        self.pool = WorkerPool(size=size, timeout=timeout, memory_limit_mb=memory_limit_mb)
        self.quarantine = Quarantine(quarantine_seconds, quarantine_size)
        self.admission = Admission(size, max_waiting, large_above)
        self.timeout = timeout

    def evaluate(
        self,
        policy: Policy,
        wallet: Wallet,
        as_of: dt.date,
        matcher: str = "durable",
        organisation: str = "",
        detail: str = "full",
    ) -> dict[str, Any]:
        """The explained result (`detail` as in `engine.evaluate.evaluate`). The time limit
        counts from this call, waiting included; an evaluation that cannot start in time raises
        `EngineBusy`. `organisation` takes turns with the others for the workers."""
        deadline = time.monotonic() + self.timeout
        cost = len(policy.rule_ids()) * max(1, len(wallet.credentials))
        with self.admission.slot(organisation, cost, deadline):
            return self._evaluate(policy, wallet, as_of, matcher, deadline, detail)

    def _evaluate(
        self,
        policy: Policy,
        wallet: Wallet,
        as_of: dt.date,
        matcher: str,
        deadline: float,
        detail: str = "full",
    ) -> dict[str, Any]:
        def left() -> float:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EngineBusy("the time for this evaluation ran out before it could start")
            return remaining

        payload: dict[str, Any] = {
            "digest": policy.digest,
            "wallet": wallet_to_plain(wallet),
            "as_of": as_of.isoformat(),
            "matcher": matcher,
            "detail": detail,
        }
        digest = input_digest(policy.digest, payload["wallet"])
        self.quarantine.check(digest)
        try:
            try:
                return self.pool.call(_TARGET, payload, timeout=left())
            except EngineFailure as exc:
                if exc.type_name != PolicyNotLoaded.__name__:
                    raise
            return self.pool.call(_TARGET, {**payload, "policy": policy}, timeout=left())
        except tuple(WORKER_KILLERS) as exc:
            self.quarantine.add(digest, *WORKER_KILLERS[type(exc)])
            raise
        except EngineFailure as exc:
            # Errors about the input keep their meaning across the process boundary (a 422,
            # not "engine unavailable").
            known = _PASSED_THROUGH.get(exc.type_name)
            if known is None:
                raise
            raise known(exc.message) from None

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> ContainedEvaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
