"""What a letter says, as data: the decided outcome of each rule and request, in the policy's and
the officer's words, with the credentials named by title and awarding body.

The engine's reasons are the proposal's words ("… is proposed for …") and name credentials by
their internal ids, so a letter never quotes them: it states what the officer decided (the
decision's outcomes), the tier of the policy that outcome corresponds to (what the credential is
recognised as, its credits, its note), which aspects showed a substantial difference, and the
officer's justification. The words around these facts are the template's, in the letter's
language; this module stays free of wording.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.desk.decision_rules import REQUEST, Answer, proposal_of
from models.desk.letter_records import OrganisationSettings
from models.desk.records import Case, Decision, Evaluation
from rules.policy import Policy

POSITIVE = ("full", "partial", "conditional", "alternative")
_MAX_SHORTFALLS = 8


@dataclass(frozen=True)
class CredentialName:
    title: str
    awarding_body: str


@dataclass(frozen=True)
class Shortfall:
    credential: CredentialName | None
    element: str  # a vocabulary element name; the template puts it into words
    actual: str
    expected: str


@dataclass(frozen=True)
class Element:
    """One rule or stacking target as decided."""

    rule: str
    title: str
    kind: str  # "recognition" or "stacking"
    level: str  # the decided Lisbon level ("full" for a stacking target: awarded)
    proposed: str | None
    recognised_as: str | None
    credits: float | None
    note: str | None
    credentials: tuple[CredentialName, ...]
    same: tuple[str, ...]  # aspects without a substantial difference
    differing: tuple[str, ...]  # aspects with one
    shortfalls: tuple[Shortfall, ...]
    departs: bool  # decided otherwise than proposed
    exception: str | None  # the decision's exception type, under the rule it concerns

    @property
    def favourable(self) -> bool:
        return self.level in POSITIVE


@dataclass(frozen=True)
class RequestAnswer:
    item: str
    title: str
    label: str
    favourable: bool
    departs: bool
    options: tuple[str, ...]
    alternatives: tuple[tuple[str, str], ...]  # (what instead, its answer)


@dataclass(frozen=True)
class EvidenceItem:
    credential: CredentialName | None
    element: str


@dataclass(frozen=True)
class LetterContent:
    purpose: str  # decision, refusal, evidence_request, appeal_outcome, revision
    subject: str  # recognition, credit, admission, employment
    organisation: OrganisationSettings
    case_id: int
    case_reference: str
    decision_id: int
    decision_number: str
    decided_on: dt.date
    draft: bool  # awaits a second officer's confirmation: not in effect
    application_date: dt.date
    received_on: dt.date
    complete_on: dt.date | None
    applicant_name: str | None  # None once erased
    applicant_address: str | None
    officer: str
    confirmer: str | None
    policy_title: str
    policy_version: str
    policy_from: dt.date
    policy_to: dt.date | None
    policy_digest: str
    fingerprint: str | None
    elements: tuple[Element, ...]
    answers: tuple[RequestAnswer, ...]
    evidence: tuple[EvidenceItem, ...]
    justification: str
    exception_type: str | None
    previous: tuple[str, dt.date] | None  # the decision this one revises: (number, date)
    # The policy's own texts in other languages ({language: {text as written: translation}}).
    policy_texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def policy_text(self, text: Any, language: str) -> Any:
        """A text the policy wrote, in `language` when the policy translates it."""
        if not isinstance(text, str):
            return text
        return self.policy_texts.get(language, {}).get(text, text)

    @property
    def favourable(self) -> bool:
        return any(e.favourable for e in self.elements) or any(a.favourable for a in self.answers)


def case_reference(case: Case) -> str:
    """The case's reference as letters print it: the case's own reference when the case record
    carries one, else its number."""
    return str(getattr(case, "reference", None) or case.id)


def decided_on(decision: Decision) -> dt.date:
    """The day the decision took effect: its confirmation under four eyes, else its recording."""
    return dt.date.fromisoformat((decision.confirmed_at or decision.decided_at)[:10])


def credential_names(credentials: Mapping[str, Any]) -> dict[str, CredentialName]:
    """{internal id: title and awarding body} of a snapshot's credentials."""
    out = {}
    for c in credentials.get("credentials", []):
        values = c.get("values", {})
        out[c["id"]] = CredentialName(
            str(values.get("title") or "—"), str(values.get("awarding_body") or "—")
        )
    return out


def letter_purpose(decision: Decision, elements: Sequence[Element], answers: Sequence[Any]) -> str:
    if decision.action == "request_evidence":
        return "evidence_request"
    if decision.kind == "appeal":
        return "appeal_outcome"
    if decision.kind in ("correction", "reopening"):
        return "revision"
    if not any(e.favourable for e in elements) and not any(a.favourable for a in answers):
        return "refusal"
    return "decision"


def letter_subject(case: Case, elements: Sequence[Element], answers: Sequence[Any]) -> str:
    if case.purpose in ("credit", "employment"):
        return case.purpose
    if not answers and any(e.kind == "recognition" for e in elements):
        return "recognition"
    return "admission"


def _tier(policy: Policy | None, rule: str, level: str) -> Any:
    for r in policy.recognition if policy else ():
        if r.id == rule:
            return next((t for t in r.tiers if t.level == level), None)
    return None


def _target(policy: Policy | None, rule: str) -> Any:
    return next((t for t in policy.targets if t.id == rule), None) if policy else None


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def elements_of(
    decision: Decision,
    evaluation: Evaluation | None,
    policy: Policy | None,
    names: Mapping[str, CredentialName],
) -> tuple[Element, ...]:
    outcomes = {o["rule"]: o for o in (evaluation.result["outcomes"] if evaluation else [])}
    proposal = proposal_of(evaluation.result) if evaluation else {}
    out = []
    for rule, level in sorted(decision.outcomes.items()):
        if rule.startswith((REQUEST, "options:")):
            continue
        o = outcomes.get(rule, {"title": rule, "kind": "recognition"})
        used = [c for c in o.get("credentials", []) if c in names]
        assessments = [a for a in o.get("assessments", []) if not used or a["credential"] in used]
        aspects: dict[str, str] = {}
        for a in assessments:
            for aspect, status in a.get("aspects", {}).items():
                if aspects.get(aspect) != "met":
                    aspects[aspect] = status
        shortfalls = tuple(
            Shortfall(names.get(c.get("credential", "")), c["element"],
                      _shown(c.get("actual")), str(c.get("expected", "")))
            for c in o.get("conditions", [])
            if c.get("status") == "not_met" and c.get("aspect") != "scope"
            and (not used or c.get("credential") in used)
        )[:_MAX_SHORTFALLS] if level != "full" else ()  # fmt: skip
        if o["kind"] == "stacking":
            target = _target(policy, rule)
            recognised_as = (o.get("outcome") or {}).get("awards") or (
                target.awards if target else None
            )
            credits = _number((o.get("outcome") or {}).get("credits") or (
                target.credits if target else None))  # fmt: skip
            note = None
        else:
            tier = _tier(policy, rule, level)
            recognised_as = tier.recognised_as if tier else None
            credits, note = (_number(tier.credits), tier.note) if tier else (None, None)
        departs = proposal.get(rule) != level
        out.append(
            Element(
                rule, str(o.get("title", rule)), o["kind"], level, proposal.get(rule),
                recognised_as if level != "refused" else None, credits if level != "refused"
                else None, note if level != "refused" else None,
                tuple(names[c] for c in used),
                tuple(k for k, v in aspects.items() if v == "met" and k != "scope"),
                tuple(k for k, v in aspects.items() if v == "not_met" and k != "scope"),
                shortfalls, departs, decision.exception_type if departs else None,
            )
        )  # fmt: skip
    return tuple(out)


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "; ".join(_shown(v) for v in value)
    return str(value)


def answers_of_decision(
    decision: Decision,
    evaluation: Evaluation | None,
    allowed: Mapping[str, Mapping[str, Answer]],
) -> tuple[RequestAnswer, ...]:
    """The decided answer to each request item, in the policy's words, with the options offered
    (unless the officer withheld them, with a justification)."""
    if evaluation is None:
        return ()
    proposed = {d["item"]: d for d in evaluation.result.get("dispositions", [])}
    out = []
    for key, code in sorted(decision.outcomes.items()):
        if not key.startswith(REQUEST):
            continue
        item = key.removeprefix(REQUEST)
        entry = proposed.get(item, {})
        answer = allowed.get(item, {}).get(code)
        same = entry.get("disposition") == code
        withheld = decision.outcomes.get(f"options:{item}") == "withheld"
        favourable = bool(answer and answer.favourable)
        options: tuple[str, ...] = ()
        if not withheld and not favourable:
            declared = answer.options if answer else ()
            options = tuple(entry.get("options", []) if same else declared)
        alternatives = tuple(
            (str(a.get("title", "")), str(a.get("label", "")))
            for a in (entry.get("alternatives", []) if same else [])
        )
        out.append(RequestAnswer(item, str(entry.get("title", item)),
                                 answer.label if answer else code, favourable, not same,
                                 options, alternatives))  # fmt: skip
    return tuple(out)


def evidence_of(
    evaluation: Evaluation | None, names: Mapping[str, CredentialName]
) -> tuple[EvidenceItem, ...]:
    """What the latest evaluation asks for, by credential title and element."""
    if evaluation is None:
        return ()
    result = evaluation.result
    asked = [r for d in result.get("dispositions", []) for r in d.get("evidence_requests", [])]
    asked += [r for o in result["outcomes"] for r in o.get("evidence_requests", [])]
    seen: dict[tuple[str, str], EvidenceItem] = {}
    for r in asked:
        key = (str(r.get("credential", "")), str(r.get("element", "")))
        if key[1] and key not in seen:
            seen[key] = EvidenceItem(names.get(key[0]), key[1])
    return tuple(seen.values())
