"""`credstack batch`: a population evaluated on every core gives, line for line and byte for byte,
what one evaluation gives; spreadsheets carry the statuses; an interrupted batch continues to
the same file an uninterrupted one writes; bad wallets cost only their own line; a bad policy
writes nothing; no learner's id reaches stderr."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bench.synthetic import credential_values, policy_document, wallet
from engine.batch import canonical
from engine.evaluate import evaluate
from models.credentials.intake import (
    DEVELOPMENT_LEARNER_KEY_SECRET,
    load_wallet_file,
    wallet_from_document,
)
from models.population.outputs import LineSet, columns, open_writer
from models.population.runner import PoolExecutor, run
from models.population.sources import open_source
from models.population.work import Job
from rules.loader import load_policy, parse_document
from views.cli.batch import population_runner
from views.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
POLICY = FIXTURES / "policies" / "university-admissions.yaml"
LEARNERS = sorted((FIXTURES / "learners").glob("*.json"))
AS_OF = dt.date(2026, 9, 1)


def _policy(path: Path = POLICY) -> Any:
    return load_policy(parse_document(path.read_bytes(), path.name), source=str(path))


def _synthetic_document(seed: int, n: int = 6) -> dict[str, Any]:
    """A wallet document (as a learner's file would hold it) of plausible synthetic credentials."""
    rng = random.Random(f"batch-test:{seed}")
    credentials = []
    for k in range(n):
        values = credential_values(rng, AS_OF)
        doc: dict[str, Any] = {"id": f"s{k}"}
        for name, value in values.items():
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            doc[name] = value
        credentials.append(doc)
    return {"learner": {"id": f"synthetic-person-{seed}"}, "credentials": credentials}


def _documents() -> list[dict[str, Any]]:
    fixtures = [json.loads(p.read_text(encoding="utf-8")) for p in LEARNERS[:6]]
    return fixtures + [_synthetic_document(s) for s in range(4)]


def _jsonl(path: Path, documents: list[Any]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    return path


def batch(*args: str, out: Path, wallets: Path, policy: Path = POLICY) -> Any:
    command = ["batch", "--policy", str(policy), "--wallets", str(wallets), "--out", str(out),
               "--as-of", AS_OF.isoformat(), "--workers", "2", *args]  # fmt: skip
    return CliRunner().invoke(cli, command, catch_exceptions=False)


def _result_text(line: str) -> str:
    """The result part of an output line, as written (not re-serialised)."""
    return line[line.index(',"result":') + len(',"result":') : -1]


def test_a_batch_gives_byte_for_byte_what_single_evaluations_give(tmp_path):
    policy = _policy()
    documents = _documents()
    out = tmp_path / "results.jsonl"
    result = batch(out=out, wallets=_jsonl(tmp_path / "wallets.jsonl", documents))
    assert result.exit_code == 0, result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(documents)
    for number, (line, document) in enumerate(zip(lines, documents, strict=True), start=1):
        learner = wallet_from_document(document)
        expected = canonical(evaluate(policy, learner, AS_OF, detail="compact"))  # the default
        assert _result_text(line) == expected
        assert json.loads(line)["line"] == number
        assert json.loads(line)["learner"] == document["learner"]["id"]
    # A folder of wallet files gives the same results as the same wallets on lines; full
    # results on asking.
    folder = tmp_path / "folder.jsonl"
    assert batch("--detail", "full", out=folder, wallets=FIXTURES / "learners").exit_code == 0
    for path, line in zip(LEARNERS, folder.read_text(encoding="utf-8").splitlines(), strict=True):
        expected = canonical(evaluate(policy, load_wallet_file(path)[0], AS_OF))
        assert _result_text(line) == expected, path.name
    # Results of one detail are not continued with the other.
    mixed = batch("--detail", "compact", out=folder, wallets=FIXTURES / "learners")
    assert mixed.exit_code == 2 and "holds full results" in mixed.stderr


def test_the_benchmark_path_matches_single_evaluations_too(tmp_path):
    policy = load_policy(policy_document(50, seed=0))
    wallets = [wallet(20, seed=s) for s in range(4)]
    out = tmp_path / "population.jsonl"
    figures = population_runner(policy, iter(wallets), out, AS_OF, workers=2)
    assert figures["learners"] == 4 and figures["errors"] == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    for w, line in zip(wallets, lines, strict=True):
        assert _result_text(line) == canonical(evaluate(policy, w, AS_OF))
        assert json.loads(line)["learner"] == w.learner_key


def test_csv_and_xlsx_have_a_column_per_rule_with_its_status_and_level(tmp_path):
    policy = _policy()
    results = [evaluate(policy, load_wallet_file(p)[0], AS_OF) for p in LEARNERS]
    header = columns(policy)
    assert header[:7] == ["line", "learner", "error", "met", "not_met", "unknown",
                          "not_applicable"]  # fmt: skip
    assert "elective-credit" in header and "elective-credit:level" in header
    assert "cert-data-foundations" in header and "cert-data-foundations:level" not in header

    assert batch(out=tmp_path / "r.csv", wallets=FIXTURES / "learners").exit_code == 0
    with open(tmp_path / "r.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert batch(out=tmp_path / "r.xlsx", wallets=FIXTURES / "learners").exit_code == 0
    book = load_workbook(tmp_path / "r.xlsx", read_only=True)
    sheet_rows = [list(r) for r in book["results"].iter_rows(values_only=True)]
    book.close()
    assert rows[0] == header and sheet_rows[0] == header
    assert len(rows) == len(sheet_rows) == len(LEARNERS) + 1
    rows_and_results = zip(rows[1:], sheet_rows[1:], results, strict=True)
    for n, (row, cells, result) in enumerate(rows_and_results, start=1):
        by_column = dict(zip(header, row, strict=True))
        assert by_column["line"] == str(n) and cells[0] == n
        assert by_column["error"] == "" and cells[2] is None
        for status in ("met", "not_met", "unknown", "not_applicable"):
            assert by_column[status] == str(result["summary"][status])
        for outcome in result["outcomes"]:
            assert by_column[outcome["rule"]] == outcome["status"]
            level = (outcome.get("outcome") or {}).get("level")
            if f"{outcome['rule']}:level" in header:
                assert by_column[f"{outcome['rule']}:level"] == (level or "")
        cells += [None] * (len(header) - len(cells))  # a workbook row ends at its last value
        assert [str(c) if c is not None else "" for c in cells] == row


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_an_interrupted_batch_continues_to_what_an_uninterrupted_one_writes(tmp_path, suffix):
    wallets = _jsonl(tmp_path / "wallets.jsonl", _documents())
    whole = tmp_path / f"whole{suffix}"
    assert batch(out=whole, wallets=wallets).exit_code == 0
    expected = whole.read_bytes()
    lines = expected.split(b"\n")
    # Four whole lines, and half of the fifth: what a run stopped mid-write leaves.
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(b"\n".join(lines[:4]) + b"\n" + lines[4][: len(lines[4]) // 2])
    result = batch(out=cut, wallets=wallets)
    assert result.exit_code == 0, result.stderr
    already = 3 if suffix == ".csv" else 4  # the CSV's first line is its header
    assert f"already in {cut}" in result.stdout and f" {already} already" in result.stdout
    assert cut.read_bytes() == expected
    # Run again: nothing to do, nothing changes.
    again = batch(out=cut, wallets=wallets)
    assert again.exit_code == 0 and cut.read_bytes() == expected
    assert "0 learner(s) evaluated" in again.stdout


def test_a_workbook_continues_from_the_rows_it_holds(tmp_path):
    first = tmp_path / "first"
    first.mkdir()
    for path in LEARNERS[:5]:
        (first / path.name).write_bytes(path.read_bytes())
    out, whole = tmp_path / "r.xlsx", tmp_path / "whole.xlsx"
    assert batch(out=out, wallets=first).exit_code == 0
    result = batch(out=out, wallets=FIXTURES / "learners")
    assert result.exit_code == 0 and " 5 already" in result.stdout
    assert batch(out=whole, wallets=FIXTURES / "learners").exit_code == 0

    def rows(path: Path) -> list[tuple]:
        book = load_workbook(path, read_only=True)
        found = list(book["results"].iter_rows(values_only=True))
        book.close()
        return found

    assert rows(out) == rows(whole)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    refused = batch(out=broken, wallets=FIXTURES / "learners")
    assert refused.exit_code == 2 and "broken.xlsx" in refused.stderr
    assert broken.read_bytes() == b"PK\x03\x04 not a workbook"


def test_bad_wallets_get_their_own_error_line_and_the_batch_goes_on(tmp_path):
    good = json.loads(LEARNERS[0].read_text(encoding="utf-8"))
    negative = json.loads(LEARNERS[1].read_text(encoding="utf-8"))
    negative["credentials"][0]["ects"] = -5
    wallets = tmp_path / "wallets.jsonl"
    wallets.write_text(
        json.dumps(good) + "\n{not json\n\n" + json.dumps(negative) + "\n" + json.dumps(good),
        encoding="utf-8",
    )
    out = tmp_path / "r.jsonl"
    result = batch(out=out, wallets=wallets)
    assert result.exit_code == 1
    assert "2 learner(s) could not be evaluated" in result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["line"] for line in lines] == [1, 2, 4, 5]  # the blank line 3 is no learner
    assert "result" in lines[0] and "result" in lines[3]
    assert lines[1]["error"].startswith("<document>: expected valid JSON; got an error at line 1")
    assert lines[2]["error"].startswith("credentials[0].ects: ")
    assert "-5" in lines[2]["error"] and lines[2]["learner"] == negative["learner"]["id"]


def _sheet(path: Path, rows: list[str]) -> Path:
    header = "learner_id,credential_id,title,ects,eqf_level,issued_on,assessment_type"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_sheet_is_read_a_learner_at_a_time_and_a_learner_in_two_places_is_an_error(tmp_path):
    sheet = _sheet(
        tmp_path / "sheet.csv",
        [
            "ann,c1,Python,7.5,6,2025-01-10,written_exam",
            "ann,c2,Statistics,5,6,2025-02-10,project",
            "bob,c1,Databases,5,6,2025-03-10,written_exam",
            "ann,c3,Machine learning,5,7,2025-04-10,project",
            "cem,c1,Ethics,-1,6,2025-05-10,written_exam",
            "dan,c1,Networks,5,6,2025-06-10,written_exam",
        ],
    )
    source = open_source(sheet)
    assert source.count() == 5
    assert [(item.line, item.kind, item.learner) for item in source] == [
        (2, "rows", "ann"), (4, "rows", "bob"), (5, "error", "ann"), (6, "rows", "cem"),
        (7, "rows", "dan"),
    ]  # fmt: skip
    out = tmp_path / "r.jsonl"
    result = batch(out=out, wallets=sheet)
    assert result.exit_code == 1
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(line["line"], line["learner"], "result" in line) for line in lines] == [
        (2, "ann", True), (4, "bob", True), (5, "ann", False), (6, "cem", False),
        (7, "dan", True),
    ]  # fmt: skip
    assert lines[2]["error"].startswith("row 5: expected all the rows of a learner together")
    assert lines[3]["error"].startswith("row 6 (credential c1): ects: ")
    # The sheet's rows give the wallets the whole-file intake gives (provenance included).
    whole = {w.learner_key: w for w in load_wallet_file(_sheet(tmp_path / "b.csv", [
        "bob,c1,Databases,5,6,2025-03-10,written_exam"]))}  # fmt: skip
    (bob,) = whole.values()
    policy = _policy()
    assert _result_text(out.read_text(encoding="utf-8").splitlines()[1]) != ""
    assert lines[1]["result"]["fingerprint"] == evaluate(policy, bob, AS_OF)["fingerprint"]


def test_a_bad_policy_exits_2_with_its_path_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad-policy.yaml"
    bad.write_text("id: x\ntitle: X\npurpose: nonsense\n", encoding="utf-8")
    out = tmp_path / "r.jsonl"
    result = batch(out=out, wallets=FIXTURES / "learners", policy=bad)
    assert result.exit_code == 2
    assert "bad-policy.yaml" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
    existing = tmp_path / "kept.jsonl"
    existing.write_bytes(b"kept as it was\n")
    missing = batch(out=existing, wallets=FIXTURES / "learners", policy=tmp_path / "none.yaml")
    assert missing.exit_code == 2 and "none.yaml" in missing.stderr
    assert existing.read_bytes() == b"kept as it was\n"
    # An output of another batch is refused, not mixed into.
    assert batch(out=existing, wallets=FIXTURES / "learners").exit_code == 2
    assert existing.read_bytes() == b"kept as it was\n"
    # So is an unknown kind of source or output.
    assert batch(out=tmp_path / "r.txt", wallets=FIXTURES / "learners").exit_code == 2
    assert batch(out=out, wallets=tmp_path / "wallets.txt").exit_code == 2


def test_no_learner_id_or_name_reaches_stderr_or_the_summary(tmp_path):
    documents = _documents()
    documents.append({"learner": {"id": "broken-person-77"}, "credentials": [{"id": 5}]})
    result = batch(out=tmp_path / "r.jsonl", wallets=_jsonl(tmp_path / "w.jsonl", documents))
    assert result.exit_code == 1
    personal = [d["learner"]["id"] for d in documents]
    personal += [d["learner"]["name"] for d in documents if "name" in d["learner"]]
    assert personal and "broken-person-77" in (tmp_path / "r.jsonl").read_text(encoding="utf-8")
    for value in personal:
        assert value not in result.stderr and value not in result.stdout


def test_a_learner_that_crashes_its_worker_costs_only_its_own_line(tmp_path):
    policy = _policy()
    documents = _documents()[:6]
    crashing = json.loads(json.dumps(documents[2]))
    crashing["credentials"][0]["id"] = "crash"
    documents[2] = crashing
    wallets = _jsonl(tmp_path / "wallets.jsonl", documents)
    out = tmp_path / "r.jsonl"
    job = Job(policy, AS_OF, DEVELOPMENT_LEARNER_KEY_SECRET)
    target = "tests.worker_targets:evaluate_items_or_crash"
    executor = PoolExecutor(job, workers=2, target=target)
    writer = open_writer(out, policy, AS_OF)
    try:
        totals = run(open_source(wallets), executor, writer, chunk_size=4)
    finally:
        executor.close()
        writer.close()
    assert (totals.evaluated, totals.errors) == (5, 1)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["line"] for line in lines] == [1, 2, 3, 4, 5, 6]
    crashed = json.loads(lines[2])
    assert crashed["learner"] == crashing["learner"]["id"]
    assert crashed["error"].startswith("<engine>: engine worker died")
    assert "SIGSEGV" in crashed["error"]
    for line, document in zip(lines, documents, strict=True):
        if document is not crashing:
            expected = canonical(evaluate(policy, wallet_from_document(document), AS_OF))
            assert _result_text(line) == expected


def test_line_sets_hold_ranges():
    lines = LineSet()
    for n in [*range(1, 1001), 1005, 1003, 1004, 1002, 1003]:
        lines.add(n)
    assert len(lines) == 1004 and lines.starts == [1, 1002] and lines.ends == [1000, 1005]
    assert 1001 not in lines and 1004 in lines
    lines.add(1001)
    assert len(lines) == 1005 and lines.starts == [1] and lines.ends == [1005]
    assert 0 not in lines and 1006 not in lines and 500 in lines


def test_the_population_benchmark_prints_its_figures():
    result = CliRunner().invoke(cli, ["bench", "--population", "--learners", "12"])
    assert result.exit_code == 0, result.output
    figures = [
        "12 learners × 20 credentials",
        "learners/s",
        "peak RSS growth",
        "hand-written loop",
        "batch / loop",
        "100,000 learners ≤ 60 s on 2 cores",
    ]
    for figure in figures:
        assert figure in result.stdout, figure
    assert "PASS" in result.stdout or "MISS" in result.stdout
