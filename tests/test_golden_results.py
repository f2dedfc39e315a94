"""Results are stable byte for byte: a fixed set of evaluations (`tests.golden`) gives exactly the
results stored from an earlier engine, fingerprints included, in process and through the
contained worker. A change that alters any result must say so by rewriting the store."""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

import pytest

from engine.service import ContainedEvaluator
from tests import golden

STORED = json.loads((golden.STORE / "digests.json").read_text())


def _stored_results() -> dict[str, Any]:
    with gzip.open(golden.STORE / "results.jsonl.gz", "rt", encoding="utf-8") as f:
        return {row["case"]: row["result"] for row in map(json.loads, f)}


def _first_difference(old: Any, new: Any, path: str = "$") -> str:
    if type(old) is not type(new):
        return f"{path}: {old!r:.120} became {new!r:.120}"
    if isinstance(old, dict):
        for key in sorted(set(old) | set(new)):
            if key not in old or key not in new:
                return f"{path}.{key}: only in the {'new' if key in new else 'stored'} result"
            if old[key] != new[key]:
                return _first_difference(old[key], new[key], f"{path}.{key}")
    if isinstance(old, list):
        if len(old) != len(new):
            return f"{path}: {len(old)} items became {len(new)}"
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{path}[{i}]")
    return f"{path}: {old!r:.120} became {new!r:.120}"


def test_every_stored_result_is_reproduced_byte_for_byte():
    seen, changed = set(), []
    for name, policy, learner, as_of in golden.cases():
        seen.add(name)
        body = golden.canonical(golden.result_of(policy, learner, as_of))
        if hashlib.sha256(body).hexdigest() != STORED.get(name):
            changed.append((name, json.loads(body)))
    assert seen == set(STORED), "the set of golden cases changed; rewrite the store on purpose"
    if changed:
        stored = _stored_results()
        lines = [
            f"{name}: {_first_difference(stored[name], new) if name in stored else 'changed'}"
            for name, new in changed[:10]
        ]
        pytest.fail(f"{len(changed)} result(s) changed:\n" + "\n".join(lines))


def test_the_contained_worker_returns_the_same_bytes():
    picked = [c for c in golden.cases() if c[0].startswith(("synthetic/", "example/de-"))]
    assert len(picked) >= 12
    with ContainedEvaluator(size=1) as evaluator:
        for name, policy, learner, as_of in picked:
            try:
                result = evaluator.evaluate(policy, learner, as_of)
            except Exception as exc:  # a refusal is compared like a result
                result = {"refused": str(exc)}
            digest = hashlib.sha256(golden.canonical(result)).hexdigest()
            assert digest == STORED[name], name
