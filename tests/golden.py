"""A fixed set of evaluations whose results are stored (tests/data/golden/), so that any change to
how the engine computes a result can be checked byte for byte against what it gave before.

The cases: every example of every fixture policy; every fixture learner against every fixture
policy; seeded synthetic policies and wallets of the benchmark's sizes (up to 200 credentials);
and seeded stress policies and wallets from the fuzz generator. `cases()` yields them as
(name, policy, wallet, as_of); `canonical(result)` is the byte form compared.

Run `python -m tests.golden` to rewrite the stored results (only when a change of result is
intended, and say why in the commit).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.synthetic import AS_OF, policy_document, wallet
from engine.batch import canonical as canonical_text
from engine.errors import EvaluationInputError
from engine.evaluate import evaluate
from engine.inputs import Wallet
from models.credentials.intake import example_document, wallet_from_document
from models.errors import IntakeError
from rules.errors import PolicyError
from rules.library import DirectoryLibrary
from rules.loader import load_policy, parse_document
from rules.policy import Policy
from tests import strategies_fuzz as fz

ROOT = Path(__file__).resolve().parent.parent
STORE = ROOT / "tests" / "data" / "golden"
LEARNER_AS_OF = dt.date(2026, 9, 1)
SYNTHETIC = ((10, 5), (10, 50), (50, 20), (200, 50), (10, 200), (50, 200))
STRESS_SEEDS = range(120)


def canonical(result: Any) -> bytes:
    """The result's one text (as batches write it), as bytes."""
    return canonical_text(result).encode()


def _fixture_policies() -> list[tuple[str, Policy]]:
    out = []
    for path in sorted((ROOT / "fixtures" / "policies").glob("*.yaml")):
        library = DirectoryLibrary(
            [path.parent, ROOT / "fixtures" / "vocabularies", ROOT / "fixtures" / "tables"]
        )
        document = parse_document(path.read_bytes(), path.name)
        out.append((path.stem, load_policy(document, source=str(path), library=library)))
    return out


def _learners() -> list[tuple[str, Wallet]]:
    out = []
    for path in sorted((ROOT / "fixtures" / "learners").glob("*.json")):
        out.append((path.stem, wallet_from_document(json.loads(path.read_text()))))
    for path in sorted((ROOT / "fixtures" / "requests").glob("*.json")):
        try:
            out.append((f"request-{path.stem}", wallet_from_document(json.loads(path.read_text()))))
        except IntakeError:
            continue
    return out


def cases() -> Iterator[tuple[str, Policy, Wallet, dt.date]]:
    policies = _fixture_policies()
    for stem, policy in policies:
        for i, example in enumerate(policy.examples):
            doc = example_document(example)
            yield f"example/{stem}/{i}", policy, wallet_from_document(doc), example.as_of
    learners = _learners()
    for stem, policy in policies:
        for name, learner in learners:
            yield f"learner/{stem}/{name}", policy, learner, LEARNER_AS_OF
    for rules, creds in SYNTHETIC:
        for seed in (0, 1):
            policy = load_policy(policy_document(rules, seed=seed))
            yield f"synthetic/{rules}x{creds}/{seed}", policy, wallet(creds, seed=seed), AS_OF
    for seed in STRESS_SEEDS:
        rng = random.Random(seed)
        try:
            policy = load_policy(fz.stress_policy(rng))
            learner = wallet_from_document(fz.wallet_doc(rng))
        except (PolicyError, IntakeError):
            continue
        yield f"stress/{seed}", policy, learner, AS_OF


def result_of(policy: Policy, learner: Wallet, as_of: dt.date) -> Any:
    """The result, or the refusal (a refusal is a result too: it must not change either)."""
    try:
        return evaluate(policy, learner, as_of)
    except EvaluationInputError as exc:
        return {"refused": str(exc)}


def write() -> None:
    STORE.mkdir(parents=True, exist_ok=True)
    digests = {}
    # mtime=0: rewriting unchanged results gives the same bytes (no churn in the repository).
    with (
        open(STORE / "results.jsonl.gz", "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out,
    ):
        for name, policy, learner, as_of in cases():
            body = canonical(result_of(policy, learner, as_of))
            digests[name] = hashlib.sha256(body).hexdigest()
            if not name.startswith("synthetic/"):  # the large ones are kept as digests only
                row = json.dumps({"case": name, "result": json.loads(body)}) + "\n"
                out.write(row.encode())
    (STORE / "digests.json").write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
    print(f"{len(digests)} results written to {STORE}")


if __name__ == "__main__":
    write()
