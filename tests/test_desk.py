"""The decision desk through its public functions: cases, the proposal and decisions, mandatory
justification, idempotency, four-eyes, roles, tenant scoping, the decision clock, replay, seed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import click
import pytest
from click.testing import CliRunner

from models.desk import admin as desk_admin
from models.desk import cases as desk
from models.desk import reads as desk_read
from models.desk import record_schemas as rs
from models.desk.seed import seed_demo
from models.errors import Conflict, Forbidden, InvalidDecision, InvalidInput, NotFound
from models.store import cases as store_cases
from models.store import database as store
from models.store import decisions as store_decisions
from models.store import policies as store_policies
from tests.desk_builders import (
    AS_OF,
    ENGINE,
    FAST,
    PASSWORD,
    UNIVERSITY,
    case_data,
    count,
    drop_guards,
    evaluated,
    make_org,
    open_credit,
    open_enic,
    policy_document,
    wallet,
)
from views.cli.desk import desk_commands
from views.cli.staff import staff_commands


@pytest.fixture
def org(db):
    return make_org(db, "alpha")


def status(db, user, case_id: int) -> str:
    return desk_read.case_file(db, user, case_id).case.status


# ---- cases ------------------------------------------------------------------------------------


def test_a_case_runs_from_open_to_decided(db, org):
    case = open_enic(db, org.officer, "farid-rahimi", complete_on="2026-09-10")
    assert (case.status, case.policy_id, case.policy_version) == (
        "open",
        "enic-se-foreign-microcredentials",
        "2026.2",
    )
    evaluation = desk.evaluate_case(db, org.officer, case.id, ENGINE)
    assert evaluation.fingerprint.startswith("sha256:") and evaluation.as_of == AS_OF
    assert status(db, org.viewer, case.id) == "evaluated"
    decision = desk.decide(
        db, org.officer, case.id, {"action": "accept", "justification": "alternative as proposed"}
    )
    assert decision.outcomes == {
        "entry-programming": "alternative",
        "foreign-data-analysis": "full",
    }
    assert (decision.kind, decision.evaluation_id, decision.fingerprint) == (
        "initial",
        evaluation.id,
        evaluation.fingerprint,
    )
    file = desk_read.case_file(db, org.viewer, case.id)
    assert file.case.status == "decided"
    assert [e.status for e in file.events] == ["open", "evaluated", "decided"]
    assert file.learner.display_name == "Farid Rahimi"


def test_the_policy_in_force_on_the_application_date_is_the_default(db, org):
    newer = dict(policy_document(UNIVERSITY), version="2028.1", effective_from="2028-01-01")
    newer.pop("effective_to")
    desk_admin.publish_policy(db, org.admin, newer)
    old = open_credit(db, org.officer, "amira-haddad")
    new = open_credit(db, org.officer, "amira-haddad", application_date="2028-02-01")
    pinned = open_credit(
        db, org.officer, "amira-haddad", policy_id="malarvik-msc-ds-credit", policy_version="2028.1"
    )
    assert (old.policy_version, new.policy_version, pinned.policy_version) == (
        "2026.1",
        "2028.1",
        "2028.1",
    )
    assert old.learner_key == new.learner_key  # one learner row, several cases


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"application_date": "2019-01-01"}, "policy_id"),
        ({"policy_id": "nope", "policy_version": "1"}, "policy_version"),
        ({"policy_version": "1"}, "policy_id"),
        ({"purpose": "employment"}, "policy_id"),
        ({"complete_on": "2026-08-01"}, "complete_on"),
        ({"received_on": "01/09/2026"}, "received_on"),
        ({"extra": 1}, "extra"),
        ({"wallet": {"learner": {"id": "x"}, "credentials": [{"id": "c", "ects": "5"}]}},
         "wallet.credentials[0].ects"),
        ({"wallet": {"credentials": []}}, "wallet.learner"),
    ],
)  # fmt: skip
def test_a_bad_case_is_refused_whole(db, org, change, field):
    before = count(db, "audit")
    with pytest.raises(InvalidInput) as info:
        desk.open_case(db, org.officer, {**case_data("greta-nowak", "admission"), **change})
    assert field in info.value.fields
    assert count(db, "audit") == before and count(db, "cases") == 0


def test_evidence_requested_then_added_then_decided(db, org):
    case = evaluated(db, org.officer, open_enic(db, org.officer, "chiara-russo"))
    with pytest.raises(InvalidDecision) as info:
        desk.decide(db, org.officer, case.id, {"action": "accept", "justification": "x"})
    assert "foreign-data-analysis" in info.value.fields["outcomes"]
    desk.request_evidence(db, org.officer, case.id, "Send the quality assurance statement.")
    assert status(db, org.viewer, case.id) == "waiting_for_applicant"
    with pytest.raises(Conflict):  # the proposal waits for the new evidence
        desk.decide(db, org.officer, case.id, {"action": "accept", "justification": "x"})
    completed = wallet("chiara-russo")
    for credential in completed["credentials"]:
        credential["quality_assurance"] = "external_accreditation"
    desk.add_evidence(db, org.officer, case.id, completed, complete_on=dt.date(2026, 9, 20))
    file = desk_read.case_file(db, org.viewer, case.id)
    assert (file.case.status, file.case.complete_on, len(file.snapshots)) == (
        "open",
        dt.date(2026, 9, 20),
        2,
    )
    with pytest.raises(Conflict, match="is open"):  # new evidence: evaluate again first
        desk.decide(db, org.officer, case.id, {"action": "accept", "justification": "x"})
    evaluated(db, org.officer, case)
    decision = desk.decide(db, org.officer, case.id, {"action": "accept", "justification": "ok"})
    assert decision.previous_decision_id is not None and decision.kind == "initial"


def test_evidence_of_another_learner_is_refused(db, org):
    case = open_enic(db, org.officer, "chiara-russo")
    with pytest.raises(InvalidInput, match="another learner"):
        desk.add_evidence(db, org.officer, case.id, wallet("li-wei"))


# ---- the decision rules -----------------------------------------------------------------------

JUSTIFY = "justification"
TABLE = [
    # learner, data, field in error (None: recorded)
    ("amira-haddad", {"action": "accept"}, None),  # full positive as proposed: no reason needed
    ("greta-nowak", {"action": "accept"}, JUSTIFY),  # partial: not a full positive one
    ("greta-nowak", {"action": "accept", JUSTIFY: "  "}, JUSTIFY),  # blank is no reason
    ("greta-nowak", {"action": "accept", JUSTIFY: "Workload differs."}, None),
    ("mateo-garcia", {"action": "accept"}, JUSTIFY),  # a refusal always states reasons
    ("amira-haddad", {"action": "override", "exception_type": "refuse",
                      "outcomes": {"diploma-applied-ds": "refused"}}, JUSTIFY),
    ("greta-nowak", {"action": "override", "exception_type": "waive_condition",
                     "outcomes": {"foreign-data-analysis": "full"}}, JUSTIFY),
    ("greta-nowak", {"action": "override", "exception_type": "waive_condition",
                     "outcomes": {"foreign-data-analysis": "full"}, JUSTIFY: "Waived."}, None),
    ("greta-nowak", {"action": "override", "outcomes": {"foreign-data-analysis": "full"},
                     JUSTIFY: "x"}, "exception_type"),
    ("greta-nowak", {"action": "override", "exception_type": "partial",
                     "outcomes": {"foreign-data-analysis": "partial"}, JUSTIFY: "x"}, "outcomes"),
    ("greta-nowak", {"action": "override", "exception_type": "partial",
                     "outcomes": {"no-such-rule": "full"}, JUSTIFY: "x"}, "outcomes.no-such-rule"),
    ("greta-nowak", {"action": "override", "exception_type": "partial", JUSTIFY: "x"}, "outcomes"),
    ("greta-nowak", {"action": "accept", "exception_type": "partial", JUSTIFY: "x"},
     "exception_type"),
    ("greta-nowak", {"action": "accept", "outcomes": {"entry-programming": "full"}, JUSTIFY: "x"},
     "outcomes"),
    ("chiara-russo", {"action": "override", "exception_type": "accept_with_condition",
                      "outcomes": {"entry-programming": "full"}, JUSTIFY: "x"},
     "outcomes.foreign-data-analysis"),  # unknown in the proposal: must be stated
    ("chiara-russo", {"action": "override", "exception_type": "accept_with_condition",
                      "outcomes": {"foreign-data-analysis": "conditional"}, JUSTIFY: "QA later."},
     None),
    ("hugo-martin", {"action": "accept"}, JUSTIFY),  # nothing applicable: not a positive one
    ("greta-nowak", {"action": "request_evidence"}, JUSTIFY),
    ("greta-nowak", {"action": "request_evidence", JUSTIFY: "x", "outcomes": {"a": "full"}},
     "outcomes"),
    ("greta-nowak", {"action": "confirm", JUSTIFY: "x"}, "action"),
    ("greta-nowak", {"action": "accept", JUSTIFY: 5}, JUSTIFY),
    ("greta-nowak", {"action": "accept", JUSTIFY: "x", "outcomes": {"x": "awarded"}},
     "outcomes.x.value"),
    ("greta-nowak", {"action": "accept", JUSTIFY: "x", "officer": 3}, "officer"),
    ("greta-nowak", {"action": "accept", JUSTIFY: "x" * 10_001}, JUSTIFY),
]  # fmt: skip


@pytest.mark.parametrize(("learner", "data", "field"), TABLE)
def test_decision_rules(db, org, learner, data, field):
    opener = open_credit if learner == "amira-haddad" else open_enic
    case = evaluated(db, org.officer, opener(db, org.officer, learner))
    before = (count(db, "decisions"), count(db, "audit"), count(db, "case_events"))
    if field is None:
        decision = desk.decide(db, org.officer, case.id, data)
        assert decision.action == data["action"]
        return
    with pytest.raises(InvalidDecision) as info:
        desk.decide(db, org.officer, case.id, data)
    assert field in info.value.fields, info.value.fields
    assert (count(db, "decisions"), count(db, "audit"), count(db, "case_events")) == before


def test_stacking_is_eligible_only_until_a_person_decides(db, org):
    case = evaluated(db, org.officer, open_credit(db, org.officer, "amira-haddad"))
    result = desk_read.case_file(db, org.viewer, case.id).evaluations[-1].result
    stacked = [o for o in result["outcomes"] if o["kind"] == "stacking"]
    assert stacked and all(o["outcome"]["eligible_to_be_considered"] for o in stacked)
    assert count(db, "decisions") == 0  # the engine awarded nothing
    assert status(db, org.viewer, case.id) == "evaluated"


def test_corrections_reopenings_and_appeals_link_to_the_decision_before(db, org):
    case = evaluated(db, org.officer, open_credit(db, org.officer, "amira-haddad"))
    first = desk.decide(db, org.officer, case.id, {"action": "accept"})
    with pytest.raises(InvalidDecision, match="correction"):
        desk.decide(db, org.officer, case.id, {"action": "accept"})
    second = desk.decide(db, org.officer, case.id, {"action": "accept", JUSTIFY: "typo fixed"})
    with pytest.raises(Conflict):
        desk.evaluate_case(db, org.officer, case.id, ENGINE)  # decided: reopen first
    with pytest.raises(InvalidInput):
        desk.reopen_case(db, org.officer, case.id, " ")
    desk.reopen_case(db, org.officer, case.id, "new information from the provider")
    evaluated(db, org.officer, case)
    third = desk.decide(db, org.officer, case.id, {"action": "accept", JUSTIFY: "reviewed"})
    desk.reopen_case(db, org.officer, case.id, "the applicant appeals", appeal=True)
    fourth = desk.decide(db, org.officer, case.id, {"action": "accept", JUSTIFY: "upheld"})
    chain = [(d.kind, d.previous_decision_id) for d in (first, second, third, fourth)]
    assert chain == [
        ("initial", None),
        ("correction", first.id),
        ("reopening", second.id),
        ("appeal", third.id),
    ]
    with pytest.raises(Conflict):
        desk.reopen_case(db, org.officer, open_enic(db, org.officer, "li-wei").id, "why")


# ---- idempotency and four-eyes ---------------------------------------------------------------


def test_a_repeated_submission_is_recorded_once(db, org):
    other = make_org(db, "beta")
    case = evaluated(db, org.officer, open_enic(db, org.officer, "greta-nowak"))
    data = {"action": "accept", JUSTIFY: "as proposed", "idempotency_key": "form-123"}
    first = desk.decide(db, org.officer, case.id, data)
    audit_after_first = count(db, "audit")
    assert desk.decide(db, org.officer, case.id, data) == first
    assert count(db, "decisions") == 1 and count(db, "audit") == audit_after_first
    with pytest.raises(Conflict, match="idempotency key"):
        desk.decide(db, org.officer, case.id, {**data, JUSTIFY: "something else"})
    b_case = evaluated(db, other.officer, open_enic(db, other.officer, "greta-nowak"))
    assert desk.decide(db, other.officer, b_case.id, data).id != first.id  # keys are per tenant


def test_four_eyes_needs_a_second_officer(db):
    org = make_org(db, "gamma", four_eyes=True)
    case = evaluated(db, org.officer, open_enic(db, org.officer, "greta-nowak"))
    pending = desk.decide(db, org.officer, case.id, {"action": "accept", JUSTIFY: "ok"})
    assert pending.requires_confirmation and pending.confirmed_by is None
    assert status(db, org.viewer, case.id) == "awaiting_confirmation"
    with pytest.raises(Forbidden, match="different officer"):
        desk.confirm(db, org.officer, pending.id)
    with pytest.raises(Forbidden):
        desk.confirm(db, org.admin, pending.id)
    confirmation = desk.confirm(db, org.officer2, pending.id, idempotency_key="c-1")
    assert desk.confirm(db, org.officer2, pending.id, idempotency_key="c-1") == confirmation
    assert (confirmation.action, confirmation.previous_decision_id) == ("confirm", pending.id)
    assert status(db, org.viewer, case.id) == "decided"
    stored = store_decisions.get_decision(db, org.id, pending.id)
    assert stored.confirmed_by == org.officer2.id and stored.confirmed_at
    with pytest.raises(Conflict, match="confirmed already"):
        desk.confirm(db, org.officer2, pending.id)
    with pytest.raises(InvalidDecision):
        desk.confirm(db, org.officer2, confirmation.id)
    events = [e.event for e in store.audit_entries(db, org.id)]
    assert events.count("decision_confirmed") == 1


def test_a_later_decision_supersedes_an_unconfirmed_one(db):
    org = make_org(db, "gamma", four_eyes=True)
    case = evaluated(db, org.officer, open_enic(db, org.officer, "greta-nowak"))
    first = desk.decide(db, org.officer, case.id, {"action": "accept", JUSTIFY: "ok"})
    override = {"action": "override", "exception_type": "waive_condition", JUSTIFY: "board",
                "outcomes": {"foreign-data-analysis": "full"}}  # fmt: skip
    second = desk.decide(db, org.officer2, case.id, override)
    assert second.kind == "correction" and second.previous_decision_id == first.id
    with pytest.raises(Conflict, match="supersedes"):
        desk.confirm(db, org.officer2, first.id)
    desk.confirm(db, org.officer, second.id)
    assert status(db, org.viewer, case.id) == "decided"


# ---- roles and tenants ------------------------------------------------------------------------


def test_roles(db, org):
    case = evaluated(db, org.officer, open_enic(db, org.officer, "greta-nowak"))
    accept = {"action": "accept", JUSTIFY: "x"}
    for user in (org.viewer, org.admin):
        with pytest.raises(Forbidden):
            desk.decide(db, user, case.id, accept)
        with pytest.raises(Forbidden):
            desk.open_case(db, user, case_data("li-wei", "admission"))
    for user in (org.viewer, org.officer):
        with pytest.raises(Forbidden):
            desk_admin.publish_policy(db, user, policy_document(UNIVERSITY))
        with pytest.raises(Forbidden):
            desk_admin.create_user(db, user, {})
        with pytest.raises(Forbidden):
            desk_admin.erase_learner(db, user, case.learner_key)
    desk_admin.deactivate_user(db, org.admin, org.officer.id)
    inactive = dataclasses.replace(org.officer, active=False)
    with pytest.raises(Forbidden, match="deactivated"):
        desk.decide(db, inactive, case.id, accept)
    with pytest.raises(Forbidden):
        desk_admin.authenticate(db, org.officer.email, PASSWORD, hasher=FAST)
    with pytest.raises(Forbidden):
        desk_admin.deactivate_user(db, org.admin, org.admin.id)
    assert desk_read.case_queue(db, org.viewer)  # every role reads


@pytest.fixture
def tenants(db):
    """Organisation A with a case at every stage; organisation B, whose staff try A's ids."""
    a, b = make_org(db, "alpha", four_eyes=True), make_org(db, "beta")
    desk_admin.publish_policy(
        db, a.admin, dict(policy_document(UNIVERSITY), id="alpha-only", version="9")
    )
    case = evaluated(db, a.officer, open_enic(db, a.officer, "greta-nowak"))
    decision = desk.decide(db, a.officer, case.id, {"action": "accept", JUSTIFY: "ok"})
    token_id, _ = desk_admin.issue_api_token(db, a.officer, "a token")
    evaluation = store_decisions.latest_evaluation(db, a.id, case.id)
    return a, b, case, decision, token_id, evaluation


def _matrix(db, b, case, decision, token_id, evaluation, a):
    yield (
        "open_case(policy)",
        lambda: desk.open_case(
            db, b.officer, case_data("li-wei", "credit", policy_id="alpha-only", policy_version="9")
        ),
    )
    yield "add_evidence", lambda: desk.add_evidence(db, b.officer, case.id, wallet("greta-nowak"))
    yield "evaluate_case", lambda: desk.evaluate_case(db, b.officer, case.id, ENGINE)
    yield "decide", lambda: desk.decide(db, b.officer, case.id, {"action": "accept", JUSTIFY: "x"})
    yield "request_evidence", lambda: desk.request_evidence(db, b.officer, case.id, "x")
    yield "confirm", lambda: desk.confirm(db, b.officer, decision.id)
    yield "reopen_case", lambda: desk.reopen_case(db, b.officer, case.id, "x")
    yield "appeal", lambda: desk.reopen_case(db, b.officer, case.id, "x", appeal=True)
    yield "case_file", lambda: desk_read.case_file(db, b.viewer, case.id)
    yield "export_case", lambda: desk_read.export_case(db, b.admin, case.id)
    yield "replay", lambda: desk_read.replay(db, b.officer, case.id, ENGINE)
    yield "get_policy", lambda: desk_admin.get_policy(db, b.viewer, "alpha-only", "9")
    yield "erase_learner", lambda: desk_admin.erase_learner(db, b.admin, case.learner_key)
    yield "revoke_api_token", lambda: desk_admin.revoke_api_token(db, b.admin, token_id)
    yield "deactivate_user", lambda: desk_admin.deactivate_user(db, b.admin, a.officer.id)
    yield "store.get_case", lambda: store_cases.get_case(db, b.id, case.id)
    yield "store.get_snapshot", lambda: store_cases.get_snapshot(db, b.id, evaluation.snapshot_id)
    yield "store.snapshots", lambda: store_cases.snapshots(db, b.id, case.id)
    yield "store.events", lambda: store_cases.events(db, b.id, case.id)
    yield "store.get_learner", lambda: store_policies.get_learner(db, b.id, case.learner_key)
    yield "store.get_evaluation", lambda: store_decisions.get_evaluation(db, b.id, evaluation.id)
    yield "store.get_decision", lambda: store_decisions.get_decision(db, b.id, decision.id)


MATRIX_NAMES = [name for name, _ in _matrix(*([None] * 7))]


@pytest.mark.parametrize("name", MATRIX_NAMES)
def test_another_organisations_ids_are_not_found(db, tenants, name):
    a, b, case, decision, token_id, evaluation = tenants
    call = dict(_matrix(db, b, case, decision, token_id, evaluation, a))[name]
    before = "\n".join(db.conn.iterdump())
    with pytest.raises((NotFound, InvalidInput)) as info:
        call()
    if name != "open_case(policy)":
        assert isinstance(info.value, NotFound), info.value
    message = str(info.value)
    for secret in ("Greta", "greta", case.learner_key, a.officer.email, "Alpha (test)"):
        assert secret not in message
    assert "\n".join(db.conn.iterdump()) == before  # nothing written, not even an audit entry


def test_lists_show_only_the_own_organisation(db, tenants):
    a, b, case, *_ = tenants
    assert desk_read.case_queue(db, b.viewer) == []
    assert store_decisions.decisions(db, b.id, case.id) == []
    assert store_decisions.evaluations(db, b.id, case.id) == []
    assert {u.organisation_id for u in desk_admin.list_users(db, b.admin)} == {b.id}
    assert "alpha-only" not in {p.policy_id for p in desk_admin.list_policies(db, b.viewer)}
    assert {e.organisation_id for e in desk_admin.audit_log(db, b.viewer, limit=1000)} == {b.id}
    assert desk_read.verify_audit(db, b.viewer).checked == count_chain(db, b.id)


def count_chain(db, org_id: int) -> int:
    return db.conn.execute(
        "SELECT count(*) FROM audit WHERE organisation_id = ?", [org_id]
    ).fetchone()[0]


# ---- decision clock, replay, seed ------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2026-10-31", 4, "2027-02-28"),
        ("2027-10-31", 4, "2028-02-29"),
        ("2026-09-01", 4, "2027-01-01"),
        ("2026-11-15", 2, "2027-01-15"),
    ],
)
def test_calendar_months(day, months, expected):
    start = dt.date.fromisoformat(day)
    assert desk_read.add_months(start, months) == dt.date.fromisoformat(expected)


def test_the_decision_clock(db, org):
    complete = open_enic(db, org.officer, "greta-nowak", complete_on="2026-09-10")
    received = open_enic(db, org.officer, "li-wei")
    decided = evaluated(db, org.officer, open_enic(db, org.officer, "farid-rahimi"))
    desk.decide(db, org.officer, decided.id, {"action": "accept", JUSTIFY: "ok"})
    queue = {i.case.id: i for i in desk_read.case_queue(db, org.viewer, today=dt.date(2027, 1, 5))}
    assert (queue[complete.id].days_elapsed, queue[complete.id].overdue) == (117, False)
    assert queue[complete.id].due_on == dt.date(2027, 1, 10)
    assert (queue[received.id].days_elapsed, queue[received.id].overdue) == (126, True)
    assert queue[decided.id].overdue is False  # decided in time: the clock has stopped
    overdue = desk_read.case_queue(db, org.viewer, overdue=True, today=dt.date(2027, 1, 5))
    assert [i.case.id for i in overdue] == [received.id]
    assert [i.case.id for i in desk_read.case_queue(db, org.viewer, status="decided")] == [
        decided.id
    ]


def test_replay_reproduces_the_decided_evaluation(db, org):
    case = evaluated(db, org.officer, open_enic(db, org.officer, "li-wei"))
    decision = desk.decide(db, org.officer, case.id, {"action": "accept", JUSTIFY: "ok"})
    report = desk_read.replay(db, org.viewer, case.id, ENGINE)
    assert report.matches and report.decision_id == decision.id and report.differences == ()
    drop_guards(db)  # an evaluation altered behind the desk's back is caught by the replay
    row = db.conn.execute("SELECT result FROM evaluations WHERE id = ?", [decision.evaluation_id])
    result = json.loads(row.fetchone()[0])
    result["outcomes"][0]["status"] = "unknown"
    result["fingerprint"] = "sha256:" + "0" * 64
    db.conn.execute(
        "UPDATE evaluations SET result = ?, fingerprint = ? WHERE id = ?",
        [json.dumps(result), result["fingerprint"], decision.evaluation_id],
    )
    db.conn.commit()
    report = desk_read.replay(db, org.viewer, case.id, ENGINE)
    assert not report.fingerprint_matches and not report.outcomes_match
    assert report.differences[0].startswith(result["outcomes"][0]["rule"])


def test_seed_demo(tmp_path):
    db = store.open_db(tmp_path / "demo.sqlite")
    credentials = seed_demo(db, hasher=FAST)
    assert {c["organisation"] for c in credentials} == {"malarvik", "nordlys"}
    assert {c["role"] for c in credentials} == {"admin", "officer", "viewer"}
    assert (count(db, "policies"), count(db, "cases"), count(db, "learners")) == (3, 14, 13)
    officer = next(c for c in credentials if c["email"] == "officer@nordlys.example")
    user = desk_admin.authenticate(db, officer["email"], officer["password"], hasher=FAST)
    assert {i.case.policy_id for i in desk_read.case_queue(db, user)} == {"nordlys-cloud-tracks"}
    names = {r[0] for r in db.conn.execute("SELECT display_name FROM learners")}
    assert "Amira Haddad" in names and store.verify_audit(db).ok
    with pytest.raises(Conflict):
        seed_demo(db, hasher=FAST)
    db.close()


def test_the_desk_commands(tmp_path):
    cli = click.Group(commands={c.name: c for c in [*desk_commands, *staff_commands]})
    runner = CliRunner()
    path = str(tmp_path / "cli.sqlite")
    result = runner.invoke(cli, ["init-db", "--db", path])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli,
        ["users", "create", "--db", path, "--org", "nowhere", "--email", "a@b.example",
         "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 2 and "no organisation 'nowhere'" in result.output
    db = store.open_db(path)
    store.create_organisation(db, "delta", "Delta")
    db.close()
    args = ["users", "create", "--db", path, "--org", "delta", "--email", "a@b.example",
            "--role", "admin"]  # fmt: skip
    result = runner.invoke(cli, args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0 and "created admin a@b.example" in result.output
    result = runner.invoke(cli, [*args, "--password-stdin"], input="short\n")
    assert result.exit_code == 2 and "password: expected 12 to 1024" in result.output
    result = runner.invoke(cli, ["replay", "1", "--as", "a@b.example", "--db", path])
    assert result.exit_code == 2 and "no case 1" in result.output
    result = runner.invoke(cli, ["audit", "verify", "--db", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 4 and "init-db" in result.output
    for command in desk_commands:
        assert command.help and runner.invoke(cli, [command.name, "--help"]).exit_code == 0


def test_records_dump_as_json(db, org):
    case = evaluated(db, org.officer, open_enic(db, org.officer, "greta-nowak"))
    desk.decide(db, org.officer, case.id, {"action": "accept", JUSTIFY: "ok"})
    file = desk_read.case_file(db, org.viewer, case.id)
    dumped = {
        "case": rs.CaseSchema().dump(file.case),
        "decision": rs.DecisionSchema().dump(file.decisions[0]),
        "evaluation": rs.EvaluationSchema().dump(file.evaluations[0]),
        "user": rs.UserSchema().dump(org.officer),
        "policy": rs.PolicyVersionSchema().dump(desk_admin.list_policies(db, org.viewer)[0]),
        "audit": rs.AuditEntrySchema().dump(desk_admin.audit_log(db, org.viewer, limit=1)[0]),
        "organisation": rs.OrganisationSchema().dump(store.get_organisation(db, org.id)),
    }
    text = json.dumps(dumped)
    assert dumped["case"]["application_date"] == "2026-09-01"
    assert dumped["decision"]["outcomes"]["foreign-data-analysis"] == "partial"
    assert "password" not in text and "Greta" not in text
