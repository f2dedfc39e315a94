"""Where else a case's credentials would count: the credentials its latest evaluation leaves
over (unused, or all of them when the request was refused) evaluated against the organisation's
other policies in force on the application date (`engine.where_else`), through the evaluator the
caller holds (the desk's contained worker pool).

The answer is kept per evaluation and set of policy versions (`where_else_results`): asking again
costs nothing until the case is evaluated again or a policy version changes. It holds rule ids,
titles and what is missing, never the learner.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from engine.inputs import wallet_from_plain
from engine.where_else import found_anything, left_over, where_else
from models.desk.access import ANY_ROLE, Evaluator, require, validated_policy
from models.desk.records import PolicyVersion, User
from models.store import cases as store_cases
from models.store import decisions as store_decisions
from models.store import impact as store_impact
from models.store import policies as store_policies
from models.store.database import DB


def other_policies(db: DB, user: User, policy_id: str, on: dt.date) -> list[PolicyVersion]:
    """Per policy of the organisation other than `policy_id`: its version in force on `on`
    (the newest published, when several are)."""
    chosen: dict[str, PolicyVersion] = {}
    for v in store_policies.list_policies(db, user.organisation_id):
        if v.policy_id == policy_id or v.effective_from > on:
            continue
        if v.effective_to is not None and v.effective_to < on:
            continue
        best = chosen.get(v.policy_id)
        if best is None or (v.published_at, v.id) > (best.published_at, best.id):
            chosen[v.policy_id] = v
    return [chosen[k] for k in sorted(chosen)]


def _key(versions: list[PolicyVersion]) -> str:
    text = ",".join(f"{v.policy_id}@{v.version}:{v.digest}" for v in versions)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def case_where_else(
    db: DB, user: User, case_id: int, evaluator: Evaluator | None = None
) -> dict[str, Any]:
    """{status, evaluation, considered, policies}: status "not_evaluated" (nothing to start
    from), "not_asked" (no answer kept and no `evaluator` given to work one out) or "found"."""
    require(user, *ANY_ROLE)
    org = user.organisation_id
    case = store_cases.get_case(db, org, case_id)
    evaluation = store_decisions.latest_evaluation(db, org, case_id)
    if evaluation is None:
        return {"status": "not_evaluated", "evaluation": None, "considered": [], "policies": []}
    considered = left_over(dict(evaluation.result))
    versions = other_policies(db, user, case.policy_id, case.application_date)
    key = _key(versions)
    entries = store_impact.where_else_found(db, org, case_id, evaluation.id, key)
    if entries is None and evaluator is not None:
        snapshot = store_cases.get_snapshot(db, org, evaluation.snapshot_id)
        wallet = wallet_from_plain(dict(snapshot.credentials))

        def run(policy: Any, w: Any, as_of: dt.date) -> dict[str, Any]:
            return evaluator.evaluate(policy, w, as_of, organisation=str(org))

        policies = [validated_policy(v) for v in versions]
        entries = where_else(wallet, considered, policies, case.application_date, run)
        store_impact.keep_where_else(db, org, case_id, evaluation.id, key, entries)
    if entries is None:
        return {"status": "not_asked", "evaluation": evaluation.id, "considered": considered,
                "policies": []}  # fmt: skip
    return {"status": "found", "evaluation": evaluation.id, "considered": considered,
            "policies": entries, "anything": found_anything(entries)}  # fmt: skip
