"""The language-2 case of the benchmark: declared elements and a large reference table.

A seeded policy whose recognition rules test, besides Annex elements, three elements the policy
declares itself (`track`, a code; `proctored`, a boolean; `study_hours`, a decimal) and whether the
awarding body was an approved provider on the day the credential was issued, looked up in a
reference table of `rows` rows (some providers have two rows: approved, then suspended).

It is measured beside a hand-written loop doing the same thing the way a programmer would without
a rules engine: one dict lookup per credential, then plain tri-state tests per rule. Before timing,
the loop's per-rule, per-credential, per-aspect statuses are checked against `evaluate`'s.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.costs import time_compile
from bench.synthetic import AS_OF, NARROW, credential_values
from bench.timing import _fresh_seeds, _stats, _time_once
from engine.evaluate import compiled_for, evaluate
from engine.inputs import Credential, Wallet
from engine.matching import match_durable
from engine.semantics import MET, NOT_MET, UNKNOWN, shift_years
from engine.views import plain_views
from rules.loader import load_policy

ELEMENTS = {
    "track": {"type": "code", "values": {"verified": "Verified", "audit": "Audit"}},
    "proctored": {"type": "boolean"},
    "study_hours": {"type": "decimal", "unit": "hours"},
}
APPROVED_AT_ISSUE = {
    "table": "providers",
    "match": {"provider": "awarding_body"},
    "where": [{"column": "status", "op": "eq", "value": "approved"}],
    "on": "issued_on",
}
HOURS = (25, 50, 100, 150)
ABSENT = 0.1  # share of credentials without each declared element


def provider_rows(rows: int, seed: int = 0) -> list[list[Any]]:
    """`rows` register rows [provider, status, valid_from, valid_to] (ISO dates or None)."""
    rng = random.Random(f"providers:{rows}:{seed}")
    out: list[list[Any]] = []
    i = 0
    while len(out) < rows:
        name = f"provider-{i:05d}"
        start = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randint(0, 3650))
        if rng.random() < 0.1 and len(out) + 2 <= rows:
            change = start + dt.timedelta(days=rng.randint(365, 2000))
            out.append([name, "approved", start.isoformat(), change.isoformat()])
            after = change + dt.timedelta(days=1)
            out.append([name, "suspended", after.isoformat(), None])
        else:
            status = rng.choices(("approved", "suspended", "withdrawn"), (70, 20, 10))[0]
            end = None
            if rng.random() < 0.3:
                end = (start + dt.timedelta(days=rng.randint(365, 4000))).isoformat()
            out.append([name, status, start.isoformat(), end])
        i += 1
    return out


def policy_document(n_rules: int, rows: int, seed: int = 0) -> dict[str, Any]:
    rng = random.Random(f"facts-policy:{n_rules}:{rows}:{seed}")
    recognition = []
    for i in range(n_rules):
        checks: dict[str, list] = {
            "profile": [
                {"element": "field_of_study", "op": "starts_with", "value": rng.choice(NARROW)}
            ],
            "quality": [APPROVED_AT_ISSUE],
            "workload": [{"element": "study_hours", "op": "gte", "value": rng.choice(HOURS)}],
        }
        if rng.random() < 0.5:
            checks["quality"].append(
                {
                    "any": [
                        {"element": "track", "op": "eq", "value": "verified"},
                        {"element": "proctored", "op": "eq", "value": True},
                    ]
                }
            )
        if rng.random() < 0.3:
            checks["requirements"] = [{"element": "issued_on", "op": "within_years", "value": 5}]
        recognition.append(
            {"id": f"r{i:04d}", "title": f"Recognition towards module {i:04d}", "checks": checks}
        )
    return {
        "id": f"facts-{n_rules}-{rows}-{seed}",
        "title": f"Declared elements and a {rows}-row provider register, {n_rules} rules",
        "organisation": "Benchmark University",
        "purpose": "credit",
        "version": f"{seed}",
        "effective_from": "2024-01-01",
        "elements": ELEMENTS,
        "tables": {
            "providers": {
                "title": "Register of approved providers",
                "version": "bench",
                "columns": {
                    "provider": "text",
                    "status": {"type": "code", "values": ["approved", "suspended", "withdrawn"]},
                    "valid_from": "date",
                    "valid_to": "date",
                },
                "key": ["provider"],
                "valid": {"from": "valid_from", "to": "valid_to"},
                "rows": provider_rows(rows, seed),
            }
        },
        "recognition": recognition,
    }


def wallet(n_credentials: int, rows: int, seed: int = 0) -> Wallet:
    rng = random.Random(f"facts-wallet:{n_credentials}:{seed}")
    providers = rows * 9 // 10  # names that exist: provider-00000 ... (a few do not)
    creds = []
    for i in range(n_credentials):
        values = credential_values(rng, AS_OF)
        name = f"provider-{rng.randrange(providers + providers // 20):05d}"
        values["awarding_body"] = name.upper() if rng.random() < 0.1 else name
        if rng.random() < 0.05:
            values.pop("issued_on")
        extensions: dict[str, Any] = {}
        if rng.random() >= ABSENT:
            extensions["track"] = rng.choice(("verified", "audit"))
        if rng.random() >= ABSENT:
            extensions["proctored"] = rng.random() < 0.5
        if rng.random() >= ABSENT:
            extensions["study_hours"] = rng.choice((12, 24, 50, 75, 120, 150, 300))
        creds.append(Credential.of(f"c{i:03d}", values, extensions=extensions))
    return Wallet(f"facts-learner-{n_credentials}-{seed}", tuple(creds))


# --- the hand-written loop ---------------------------------------------------------------------


def _and(*xs: str) -> str:
    return NOT_MET if NOT_MET in xs else UNKNOWN if UNKNOWN in xs else MET


def _or(*xs: str) -> str:
    return MET if MET in xs else UNKNOWN if UNKNOWN in xs else NOT_MET


def _test(value: Any, holds: Callable[[Any], bool]) -> str:
    return UNKNOWN if value is None else MET if holds(value) else NOT_MET


def _field(value: str | None, prefix: str) -> str:
    """A coarser ISCED field than asked ("04" for "041*") could be either: unknown."""
    if value is None or (len(value) < len(prefix) and prefix.startswith(value)):
        return UNKNOWN
    return MET if value.startswith(prefix) else NOT_MET


class FactsLoop:
    """The same tests as plain Python: {(rule, credential): {aspect: status}}."""

    def __init__(self, document: dict[str, Any], as_of: dt.date):
        self.register: dict[str, list[tuple]] = {}
        for name, status, start, end in document["tables"]["providers"]["rows"]:
            row = (status, dt.date.fromisoformat(start), end and dt.date.fromisoformat(end))
            self.register.setdefault(" ".join(name.casefold().split()), []).append(row)
        self.rules = [
            (
                r["id"],
                r["checks"]["profile"][0]["value"],
                r["checks"]["workload"][0]["value"],
                len(r["checks"]["quality"]) > 1,
                "requirements" in r["checks"],
            )
            for r in document["recognition"]
        ]
        self.as_of, self.recent = as_of, shift_years(as_of, -5)

    def is_recent(self, day: dt.date) -> bool:
        return self.recent <= day <= self.as_of  # a date after the application is not recent

    def approved(self, body: str | None, day: dt.date | None) -> str:
        if body is None or day is None:
            return UNKNOWN
        rows = self.register.get(" ".join(body.casefold().split()), ())
        valid = [s for s, start, end in rows if start <= day and (end is None or day <= end)]
        return MET if "approved" in valid else NOT_MET

    def __call__(self, wallet: Wallet) -> dict[tuple[str, str], dict[str, str]]:
        out = {}
        for c in wallet.credentials:
            v, x = c.values, c.extensions
            field, issued = v.get("field_of_study"), v.get("issued_on")
            approved = self.approved(v.get("awarding_body"), issued)
            verified = _or(
                _test(x.get("track"), lambda t: t == "verified"),
                _test(x.get("proctored"), lambda p: p is True),
            )
            hours, recent = x.get("study_hours"), _test(issued, self.is_recent)
            for rule, prefix, minimum, with_track, dated in self.rules:
                aspects = {
                    "profile": _field(field, prefix),
                    "quality": _and(approved, verified) if with_track else approved,
                    "workload": UNKNOWN if hours is None else MET if hours >= minimum else NOT_MET,
                }
                if dated:
                    aspects["requirements"] = recent
                out[rule, c.id] = aspects
        return out


def engine_aspects(result: dict[str, Any]) -> dict[tuple[str, str], dict[str, str]]:
    return {
        (o["rule"], a["credential"]): a["aspects"]
        for o in result["outcomes"]
        if o["kind"] == "recognition"
        for a in o["assessments"]
    }


# --- measuring ---------------------------------------------------------------------------------


def measure(cell: tuple[int, int], rows: int, budget_s: float, reps: tuple[int, int]):
    """Time evaluate / match_durable / the loop on one cell; check the loop agrees first."""
    n_rules, n_credentials = cell
    t0 = time.perf_counter_ns()
    document = policy_document(n_rules, rows)
    policy = load_policy(document)
    load_ms = (time.perf_counter_ns() - t0) / 1e6
    compiled = compiled_for(policy)
    wallets = [wallet(n_credentials, rows, seed=s) for s in range(3)]
    views = [plain_views(policy, sorted(w.credentials, key=lambda c: c.id), AS_OF) for w in wallets]
    loop = FactsLoop(document, AS_OF)
    agrees = all(engine_aspects(evaluate(policy, w, AS_OF)) == loop(w) for w in wallets)
    fns: dict[str, Callable[[int], Any]] = {
        "evaluate": lambda k: evaluate(policy, wallets[k], AS_OF),
        "durable": lambda k: match_durable(compiled, views[k], AS_OF),
        "views": lambda k: plain_views(policy, list(wallets[k].credentials), AS_OF),
        "loop": lambda k: loop(wallets[k]),
    }
    for fn in fns.values():
        fn(0)
    round_ns = sum(_time_once(lambda f=fn: f(0)) for fn in fns.values())
    n = max(reps[0], min(reps[1], math.ceil(budget_s * 1e9 / max(round_ns, 1))))
    samples: dict[str, list[int]] = {name: [] for name in fns}
    for r in range(n):
        for name, fn in fns.items():
            samples[name].append(_time_once(lambda f=fn, k=r % 3: f(k)))
    series = {name: _stats(s) for name, s in samples.items()}
    statuses = [s for w in wallets for aspects in loop(w).values() for s in aspects.values()]
    return {
        "cell": f"{n_rules}x{n_credentials}",
        "table_rows": rows,
        "load_policy_ms": round(load_ms, 1),
        "agreement": {"loop_equals_evaluate": agrees},
        "aspect_statuses": {
            s: round(statuses.count(s) / len(statuses), 3) for s in (MET, NOT_MET, UNKNOWN)
        },
        "series": series,
        "ratios": {
            f"{a}/loop": round(series[a]["median_ms"] / series["loop"]["median_ms"], 3)
            for a in ("evaluate", "durable", "views")
        },
    }


def compile_times(n_rules: int, rows: int, seeds: int) -> dict[str, Any]:
    """Validate + compile + register a policy with `n_rules` rules and a `rows`-row table."""

    def once(seed: int) -> dict[str, float]:
        return time_compile(policy_document(n_rules, rows, seed=seed))

    once(next(_fresh_seeds))
    runs = [once(next(_fresh_seeds)) for _ in range(seeds)]
    out: dict[str, Any] = {"rules": n_rules, "table_rows": rows, "seeds": seeds}
    for key in ("validate_ms", "compile_ms", "register_ms", "total_ms"):
        out[key] = round(statistics.median(r[key] for r in runs), 2)
    return out
