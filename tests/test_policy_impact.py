"""`credstack policy impact`: a threshold changed in a copy of a policy lists exactly the stored
cases whose outcome changes, with the right kinds; counts by kind; a cohort file; bad input exits
2 with what is wrong; nothing is written to a case (one trail entry, without a learner, records
that the report was run)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from engine.impact import KINDS, compare, kinds_of, outcome_changed
from models.desk import cases as desk
from models.desk import impact as desk_impact
from models.store import database as store
from tests.desk_builders import AS_OF, ENGINE, UNIVERSITY, make_org, policy_document
from views.cli.main import cli

# (ects of the learner's one credential, quality assurance known?) → what the draft (workload
# threshold 5 → 6 ECTS for an elective) does to the case, known by construction: from 5 up to
# (not including) 6 ECTS the full elective becomes a free elective (partial, no credits).
POPULATION = [
    (4, True, None),  # partial under both
    (5, True, {"disposition_changed", "credits_changed"}),
    (5.5, True, {"disposition_changed", "credits_changed"}),
    (6, True, None),  # full under both
    (7.5, True, None),
    (5, False, None),  # quality unknown: unknown under both (the same evidence request)
    (3, False, None),
]


def credential_wallet(n: int, ects: float, qa: bool) -> dict[str, Any]:
    credential = {
        "id": "x1", "title": "Data Engineering Basics", "awarding_body": "Aurora Open University",
        "issuer_country": "FI", "issued_on": "2025-03-01", "ects": ects, "eqf_level": 6,
        "assessment_type": "written_exam", "participation_form": "online",
        "supervision": "supervised_online_id", "field_of_study": "0613",
        "stackability": "stackable", "verification": "valid", "used_towards": [],
    }  # fmt: skip
    if qa:
        credential["quality_assurance"] = "external_accreditation"
    return {"learner": {"id": f"impact-learner-{n:02d}", "name": f"Impact Learner {n}"},
            "credentials": [credential]}  # fmt: skip


def draft_document(threshold: float = 6) -> dict[str, Any]:
    document = copy.deepcopy(dict(policy_document(UNIVERSITY)))
    rule = next(r for r in document["recognition"] if r["id"] == "elective-credit")
    rule["checks"]["workload"][0]["value"] = threshold
    document["version"] = "2026.2"
    return document


@pytest.fixture()
def world(tmp_path):
    path = tmp_path / "desk.sqlite"
    db = store.open_db(path)
    org = make_org(db, "alpha")
    other = make_org(db, "beta")
    cases = {}
    for n, (ects, qa, _) in enumerate(POPULATION):
        data = {
            "wallet": credential_wallet(n, ects, qa),
            "purpose": "credit",
            "application_date": AS_OF.isoformat(),
            "received_on": AS_OF.isoformat(),
        }
        cases[n] = desk.open_case(db, org.officer, data)
    # Another organisation's case under the same policy id: never read.
    data = {
        "wallet": credential_wallet(99, 5, True),
        "purpose": "credit",
        "application_date": AS_OF.isoformat(),
        "received_on": AS_OF.isoformat(),
    }
    desk.open_case(db, other.officer, data)
    draft = tmp_path / "draft.yaml"
    draft.write_text(yaml.safe_dump(draft_document(), allow_unicode=True), encoding="utf-8")
    yield {"db": db, "path": str(path), "org": org, "cases": cases, "draft": draft}
    db.close()


def impact(world, *args: str) -> Any:
    base = ["policy", "impact", str(world["draft"]), "--db", world["path"], "--workers", "2"]
    return CliRunner().invoke(cli, [*base, *args])


def counts(db) -> dict[str, int]:
    tables = ("cases", "case_snapshots", "case_events", "evaluations", "decisions", "policies")
    return {t: db.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_the_report_lists_exactly_the_cases_whose_outcome_changes(world, tmp_path):
    org = world["org"]
    draft = desk_impact.load_draft(draft_document())
    plan = desk_impact.plan_report(world["db"], org.admin, draft, None, "all")
    assert [c.case_id for c in plan.cases] == [c.id for c in world["cases"].values()]
    outcome = desk_impact.run_plan(plan, b"secret", workers=2)
    expected = {world["cases"][n].id: kinds for n, (_, _, kinds) in enumerate(POPULATION) if kinds}
    found = {row["case_id"]: set(kinds_of(row["changes"])) for row in outcome.rows}
    assert found == expected
    assert outcome.compared == len(POPULATION) and outcome.errors == 0
    assert outcome.unchanged == len(POPULATION) - len(expected)
    assert outcome.by_kind == {"disposition_changed": 2, "credits_changed": 2}
    row = outcome.rows[0]
    change = next(c for c in row["changes"] if c["kind"] == "disposition_changed")
    assert (change["rule"], change["from"], change["to"]) == ("elective-credit", "full", "partial")
    assert row["credits"] == [5.0, 0.0]


def test_the_command_prints_the_summary_the_cases_and_the_time_and_writes_nothing(world, tmp_path):
    db = world["db"]
    before, trail = counts(db), store.verify_audit(db)
    entries = db.conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    out = tmp_path / "report.xlsx"
    result = impact(world, "--as", "admin@alpha.test", "--out", str(out))
    assert result.exit_code == 0, result.output
    changed = [world["cases"][n] for n in (1, 2)]
    for case in changed:
        assert f"case {case.reference} (#{case.id})" in result.stdout
    assert result.stdout.count("case ") == 2
    assert "7 compared: 2 changed, 5 unchanged, 0 could not be compared" in result.stdout
    assert "disposition changed      2" in result.stdout
    assert "cases/s)" in result.stdout and "time: " in result.stdout
    book = load_workbook(out)
    rows = list(book["changes"].values)
    assert rows[0][:3] == ("case", "case_id", "kind")
    assert {r[1] for r in rows[1:]} == {c.id for c in changed}
    assert dict(list(book["summary"].values)[1:]) == {"disposition_changed": 2,
                                                      "credits_changed": 2}  # fmt: skip
    # It only tells: no case, snapshot, event, evaluation or decision more; the trail verifies and
    # holds one entry more, naming versions and counts, no learner.
    assert counts(db) == before
    assert store.verify_audit(db).ok and trail.ok
    (entry,) = db.conn.execute("SELECT event, details FROM audit WHERE seq > ?", [entries])
    assert entry[0] == "impact_report_run"
    details = json.loads(entry[1])
    assert details["cases"] == 7 and details["against"] == "malarvik-msc-ds-credit@2026.1"
    assert "impact-learner" not in entry[1] and "Impact Learner" not in entry[1]
    assert "Impact Learner" not in result.output and "impact-learner" not in result.output


@pytest.mark.parametrize(
    ("selection", "listed"),
    [("all", {1, 2}), ("open", {2}), ("since:2026-09-02", set()), ("since 2026-09-01", {1, 2})],
)
def test_the_cases_chosen(world, selection, listed):
    db, org = world["db"], world["org"]
    decided = world["cases"][1]
    desk.evaluate_case(db, org.officer, decided.id, ENGINE)
    desk.decide(db, org.officer, decided.id, {"action": "accept", "justification": "ok"})
    draft = desk_impact.load_draft(draft_document())
    plan = desk_impact.plan_report(db, org.admin, draft, None, selection)
    outcome = desk_impact.run_plan(plan, b"secret", workers=1)
    assert {r["case_id"] for r in outcome.rows} == {world["cases"][n].id for n in listed}


def test_a_cohort_file_is_compared_learner_by_learner(world, tmp_path):
    folder = tmp_path / "cohort"
    folder.mkdir()
    for n, (ects, qa, _) in enumerate(POPULATION):
        (folder / f"{n:02d}.json").write_text(json.dumps(credential_wallet(n, ects, qa)))
    (folder / "99.json").write_text("{not json")
    current = Path(__file__).resolve().parent.parent / "fixtures" / "policies" / UNIVERSITY
    out = tmp_path / "cohort.csv"
    args = ["--cohort", str(folder), "--against", str(current), "--as-of", "2026-09-01"]
    result = impact(world, *args, "--out", str(out))
    assert result.exit_code == 1, result.output  # one wallet could not be read
    assert "7 compared: 2 changed, 5 unchanged, 1 could not be compared" in result.stdout
    assert "line 2:" in result.stdout and "line 3:" in result.stdout
    assert "line 8: could not be compared" in result.stdout
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "case,case_id,kind,rule,title,from,to,error"
    assert {line.split(",")[1] for line in lines[1:]} == {
        "impact-learner-01", "impact-learner-02", ""}  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as", "admin@alpha.test", "--against", "9.9"], "no published version '9.9'"),
        (["--as", "admin@alpha.test", "--against", "nope@2026.1"], "of policy 'nope'"),
        (["--as", "admin@alpha.test", "--cases", "recent"], "expected all, open or since:"),
        (["--as", "admin@alpha.test", "--cases", "since:2026-13-01"], "an ISO date"),
        (["--as", "admin@alpha.test", "--out", "r.pdf"], "expected a .csv, .xlsx or .json"),
        ([], "--as: name the admin"),
        (["--as", "officer@alpha.test"], "a officer may not do this"),
        (["--as", "admin@alpha.test", "--cohort", "missing.jsonl"], "--cohort:"),
        (["--cohort", "x.jsonl", "--against", "missing.yaml"], "no such policy file"),
    ],
)
def test_bad_input_exits_2_naming_what_is_wrong(world, args, message):
    result = impact(world, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_bad_draft_file_exits_2_with_its_path(world, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\ntargets: [", encoding="utf-8")
    result = CliRunner().invoke(cli, ["policy", "impact", str(bad), "--db", world["path"],
                                      "--as", "admin@alpha.test"])  # fmt: skip
    assert result.exit_code == 2 and "bad.yaml" in result.output
    invalid = tmp_path / "invalid.yaml"
    document = draft_document()
    document["recognition"][0]["checks"]["workload"][0]["op"] = "greater"
    invalid.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = CliRunner().invoke(cli, ["policy", "impact", str(invalid), "--db", world["path"],
                                      "--as", "admin@alpha.test"])  # fmt: skip
    assert result.exit_code == 2 and "greater" in result.output


def result(*outcomes: dict[str, Any], dispositions=()) -> dict[str, Any]:
    return {"outcomes": list(outcomes), "dispositions": list(dispositions)}


def rule(
    status: str, level: str | None = None, credits: float | None = None, asks: tuple = (),
    kind: str = "recognition", rid: str = "r",
) -> dict[str, Any]:  # fmt: skip
    outcome = {"level": level, "credits": credits} if level else None
    requests = [{"credential": "c1", "element": e, "request": f"give {e}"} for e in asks]
    return {"rule": rid, "kind": kind, "title": "R", "status": status, "outcome": outcome,
            "evidence_requests": requests}  # fmt: skip


COMPARISONS = [
    (rule("met", "full", 5), rule("not_met", "refused"), ["met_to_not_met", "credits_changed"]),
    (
        rule("unknown", asks=("qa",)),
        rule("met", "full", 5),
        ["unknown_to_met", "credits_changed", "dropped_evidence_request"],
    ),
    (rule("met", "full", 5), rule("met", "partial", 5), ["disposition_changed"]),
    (rule("met", "full", 5), rule("met", "full", 7.5), ["credits_changed"]),
    (
        rule("not_met", "refused"),
        rule("unknown", asks=("qa", "ects")),
        ["not_met_to_unknown", "new_evidence_request"],
    ),
    (
        rule("unknown", asks=("qa",)),
        rule("unknown", asks=("ects",)),
        ["new_evidence_request", "dropped_evidence_request"],
    ),
    (rule("met", kind="stacking"), rule("not_met", kind="stacking"), ["met_to_not_met"]),
    (rule("met", "full", 5), rule("met", "full", 5), []),
]


@pytest.mark.parametrize(("old", "new", "kinds"), COMPARISONS)
def test_kinds_of_change(old, new, kinds):
    found = compare(result(old), result(new))
    assert kinds_of(found["changes"]) == [k for k in KINDS if k in kinds]
    assert outcome_changed(found["changes"]) == bool(set(kinds) - {
        "credits_changed", "new_evidence_request", "dropped_evidence_request"})  # fmt: skip


def test_rules_added_or_removed_and_answers_to_the_request():
    old = result(rule("met", "full", 5), dispositions=[{"item": "i1", "title": "Credit",
                                                        "disposition": "granted"}])  # fmt: skip
    new = result(
        rule("met", "full", 5, rid="other"),
        dispositions=[{"item": "i1", "title": "Credit", "disposition": "refused"}],
    )
    changes = compare(old, new)["changes"]
    assert kinds_of(changes) == ["added", "removed", "disposition_changed"]
    answer = next(c for c in changes if c["kind"] == "disposition_changed")
    assert (answer["rule"], answer["from"], answer["to"]) == ("request:i1", "granted", "refused")
