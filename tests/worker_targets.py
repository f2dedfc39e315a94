"""Functions that `tests/test_worker.py` runs inside worker processes, including faulty ones."""

from __future__ import annotations

import ctypes
import os
import time
from typing import Any

_calls = 0


def echo(payload: Any) -> Any:
    return payload


def pid(_: Any) -> int:
    return os.getpid()


def counter(_: Any) -> int:
    global _calls
    _calls += 1
    return _calls


def square_slowly(x: int) -> tuple[int, int]:
    time.sleep(0.05)  # long enough that concurrent calls overlap and need both workers
    return x * x, os.getpid()


def segfault(_: Any) -> None:
    ctypes.string_at(0)


def spin(_: Any) -> None:
    while True:
        pass


def allocate(n_bytes: int) -> int:
    return len(bytearray(n_bytes))


def fail(message: str) -> None:
    raise ValueError(message)


def exit_with(code: int) -> None:
    os._exit(code)


def evaluate_or_crash(payload: Any) -> Any:
    """`engine.service.evaluate_payload`, except that a wallet holding a credential with the id
    "crash" kills the worker: a stand-in for an input that crashes durable-rules."""
    if any(c["id"] == "crash" for c in payload["wallet"]["credentials"]):
        segfault(None)
    from engine.service import evaluate_payload

    return evaluate_payload(payload)


def evaluate_batch(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """Evaluate each wallet against one policy with durable-rules and with the reference
    matcher, in this worker: ("same", ""), ("refused", why: both refused the input) or
    ("mismatch", where the two first differ). `compare` is "results" (whole evaluations) or
    "statuses" (every condition group's status per credential and for the application: what
    the matchers answer, without the explanations built on them; for large policies)."""
    import datetime as dt

    from engine.errors import EvaluationInputError
    from engine.evaluate import evaluate
    from engine.inputs import wallet_from_plain

    policy, as_of = payload["policy"], dt.date.fromisoformat(payload["as_of"])
    run = evaluate if payload.get("compare", "results") == "results" else _statuses
    out = []
    for plain in payload["wallets"]:
        wallet = wallet_from_plain(plain)
        found = []
        for matcher in ("durable", "reference"):
            try:
                found.append(run(policy, wallet, as_of, matcher))
            except EvaluationInputError as exc:
                found.append(("refused", str(exc)))
        durable, reference = found
        if durable == reference:
            out.append(("refused", durable[1]) if isinstance(durable, tuple) else ("same", ""))
        else:
            out.append(("mismatch", _first_difference(durable, reference)))
    return out


def _statuses(policy: Any, wallet: Any, as_of: Any, matcher: str) -> dict:
    from engine.binding import bind
    from engine.evaluate import compiled_for
    from engine.matching import MATCHERS
    from engine.views import views_for
    from rules.catalogue import APPLICATION, CREDENTIAL

    compiled = compiled_for(policy)
    credentials = sorted(wallet.credentials, key=lambda c: c.id)
    views, application = views_for(policy, bind(policy, wallet, credentials), credentials, as_of)
    scoped = {CREDENTIAL: views, APPLICATION: [application]}
    return MATCHERS[matcher](compiled, scoped, as_of)


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path}: durable {a!r:.300} / reference {b!r:.300}"


def run_rules(payload: dict[str, Any]) -> int:
    """Run raw durable-rules rules (each {"all": [{"m": expression}]}) over facts; the number of
    rule firings. For checking engine.network's model against the engine itself."""
    import hashlib
    import json

    from engine import durable_backend

    ruleset = dict(payload["rules"], sentinel={"all": [{"m": {"gate": 1}}]})
    name = "t" + hashlib.sha256(json.dumps(ruleset, sort_keys=True).encode()).hexdigest()[:16]
    found = durable_backend.run(name, ruleset, payload["facts"], 100_000)
    return sum(len(v) for v in found.values())


def evaluate_items_or_crash(payload: Any) -> Any:
    """`models.population.work.evaluate_items`, except that a chunk holding a wallet with a
    credential of id "crash" kills the worker."""
    if any(item.kind == "json" and b'"id": "crash"' in item.data for item in payload["items"]):
        segfault(None)
    from models.population.work import evaluate_items

    return evaluate_items(payload)
