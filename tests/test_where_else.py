"""Where else would it count (`engine.where_else`, `credstack evaluate --across DIR`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from engine.evaluate import evaluate
from engine.where_else import left_over, nearly, where_else
from models.credentials.intake import load_wallet_file
from rules.loader import load_policy_file
from views.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "fixtures" / "policies"
LEARNERS = ROOT / "fixtures" / "learners"
AS_OF = dt.date(2026, 9, 1)
UNIVERSITY = load_policy_file(POLICIES / "university-admissions.yaml")
EMPLOYER = load_policy_file(POLICIES / "employer-upskilling.yaml")
ENIC = load_policy_file(POLICIES / "enic-recognition.yaml")


def wallet(name: str):
    return load_wallet_file(LEARNERS / f"{name}.json")[0]


def test_a_target_of_a_second_policy_is_found_for_credentials_the_first_leaves_unused():
    amira = wallet("amira-haddad")
    home = evaluate(EMPLOYER, amira, AS_OF)  # the cloud tracks use none of her credentials
    free = left_over(home)
    assert free == ["a1", "a2", "a3", "a4", "a5"]
    (entry,) = where_else(amira, free, [UNIVERSITY], AS_OF)
    assert entry["policy"]["id"] == UNIVERSITY.id
    met = {o["rule"]: o for o in entry["met"]}
    assert met["cert-data-foundations"]["kind"] == "stacking"
    assert met["cert-data-foundations"]["credentials"] == ["a1", "a2", "a3"]


def test_a_nearly_met_target_says_what_is_missing_in_the_results_own_words():
    chiara = wallet("chiara-russo")
    free = left_over(evaluate(ENIC, chiara, AS_OF))
    assert free == ["c2", "c3"]
    (entry,) = where_else(chiara, free, [UNIVERSITY], AS_OF)
    near = {o["rule"]: o for o in entry["nearly"]}
    cert = near["cert-data-foundations"]
    assert cert["why"] == "one more credential"
    full = evaluate(UNIVERSITY, chiara, AS_OF)  # the same words the evaluation gives
    assert cert["missing"][0].startswith("1 more credential(s) for 'Statistics")
    assert entry["met"] == [] and "c1" not in entry["credentials"]
    assert any(o["rule"] == "cert-data-foundations" for o in full["outcomes"])


def test_only_the_credentials_considered_count():
    amira = wallet("amira-haddad")
    (entry,) = where_else(amira, ["a5"], [UNIVERSITY], AS_OF)
    assert all("a1" not in o["credentials"] for o in entry["met"] + entry["nearly"])
    (empty,) = where_else(amira, [], [UNIVERSITY], AS_OF)
    assert empty["met"] == empty["nearly"] == []


def outcome(kind: str, status: str, missing: list[str]) -> dict:
    return {"kind": kind, "status": status, "missing": missing, "evidence_requests": []}


NEARLY = [
    (outcome("stacking", "not_met", ["1 more credential(s) for 'Core': x"]), 2,
     "one more credential"),
    (outcome("stacking", "not_met", ["1 more credential(s) for 'Core': x"]), 1, None),
    (outcome("stacking", "not_met", ["2 more credential(s) for 'Core': x"]), 3, None),
    (outcome("stacking", "not_met", ["3 more ECTS (has 12, needs 15)"]), 3,
     "short by 20% of a threshold"),
    (outcome("stacking", "not_met", ["3.33… more ECTS (has 11.67…, needs 15)"]), 3,
     "short by 22% of a threshold"),
    (outcome("stacking", "not_met", ["5 more ECTS (has 10, needs 15)"]), 3, None),
    (outcome("stacking", "not_met", ["UK credits: 10 more (UK credit: has 50, needs 60)"]), 3,
     "short by 17% of a threshold"),
    (outcome("stacking", "not_met", ["first meet 'cert'"]), 3, None),
    (outcome("stacking", "not_met", ["3 more ECTS (has 12, needs 15)",
                                     "1 more credential(s) (needs 3)"]), 3, None),
    (outcome("recognition", "not_met", ["For full recognition (level): ..."]), 1,
     "one condition is not met"),
    (outcome("recognition", "not_met", ["a", "b"]), 1, None),
    (outcome("recognition", "unknown", []), 1, "could be met with more information"),
    (outcome("recognition", "met", []), 1, None),
]  # fmt: skip


def test_what_counts_as_nearly_met():
    for o, needs, expected in NEARLY:
        assert nearly(o, needs) == expected, (o, needs)


def test_refused_requests_free_every_credential_not_set_aside():
    result = {
        "dispositions": [{"favourable": False, "disposition": "refused"}],
        "credentials": [{"credential": "x"}, {"credential": "y"}],
        "set_aside": [{"credential": "y"}],
        "unused": [],
    }
    assert left_over(result) == ["x"]
    result["dispositions"][0]["disposition"] = "pending_evidence"
    assert left_over(result) == []


def test_the_command_line_across_a_folder(tmp_path):
    home = str(POLICIES / "employer-upskilling.yaml")
    args = ["evaluate", "--across", str(POLICIES), "--policy", home,
            str(LEARNERS / "amira-haddad.json"), "--as-of", "2026-09-01"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "credentials left by nordlys-cloud-tracks: a1, a2, a3, a4, a5" in result.output
    assert "met     stacking    cert-data-foundations" in result.output
    as_json = json.loads(CliRunner().invoke(cli, [*args, "--json"]).output)
    ids = [e["policy"]["id"] for e in as_json["policies"]]
    assert "nordlys-cloud-tracks" not in ids and UNIVERSITY.id in ids
    amira = str(LEARNERS / "amira-haddad.json")
    empty = CliRunner().invoke(cli, ["evaluate", "--across", str(tmp_path), amira])
    assert empty.exit_code != 0 and "no policy files" in empty.output
    bad = CliRunner().invoke(cli, ["evaluate", "--across", str(LEARNERS), amira])
    assert bad.exit_code == 2 and "amira-haddad.json: 8 problem(s)" in bad.output
    assert "Traceback" not in bad.output
    neither = CliRunner().invoke(cli, ["evaluate", str(LEARNERS / "amira-haddad.json")])
    assert neither.exit_code == 2 and "--policy FILE, or --across DIR" in neither.output
