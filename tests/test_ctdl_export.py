"""CTDL export (`rules.ctdl`, `credstack policy export --ctdl`): the JSON-LD uses CTDL terms, and
importing it back gives the parts that map, for every fixture policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rules.ctdl import export_ctdl, import_ctdl, mapped
from rules.loader import load_policy_file
from views.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
POLICIES = sorted((ROOT / "fixtures" / "policies").glob("*.yaml"))
UNIVERSITY = ROOT / "fixtures" / "policies" / "university-admissions.yaml"
# CTDL terms this export writes (https://credreg.net/ctdl/terms); anything else is credstack's.
CTDL_TERMS = {
    "ConditionProfile", "ValueProfile", "CredentialAlignmentObject", "name", "description",
    "condition", "creditValue", "creditUnitType", "value", "minValue", "maxValue",
    "audienceLevelType", "alternativeCondition", "subjectWebpage", "dateEffective", "framework",
    "frameworkName", "targetNode", "targetNodeName", "codedNotation",
}  # fmt: skip


def terms(node, found=None):
    found = set() if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key == "@type":
                found.add(value)
            terms(value, found)
    elif isinstance(node, list):
        for item in node:
            terms(item, found)
    return found


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_the_export_round_trips_on_every_fixture(path):
    policy = load_policy_file(path)
    exported = json.loads(json.dumps(export_ctdl(policy)))
    assert import_ctdl(exported) == mapped(policy)
    assert len(exported["@graph"]) == len(policy.targets) + len(policy.recognition)
    used = {t.split(":", 1)[1] for t in terms(exported) if t.startswith("ceterms:")}
    assert used <= CTDL_TERMS, used - CTDL_TERMS


def test_a_target_maps_its_threshold_slots_and_levels():
    found = import_ctdl(export_ctdl(load_policy_file(UNIVERSITY)))
    cert = found["targets"]["cert-data-foundations"]
    assert cert["min_total_ects"] == "15"
    assert {k: (v["min"], v["max"]) for k, v in cert["slots"].items()} == {
        "computing": (1, 2), "statistics": (1, 2), "electives": (0, 2)}  # fmt: skip
    electives = cert["slots"]["electives"]["when"]
    assert electives["eqf_levels"] == [5, 6]
    assert electives["credits"] == [["creditUnit:ECTS", "minValue", "2"]]
    assert len(electives["alternatives"]) == 2  # field 06 or 054: an any-of
    assert found["targets"]["diploma-applied-ds"]["builds_on"] == ["cert-data-foundations"]
    rule = found["recognition"]["elective-credit"]["checks"]
    assert rule["level"]["eqf_levels"] == [6, 7, 8]
    assert rule["workload"]["credits"] == [["creditUnit:ECTS", "minValue", "5"]]


def test_a_changed_threshold_does_not_round_trip_to_the_old_policy():
    policy = load_policy_file(UNIVERSITY)
    exported = export_ctdl(policy)
    exported["@graph"][0]["ceterms:creditValue"][0]["ceterms:minValue"] = 20
    assert import_ctdl(exported) != mapped(policy)


def test_conditions_are_kept_in_words():
    graph = export_ctdl(load_policy_file(UNIVERSITY))["@graph"]
    slot = graph[0]["credstack:slot"][0]
    assert slot["ceterms:condition"]["en"] == [
        "field of study (ISCED-F) starts with 061", "EQF level ≥ 5", "EQF level ≤ 6"]  # fmt: skip


def test_the_command_writes_json_ld(tmp_path):
    out = tmp_path / "policy.jsonld"
    result = CliRunner().invoke(cli, ["policy", "export", "--ctdl", str(UNIVERSITY), "--out",
                                      str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["@context"]["ceterms"] == "https://purl.org/ctdl/terms/"
    printed = CliRunner().invoke(cli, ["policy", "export", "--ctdl", str(UNIVERSITY)])
    assert json.loads(printed.output) == data
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["policy", "export", "--ctdl", str(bad)])
    assert refused.exit_code == 2 and "required key is missing" in refused.output
