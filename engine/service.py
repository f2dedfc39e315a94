"""Evaluation behind a process boundary: the entry point the CLI, the web app and batches use.

The caller sends plain data (the policy's digest, the credentials as plain dicts, the as-of date)
to a supervised worker; the validated policy itself travels only the first time a worker needs it,
and each worker compiles it once per digest. A crash, hang or memory blow-up in durable-rules
costs that one call an `EngineError` and a fresh worker, never the caller's process.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.errors import EngineCompileError, EngineFailure, EvaluationInputError
from engine.evaluate import evaluate
from engine.inputs import Wallet, wallet_from_plain, wallet_to_plain
from engine.worker import WorkerPool
from rules.policy import Policy

DEFAULT_TIMEOUT = 20.0
DEFAULT_MEMORY_MB = 1024
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
    return evaluate(policy, wallet, as_of, payload.get("matcher", "durable"))


class ContainedEvaluator:
    """Evaluate in supervised workers; one per process is enough (it is thread-safe)."""

    def __init__(
        self,
        size: int = 1,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit_mb: int = DEFAULT_MEMORY_MB,
    ):
        self.pool = WorkerPool(size=size, timeout=timeout, memory_limit_mb=memory_limit_mb)

    def evaluate(
        self, policy: Policy, wallet: Wallet, as_of: dt.date, matcher: str = "durable"
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "digest": policy.digest,
            "wallet": wallet_to_plain(wallet),
            "as_of": as_of.isoformat(),
            "matcher": matcher,
        }
        try:
            try:
                return self.pool.call(_TARGET, payload)
            except EngineFailure as exc:
                if exc.type_name != PolicyNotLoaded.__name__:
                    raise
            return self.pool.call(_TARGET, {**payload, "policy": policy})
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
