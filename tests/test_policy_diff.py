"""`rules.diff` and `credstack policy diff`: real fixture edits in words, and the invariants."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from rules.diff import diff_policies
from rules.library import DirectoryLibrary
from rules.loader import load_policy, parse_document
from tests import strategies
from views.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
UNIVERSITY = ROOT / "fixtures" / "policies" / "university-admissions.yaml"
OU = ROOT / "fixtures" / "policies" / "uk-open-university-credit-transfer.yaml"


def document(path: Path = UNIVERSITY) -> dict:
    doc = parse_document(path.read_bytes(), path.name)
    doc.pop("examples", None)  # examples name rules; edits below may remove one
    return doc


def changes(edit, path: Path = UNIVERSITY) -> list:
    a = document(path)
    b = copy.deepcopy(a)
    edit(b)
    libs = DirectoryLibrary([path.parent])
    return diff_policies(load_policy(a, library=libs), load_policy(b, library=libs), a, b)


def threshold(b):
    b["targets"][0]["min_total_ects"] = 20


def rule_added(b):
    b["recognition"].append({"id": "open-elective", "title": "Open elective",
                             "checks": {"level": [{"element": "eqf_level", "op": "gte",
                                                   "value": 5}]}})  # fmt: skip


def tier_removed(b):
    b["recognition"][0]["outcomes"].pop(1)


def setting(b):
    b["settings"]["hours_per_ects"] = 30


def slot_condition(b):
    b["targets"][0]["slots"][0]["when"][1]["value"] = 6


# (edit, kind, what, id, path, words the message carries)
CASES = [
    (threshold, "changed", "target", "cert-data-foundations", "targets[0].min_total_ects",
     "min total ects changed from 15 to 20"),
    (rule_added, "added", "rule", "open-elective", "recognition[3]",
     "rule 'open-elective' added: title Open elective"),
    (tier_removed, "removed", "tier", "elective-credit / partial", "recognition[0].outcomes[1]",
     "tier 'elective-credit / partial' removed (was: requires level, quality, requirements"),
    (setting, "changed", "setting", "hours_per_ects", "settings.hours_per_ects",
     "setting 'hours_per_ects' changed from 25 to 30"),
    (slot_condition, "changed", "slot", "cert-data-foundations / computing",
     "targets[0].slots[0].when", "EQF level ≥ 5 and EQF level ≤ 6 to field of study (ISCED-F) "
     "starts with 061 and EQF level ≥ 6"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "kind", "what", "ident", "path", "words"), CASES)
def test_a_fixture_edit_is_one_change_in_words(edit, kind, what, ident, path, words):
    (change,) = changes(edit)
    assert (change.kind, change.what, change.id, change.path) == (kind, what, ident, path)
    assert words in change.message


def test_a_rule_added_is_one_line_not_one_per_check():
    def two(b):
        rule_added(b)
        b["recognition"][-1]["checks"]["workload"] = [{"element": "ects", "op": "gte", "value": 1}]

    assert [c.what for c in changes(two)] == ["rule"]


def test_a_table_row_changed_and_removed():
    def edit(b):
        rows = b["tables"]["intakes"]["rows"]
        rows[0][1] = dt.date(2023, 12, 14)  # feb-2024: a week later
        rows.pop()  # oct-2024

    found = changes(edit, OU)
    kinds = sorted((c.kind, c.what, c.id) for c in found)
    assert kinds == [("changed", "table row", "intakes / feb-2024"),
                     ("removed", "table row", "intakes / oct-2024")], found  # fmt: skip
    changed = next(c for c in found if c.kind == "changed")
    assert (changed.before, changed.after) == (
        "start feb-2024; final_date 2023-12-07",
        "start feb-2024; final_date 2023-12-14",
    )


def test_reordering_rules_and_slots_changes_nothing():
    def shuffle(b):
        b["recognition"].reverse()
        b["targets"][0]["slots"].reverse()

    assert changes(shuffle) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.policies(), strategies.policies())
def test_diff_with_itself_is_empty_and_the_reverse_swaps_added_and_removed(one, other):
    a, b = load_policy(one), load_policy(other)
    assert diff_policies(a, a) == []
    forward, backward = diff_policies(a, b), diff_policies(b, a)
    swap = {"added": "removed", "removed": "added", "changed": "changed"}
    assert sorted((swap[c.kind], c.what, c.id) for c in forward) == sorted(
        (c.kind, c.what, c.id) for c in backward
    )
    for c in forward:
        if c.kind == "changed":
            back = next(x for x in backward if (x.what, x.id, x.path) == (c.what, c.id, c.path))
            assert (back.before, back.after) == (c.after, c.before)


def test_the_command_prints_changes_and_json(tmp_path):
    b = document()
    threshold(b)
    a_path, b_path = tmp_path / "a.json", tmp_path / "b.json"
    a_path.write_text(json.dumps(document(), default=str), encoding="utf-8")
    b_path.write_text(json.dumps(b, default=str), encoding="utf-8")
    result = CliRunner().invoke(cli, ["policy", "diff", str(a_path), str(b_path)])
    assert result.exit_code == 0, result.output
    assert "1 change(s)" in result.output
    assert "changed  targets[0].min_total_ects: target 'cert-data-foundations'" in result.output
    as_json = CliRunner().invoke(cli, ["policy", "diff", str(a_path), str(b_path), "--json"])
    assert json.loads(as_json.output)[0]["after"] == "20"
    missing = CliRunner().invoke(cli, ["policy", "diff", str(a_path), str(tmp_path / "no.yaml")])
    assert missing.exit_code != 0 and "cannot read" in missing.output
    assert "Traceback" not in missing.output


def test_translations_added_and_changed_are_told():
    # The fixture translates its titles already; its description it does not.
    def add(b):
        b["translations"]["sv"][b["description"]] = "Antagning på avancerad nivå"

    def change(b):
        b["translations"]["sv"][b["description"]] = "Antagning till masterprogram"

    [added] = changes(add)
    assert (added.kind, added.what, added.path) == ("added", "translation", "translations.sv")
    a = document()
    add(a)
    b = copy.deepcopy(a)
    change(b)
    [edited] = diff_policies(load_policy(copy.deepcopy(a)), load_policy(copy.deepcopy(b)), a, b)
    assert edited.kind == "changed"
    assert "from Antagning på avancerad nivå to Antagning till masterprogram" in edited.message
