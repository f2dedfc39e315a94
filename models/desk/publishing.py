"""Publishing a policy version through its gates: the examples, the static checks, the period.

Every way of publishing (the desk's draft editor and upload page, `POST /api/v1/policies`, the
command line) calls `publish`. It refuses, with `PublishRefused` listing each problem:

- while any example attached to the policy fails (name, what it expected and what it got) —
  run by the evaluator the caller passes (the fronts pass the contained engine; without one the
  examples run in this process, which is what seeding and the tests do);
- while any static check (`rules.lint`) reports an error (path and message);
- when the version's effective period overlaps a published version of the same policy id,
  unless the publication supersedes that version from a date (`Supersedes`): the earlier one
  then ends, for new cases, the day before. Superseding is an option of the publication, not a
  key of the policy document: the document says what the policy is (its digest covers it), the
  publication says how it was brought into force. Periods are inclusive of both ends, as
  `effective_to` is everywhere (the engine refuses an as-of date after it).

On success the `policy_published` entry records who and when (the entry itself), the examples'
results (counts and positions), the static checks' counts, the superseding, and `impact_summary`
when the caller has one (the impact report on stored cases). No personal data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.compile import compile_policy
from engine.evaluate import evaluate as evaluate_here
from engine.examples import compare
from engine.inputs import Wallet
from models.credentials.intake import example_document, wallet_from_document
from models.desk.access import Evaluator, require
from models.desk.records import PolicyVersion, User
from models.errors import Conflict, IntakeError, InvalidInput, NotFound, Problem
from models.messages import N_
from models.store import drafts as store_drafts
from models.store import policies as store_policies
from models.store.database import DB, transaction
from rules.lint import Finding, lint_policy
from rules.loader import load_policy
from rules.policy import Policy

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Supersedes:
    """This publication takes over from `version` of the same policy id from `start`."""

    version: str
    start: dt.date


@dataclass(frozen=True)
class ExampleResult:
    name: str
    problems: tuple[str, ...]  # "rule: expected met, got not_met"; empty when it passes


@dataclass(frozen=True)
class GateReport:
    examples: tuple[ExampleResult, ...]
    findings: tuple[Finding, ...]

    @property
    def failing(self) -> tuple[ExampleResult, ...]:
        return tuple(e for e in self.examples if e.problems)

    @property
    def lint_errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    def summary(self) -> dict[str, Any]:
        """What the trail records of the checks: how many examples ran and passed, which ones
        by their position in the document (`examples[3]`), and counts of findings. An example's
        name is free text an author may fill with an applicant's name: it stays in the policy
        document, which the entry binds by its digest, not in the trail."""
        counts = {s: sum(f.severity == s for f in self.findings) for s in ("error", "warning")}
        return {
            "examples": {
                "run": len(self.examples),
                "passed": [f"examples[{i}]" for i, e in enumerate(self.examples) if not e.problems],
                "failed": [f"examples[{i}]" for i, e in enumerate(self.examples) if e.problems],
            },
            "lint": {**counts, "info": len(self.findings) - sum(counts.values())},
        }


class PublishRefused(InvalidInput):
    """Publishing was refused; `.fields` and `.problems` list every failing example, static
    check error and overlapping period; nothing was stored."""

    def __init__(self, report: GateReport | None = None, overlaps: Iterable[str] = ()):
        self.report = report or GateReport((), ())
        self.overlaps = tuple(overlaps)
        fields: dict[str, str] = {}
        for e in self.report.failing:
            fields[f"examples.{e.name}"] = "; ".join(e.problems)
        for f in self.report.lint_errors:
            fields[f"lint.{f.path or 'document'}"] = f.message
        for n, message in enumerate(self.overlaps):
            fields[f"effective_from{'' if n == 0 else f'.{n}'}"] = message
        self.problems = [Problem(k, v) for k, v in fields.items()]
        super().__init__(fields)


class _InProcess:
    def evaluate(
        self, policy: Policy, wallet: Wallet, as_of: dt.date, *, organisation: str = ""
    ) -> dict[str, Any]:
        return evaluate_here(policy, wallet, as_of)


def run_examples(
    policy: Policy, evaluator: Evaluator | None = None, organisation: str = ""
) -> tuple[ExampleResult, ...]:
    engine = evaluator or _InProcess()
    out = []
    for example in policy.examples:
        try:
            wallet = wallet_from_document(example_document(example))
        except IntakeError as exc:
            out.append(ExampleResult(example.name, tuple(str(p) for p in exc.problems)))
            continue
        result = engine.evaluate(policy, wallet, example.as_of, organisation=organisation)
        out.append(ExampleResult(example.name, tuple(compare(example, result))))
    return tuple(out)


def gate_report(
    policy: Policy,
    document: Mapping[str, Any] | None,
    evaluator: Evaluator | None = None,
    organisation: str = "",
) -> GateReport:
    examples = run_examples(policy, evaluator, organisation)
    return GateReport(examples, tuple(lint_policy(policy, document)))


def period_end(version: PolicyVersion, versions: Iterable[PolicyVersion]) -> dt.date | None:
    """The last day a version is in force for new cases: its own end, or the day before a
    later version supersedes it (the earliest such date)."""
    ends = [
        v.supersedes_from - ONE_DAY
        for v in versions
        if v.supersedes_version == version.version and v.supersedes_from is not None
    ]
    if version.effective_to is not None:
        ends.append(version.effective_to)
    return min(ends) if ends else None


def overlaps(
    start: dt.date,
    end: dt.date | None,
    versions: list[PolicyVersion],
    supersedes: Supersedes | None,
) -> list[str]:
    """Why the period [start, end] may not be published beside `versions` (same policy id)."""
    out = []
    if supersedes is not None:
        old = next((v for v in versions if v.version == supersedes.version), None)
        if old is None:
            return [f"there is no published version {supersedes.version} to supersede"]
        if supersedes.start <= old.effective_from:
            return [f"version {old.version} comes into force on {old.effective_from}; it can "
                    f"only be superseded from a later date"]  # fmt: skip
        if supersedes.start > start:
            out.append(f"this version comes into force on {start}, before it supersedes "
                       f"version {old.version} from {supersedes.start}")  # fmt: skip
    for v in versions:
        other_end = period_end(v, versions)
        if supersedes is not None and v.version == supersedes.version:
            ends = [d for d in (other_end, supersedes.start - ONE_DAY) if d is not None]
            other_end = min(ends)
        if (end is None or v.effective_from <= end) and (other_end is None or start <= other_end):
            theirs = f"{v.effective_from} to {other_end or 'open'}"
            out.append(f"the period {start} to {end or 'open'} overlaps version {v.version} "
                       f"({theirs}); start after it ends, or supersede version {v.version} "
                       "from a date")  # fmt: skip
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):  # YAML dates: stored as the ISO text a JSON policy uses
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def publish(
    db: DB,
    user: User,
    document: Mapping[str, Any],
    *,
    evaluator: Evaluator | None = None,
    source_text: str | None = None,
    supersedes: Supersedes | None = None,
    impact_summary: dict[str, Any] | None = None,
    draft_id: int | None = None,
) -> PolicyVersion:
    """Validate, check and store a policy version (module doc); `PolicyError` lists what makes
    it invalid, `PublishRefused` what the gates refuse, `Conflict` a version already published
    with other content. The same content published again returns the stored version."""
    require(user, "admin")
    plain = json.loads(json.dumps(document, default=_plain, ensure_ascii=False))
    policy = load_policy(plain, source="policy")
    compile_policy(policy)  # `EngineCompileError` (422): a policy no case could be evaluated under
    org = user.organisation_id
    try:
        same: PolicyVersion | None = store_policies.get_policy(db, org, policy.id, policy.version)
    except NotFound:
        same = None
    if same is not None and same.digest != policy.digest:
        raise Conflict(
            N_("policy %(policy)s version %(version)s is published with other content; publish "
               "the change as a new version", policy=policy.id, version=policy.version)
        )  # fmt: skip
    if same is not None:  # published already: nothing is checked or recorded again
        if draft_id is not None:
            with transaction(db):
                store_drafts.mark_published(db, user, draft_id, same.id)
        return same
    report = gate_report(policy, plain, evaluator, str(org))
    if report.failing or report.lint_errors:
        raise PublishRefused(report)
    details: dict[str, Any] = {**report.summary(), "impact": impact_summary}
    if supersedes is not None:
        details["supersedes"] = {
            "version": supersedes.version,
            "from": supersedes.start.isoformat(),
        }
    if draft_id is not None:
        details["draft"] = draft_id
    with transaction(db):  # the period is checked against what is stored as it is written
        versions = [v for v in store_policies.versions_of(db, org, policy.id)
                    if v.version != policy.version]  # fmt: skip
        clash = overlaps(policy.effective_from, policy.effective_to, versions, supersedes)
        if clash:
            raise PublishRefused(overlaps=clash)
        version, _ = store_policies.publish_policy(
            db, user, plain, policy_id=policy.id, version=policy.version, digest=policy.digest,
            purpose=policy.purpose, title=policy.title, effective_from=policy.effective_from,
            effective_to=policy.effective_to, source_text=source_text,
            supersedes=(supersedes.version, supersedes.start) if supersedes else None,
            details=details,
        )  # fmt: skip
        if draft_id is not None:
            store_drafts.mark_published(db, user, draft_id, version.id)
    return version
