"""Static checks of a validated policy (`credstack policy lint`, run by `policy check`).

`lint_policy(policy, document=None)` returns plain `Finding`s — severity, a path into the policy
document (as in `policy check` problems), a one-line message an officer understands, and the
check that made it — sorted by path. Severities: `error` for what can never be met or never
fires, `warning` for what is suspicious, `info` for what is only worth knowing. The checks:

- contradictions: a condition list that can never hold (interval and set reasoning: EQF ≥ 6 and
  EQF ≤ 5, level = 5 and level = 6, `in` lists with nothing in common, within an all-of; an
  any-of none of whose branches can hold) — `rules.lint.reasoning`;
- targets that can never be met: a slot no credential can fill (its conditions and the target's
  conditions on every credential contradict), a minimum count above what the slots hold, a
  minimum of ECTS or of a total above what the slots can hold (bounded by their conditions), a
  share no admitted credential can count towards, a target built on one that can never be met;
- recognition outcomes never given: a tier whose checks cannot hold together, or shadowed by an
  earlier tier needing only some of the same checks;
- decision rows that need a target that can never be met; classification rows after a row that
  holds whenever they do;
- unused declarations: elements, facts, choices, computed values, classifications, lookups and
  tables nothing reads;
- translations keyed by a text the policy does not contain;
- coverage (`coverage`, given the credentials on file): elements conditions read that few
  credentials carry.

The loader already refuses decision rows that can never decide and dispositions no request
produces; these checks never raise and never change a policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from rules.lint import structure
from rules.lint.usage import DEFAULT_THRESHOLD, coverage, untranslatable, unused, used_subjects
from rules.lint.walk import SEVERITIES, Finding
from rules.policy import Policy

__all__ = [
    "DEFAULT_THRESHOLD",
    "Finding",
    "SEVERITIES",
    "coverage",
    "errors",
    "lint_policy",
    "used_subjects",
]


def lint_policy(
    policy: Policy,
    document: Mapping[str, Any] | None = None,
    credentials: Iterable[Mapping[str, Any]] | None = None,
    threshold: Fraction = DEFAULT_THRESHOLD,
) -> list[Finding]:
    """Every finding of the static checks. `document` (the policy as written) lets paths name
    slots where they were written and tells a policy's own declarations from imported ones;
    `credentials` (plain dicts) adds the coverage check."""
    found = structure.contradictions(policy, document)
    target_findings, never = structure.targets(policy, document)
    found += target_findings
    found += structure.tiers(policy)
    found += structure.rows(policy, never)
    found += unused(policy, document)
    found += untranslatable(document)
    if credentials is not None:
        found += coverage(policy, credentials, threshold, document=document)
    unique = {(f.path, f.message): f for f in found}
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(unique.values(), key=lambda f: (rank[f.severity], f.path, f.message))


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]
