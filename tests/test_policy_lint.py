"""Static checks (`rules.lint`, `credstack policy lint`, `policy check`): every check has a small
policy that triggers it and one that does not; the real fixture policies stay error-free."""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from rules.lint import coverage, lint_policy
from rules.loader import load_policy, load_policy_file, parse_document
from tests import strategies, strategies_v2
from views.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
POLICIES = sorted((ROOT / "fixtures" / "policies").glob("*.yaml"))

QA = {"element": "quality_assurance", "op": "in", "value": ["external_accreditation"]}


def base() -> dict:
    return {
        "id": "lint-case",
        "title": "Lint case",
        "organisation": "Test University",
        "purpose": "credit",
        "version": "1",
        "effective_from": "2026-01-01",
        "recognition": [
            {
                "id": "rule",
                "title": "Elective credit",
                "checks": {
                    "level": [{"element": "eqf_level", "op": "gte", "value": 6}],
                    "workload": [{"element": "ects", "op": "gte", "value": 5}],
                },
            }
        ],
        "targets": [
            {
                "id": "cert",
                "title": "Certificate",
                "slots": [
                    {
                        "id": "core",
                        "title": "Core",
                        "min": 1,
                        "max": 2,
                        "when": [{"element": "eqf_level", "op": "gte", "value": 5}],
                    },
                    {
                        "id": "extra",
                        "title": "Extra",
                        "min": 1,
                        "max": 1,
                        "when": [{"element": "ects", "op": "gte", "value": 2}],
                    },
                ],
            }  # fmt: skip
        ],
    }


def slot_when(*conditions: dict):
    def edit(doc: dict) -> None:
        doc["targets"][0]["slots"][0]["when"] = list(conditions)

    return edit


def target(**fields):
    def edit(doc: dict) -> None:
        doc["targets"][0].update(fields)

    return edit


def rule(**fields):
    def edit(doc: dict) -> None:
        doc["recognition"][0].update(fields)

    return edit


def ects(op: str, value: float) -> dict:
    return {"element": "ects", "op": op, "value": value}


def eqf(op: str, value) -> dict:
    return {"element": "eqf_level", "op": op, "value": value}


def second_target(doc: dict, **fields) -> None:
    doc["targets"].append({"id": "dip", "title": "Diploma", "builds_on": ["cert"], **fields})


def with_request(needs_cert_met: bool):
    def edit(doc: dict) -> None:
        if needs_cert_met:
            target(min_count=9)(doc)
        doc["dispositions"] = {"yes": {"label": "Granted", "favourable": True},
                               "no": {"label": "Refused", "favourable": False}}  # fmt: skip
        doc["requests"] = {
            "award": {"title": "Award", "considers": ["cert"], "decision": {
                "rows": [{"id": "ok", "when": [{"target": "cert", "status": "met"}],
                          "disposition": "yes"}],
                "otherwise": "no"}}
        }  # fmt: skip

    return edit


def uk_total(minimum: int):
    cats = {"element": "credits", "system": "uk_cats"}

    def edit(doc: dict) -> None:
        slot = {"id": "any", "title": "Any", "min": 1, "max": 2,
                "when": [{**cats, "op": "lte", "value": 20}]}  # fmt: skip
        target(slots=[slot], totals=[{"title": "UK credits", "of": cats, "min": minimum}])(doc)

    return edit


def classification(shadowed: bool):
    rows = [
        {"id": "high", "class": "high", "when": [eqf("gte", 6)]},
        {"id": "high-big", "class": "mid", "when": [eqf("gte", 6), ects("gte", 10)]},
    ]

    def edit(doc: dict) -> None:
        doc["classifications"] = {"band": {
            "label": "band", "hit": "first",
            "classes": {"high": "High", "mid": "Mid", "low": "Low"},
            "rows": rows if shadowed else rows[::-1], "default": "low"}}  # fmt: skip
        doc["recognition"][0]["checks"]["profile"] = [
            {"element": "band", "op": "in", "value": ["high", "mid"]}
        ]

    return edit


def declared(used: bool):
    def edit(doc: dict) -> None:
        doc["elements"] = {"track": {"type": "code", "values": {"verified": "Verified",
                                                                "audit": "Audit"}}}  # fmt: skip
        if used:
            doc["recognition"][0]["checks"]["quality"] = [
                {"element": "track", "op": "eq", "value": "verified"}
            ]

    return edit


def translated(stray: str | None):
    """Swedish for the policy's title, and for `stray`, a text the policy does not have."""

    def edit(doc: dict) -> None:
        texts = {doc["title"]: "Regelverk på svenska"}
        if stray:
            texts[stray] = "Dataanalys"
        doc["translations"] = {"sv": texts}

    return edit


# (check, path it is reported at, edit that triggers it, edit that does not)
CASES = [
    ("contradiction", "targets[0].slots[0].when",
     slot_when(ects("gte", 10), ects("lt", 5)), slot_when(ects("gte", 5), ects("lt", 10))),
    ("contradiction", "recognition[0].checks.level",
     rule(checks={"level": [eqf("eq", 5), eqf("eq", 6)]}),
     rule(checks={"level": [eqf("gte", 5), eqf("lte", 6)]})),
    ("contradiction", "targets[0].slots[0].when",
     slot_when({**QA, "value": ["external_accreditation", "national_register"]},
               {**QA, "value": ["industry_certification"]}),
     slot_when({**QA, "value": ["external_accreditation", "national_register"]},
               {**QA, "value": ["national_register", "industry_certification"]})),
    ("contradiction", "targets[0].slots[0].when",
     slot_when(ects("gte", 10), {"any": [ects("lt", 5), ects("lte", 3)]}),
     slot_when(ects("gte", 10), {"any": [ects("lt", 5), ects("gte", 12)]})),
    ("contradiction", "targets[0].slots[0].when",
     slot_when(eqf("gt", 5), eqf("lt", 6)), slot_when(eqf("gt", 5), eqf("lt", 7))),
    ("slot-never-filled", "targets[0].slots[0].when",
     (lambda d: (target(all_credentials=[eqf("gte", 7)])(d), slot_when(eqf("lte", 6))(d))),
     (lambda d: (target(all_credentials=[eqf("gte", 6)])(d), slot_when(eqf("lte", 6))(d)))),
    ("count-above-capacity", "targets[0].min_count", target(min_count=4), target(min_count=3)),
    ("threshold-above-capacity", "targets[0].min_total_ects",
     lambda d: (slot_when(ects("lte", 5))(d), target(min_total_ects=15, slots=[
         {**d["targets"][0]["slots"][0], "max": 2}])(d)),
     lambda d: (slot_when(ects("lte", 5))(d), target(min_total_ects=10, slots=[
         {**d["targets"][0]["slots"][0], "max": 2}])(d))),
    ("threshold-above-capacity", "targets[0].totals[0].min", uk_total(100), uk_total(40)),
    ("share-never-met", "targets[0].shares[0].when",
     lambda d: (target(all_credentials=[eqf("lte", 6)], shares=[
         {"title": "at EQF 7", "min_share": 0.5, "when": [eqf("gte", 7)]}])(d)),
     lambda d: (target(all_credentials=[eqf("lte", 6)], shares=[
         {"title": "at EQF 6", "min_share": 0.5, "when": [eqf("gte", 6)]}])(d))),
    ("target-never-met", "targets[1].builds_on",
     lambda d: (target(min_count=9)(d), second_target(d)),
     lambda d: second_target(d)),
    ("tier-shadowed", "recognition[0].outcomes[1]",
     rule(outcomes=[{"level": "partial", "requires": ["level"]},
                    {"level": "full", "requires": ["level", "workload"]}]),
     rule(outcomes=[{"level": "full", "requires": ["level", "workload"]},
                    {"level": "partial", "requires": ["level"]}])),
    ("tier-never-reached", "recognition[0].outcomes[0]",
     rule(applies_to=[ects("lt", 5)]), rule(applies_to=[ects("lt", 50)])),
    ("row-never-fires", "requests.award.decision.rows[0]", with_request(True), with_request(False)),
    ("row-never-fires", "classifications.band.rows[1]",
     classification(True), classification(False)),
    ("unused-declaration", "elements.track", declared(False), declared(True)),
    ("unused-translation", "translations.sv", translated("Dataanalys"), translated(None)),
]  # fmt: skip


def lint(edit) -> list:
    doc = base()
    edit(doc)
    return lint_policy(load_policy(copy.deepcopy(doc)), doc)


@pytest.mark.parametrize(("check", "path", "triggers", "clean"), CASES)
def test_each_check_has_a_policy_that_triggers_it_and_one_that_does_not(
    check, path, triggers, clean
):
    found = [(f.check, f.path) for f in lint(triggers)]
    assert (check, path) in found
    assert [f for f in lint(clean) if f.check == check] == []


def test_the_untouched_base_policy_has_no_findings():
    assert lint(lambda d: None) == []


def test_findings_say_why_in_one_line_with_severity():
    (finding,) = [f for f in lint(CASES[0][2]) if f.check == "contradiction"]
    assert finding.severity == "error"
    assert "\n" not in finding.message
    assert "notional workload (ECTS) must be ≥ 10 and < 5" in finding.message
    (shadow,) = lint(CASES[11][2])
    assert "'partial' outcome needs only checks it needs too" in shadow.message


def test_coverage_reports_elements_few_credentials_carry_with_the_share():
    doc = base()
    doc["recognition"][0]["checks"]["quality"] = [QA]
    policy = load_policy(doc)
    few = [{"quality_assurance": "external_accreditation", "ects": 5, "eqf_level": 6}]
    few += [{"ects": 5, "eqf_level": 6}] * 32
    (finding,) = coverage(policy, few)
    assert finding.check == "coverage" and finding.path == "recognition[0].checks.quality"
    assert finding.message.startswith("quality_assurance (type of quality assurance) is known on "
                                      "3 % of credentials on file (1 of 33)")  # fmt: skip
    enough = [{"quality_assurance": "none", "ects": 5, "eqf_level": 6}] * 5 + few[1:21]
    assert coverage(policy, enough) == []
    assert coverage(policy, enough, threshold=Fraction(1, 2))[0].path.endswith("quality")
    hours = [{"workload_hours": 120, "eqf_level": 6, "quality_assurance": "none"}]
    assert coverage(policy, hours) == []  # ECTS is inferred from the hours
    assert coverage(policy, []) == []


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_the_fixture_policies_have_no_errors(path):
    findings = lint_policy(load_policy_file(path), parse_document(path.read_bytes(), path.name))
    assert [f for f in findings if f.severity == "error"] == []


def test_what_lint_reports_on_the_fixture_policies():
    found = {}
    for path in POLICIES:
        doc = parse_document(path.read_bytes(), path.name)
        for f in lint_policy(load_policy_file(path), doc):
            found.setdefault(path.name, []).append((f.severity, f.path, f.check))
    assert found == {
        "ee-tartu-vota.yaml": [("warning", "elements.learning_type", "unused-declaration")],
        "nl-microcredentials-pilot.yaml": [
            ("warning", "elements.time_investment_hours", "unused-declaration")
        ],
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.policies())
def test_lint_never_fails_on_a_valid_generated_policy(doc):
    for f in lint_policy(load_policy(doc), doc):
        assert f.severity in ("error", "warning", "info") and f.path and f.message


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies_v2.policies())
def test_lint_never_fails_on_a_generated_policy_with_facts_and_requests(doc):
    try:
        policy = load_policy(doc)
    except Exception:  # noqa: BLE001 - the generator may produce what the loader refuses
        return
    for f in lint_policy(policy, doc):
        assert f.severity in ("error", "warning", "info") and f.path and f.message


# --- the command line ------------------------------------------------------------------------


def write(tmp_path: Path, edit, name: str = "p.yaml") -> Path:
    doc = base()
    edit(doc)
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_lint_prints_findings_and_exits_1_on_an_error(tmp_path):
    path = write(tmp_path, target(min_count=4), "p.json")
    result = CliRunner().invoke(cli, ["policy", "lint", str(path)])
    assert result.exit_code == 1, result.output
    assert "1 error(s)" in result.output
    assert "error: targets[0].min_count: 'Certificate' needs 4 credentials" in result.output
    as_json = CliRunner().invoke(cli, ["policy", "lint", str(path), "--json"])
    assert json.loads(as_json.output)[str(path)][0]["check"] == "count-above-capacity"


def test_check_runs_lint_and_an_error_fails_it(tmp_path):
    bad = write(tmp_path, target(min_count=4), "bad.json")
    good = write(tmp_path, lambda d: None, "good.json")
    result = CliRunner().invoke(cli, ["policy", "check", str(bad), str(good)])
    assert result.exit_code == 2
    assert "bad.json: refused by the static checks" in result.output
    assert "good.json: ok" in result.output
    warned = write(tmp_path, declared(False), "warned.json")
    result = CliRunner().invoke(cli, ["policy", "check", str(warned)])
    assert result.exit_code == 0 and "warning: elements.track" in result.output


def test_lint_reads_the_credentials_on_file_for_coverage(tmp_path):
    path = write(tmp_path, lambda d: d["recognition"][0]["checks"].update(quality=[QA]), "p.json")
    wallets = tmp_path / "wallets"
    wallets.mkdir()
    for n in range(6):
        cred = {"id": f"c{n}", "title": "T", "ects": 5, "eqf_level": 6}
        (wallets / f"w{n}.json").write_text(json.dumps({"credentials": [cred]}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["policy", "lint", str(path), "--credentials", str(wallets)])
    assert "quality_assurance (type of quality assurance) is known on 0 % of credentials on " \
           "file (0 of 6)" in result.output, result.output  # fmt: skip
    lines = tmp_path / "wallets.jsonl"
    lines.write_text('{"credentials": [{"id": "a", "title": "T", "quality_assurance": "none"}]}\n'
                     "not json\n", encoding="utf-8")  # fmt: skip
    bad = CliRunner().invoke(cli, ["policy", "lint", str(path), "--credentials", str(lines)])
    assert bad.exit_code == 2 and "line 2" in bad.output and "Traceback" not in bad.output
