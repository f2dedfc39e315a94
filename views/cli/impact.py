"""`credstack policy impact DRAFT`: whom a policy change affects, and how, before it is published.

Every stored case of the policy (all, the open ones, or those received since a date) — or every
learner of a cohort file — is evaluated under the version in force (or `--against`) and under the
draft, through the batch path's worker processes, and the differences are counted by kind and
listed per case. Nothing is written to a case; one trail entry records that the report was run.
stderr shows progress (counts only); stdout the summary, the per-case table and the time. Exit
status: 0 done, 1 some cases could not be compared (listed), 2 bad input, 3 the engine failed,
4 the database could not be used.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from engine.compile import compile_policy
from engine.impact import KINDS, LABELS
from models.desk import admin as desk_admin
from models.desk import impact as desk_impact
from models.desk import impact_export
from models.desk.access import require, validated_policy
from models.population.impact import ImpactJob, compare_population
from models.population.sources import SourceError, open_source
from rules.policy import Policy
from views.cli.batch import Progress, learner_key_secret
from views.cli.common import EXIT_FAILED, EXIT_INVALID, LIBRARY, parse_date, read_policy
from views.cli.desk import db_option, handled, opened

SUFFIXES = (".csv", ".xlsx", ".json")


def _refuse(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(EXIT_INVALID)


@click.command(
    "impact",
    help="Whom a draft policy affects, and how: every stored case of the policy (or a cohort "
    "file of wallets) evaluated under the version in force and under DRAFT, the differences "
    "counted by kind (met → not met, unknown → met, disposition changed, credits changed, new "
    "evidence requests, …) and listed per case. Decided cases are never changed: it only tells.",
)
@click.argument("draft_file", metavar="DRAFT", type=click.Path(dir_okay=False))
@click.option(
    "--against",
    help="The published version to compare with: VERSION (of the draft's policy) or "
    "POLICY@VERSION; with --cohort also a policy file. Default: the version in force today.",
)
@click.option(
    "--cases", "selection", default="all", show_default=True,
    help="Which stored cases: all, open (not decided), or since:YYYY-MM-DD (received since).",
)  # fmt: skip
@click.option(
    "--cohort", type=click.Path(),
    help="Compare these learners instead of the stored cases: a folder of .json wallets, a "
    ".jsonl file or a .csv wallet sheet.",
)  # fmt: skip
@click.option("--as-of", callback=parse_date, help="Application date of a cohort (default: today).")
@click.option("--as", "email", help="E-mail address of the admin running the report.")
@db_option
@click.option("--out", type=click.Path(dir_okay=False), help="Also write the report: .csv, "
              ".xlsx or .json.")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 1024), help="Engine worker processes "
              "(default: one per core).")  # fmt: skip
@LIBRARY
@handled
def impact_command(
    draft_file: str, against: str | None, selection: str, cohort: str | None,
    as_of: dt.date | None, email: str | None, db_path: str, out: str | None,
    workers: int | None, library: tuple[str, ...],
) -> None:  # fmt: skip
    if out and Path(out).suffix.lower() not in SUFFIXES:
        _refuse(f"--out {out}: expected a .csv, .xlsx or .json file")
    try:
        _, draft = read_policy(draft_file, library)
    except click.ClickException as exc:
        _refuse(exc.format_message())
    compile_policy(draft)  # a draft the engine cannot run is refused before anything runs
    workers = workers or os.cpu_count() or 1
    if cohort:
        report = _cohort(draft, against, cohort, as_of, email, db_path, workers, library)
    else:
        report = _stored(draft, against, selection, email, db_path, workers, draft_file)
    click.echo(text_of(report))
    if out:
        _write(Path(out), report)
    if report["errors"]:
        sys.exit(EXIT_FAILED)


def _stored(
    draft: Policy, against: str | None, selection: str, email: str | None, db_path: str,
    workers: int, draft_file: str,
) -> dict[str, Any]:  # fmt: skip
    if not email:
        _refuse("--as: name the admin running the report (their organisation's cases are read)")
    with opened(db_path) as db:
        user = desk_admin.find_user(db, email)
        plan = desk_impact.plan_report(db, user, draft, against, selection)
        desk_impact.record_run(db, user, plan, f"file:{Path(draft_file).name}")
    progress = Progress(len(plan.cases), 0)
    try:
        outcome = desk_impact.run_plan(plan, learner_key_secret(), workers, progress.update)
    finally:
        progress.stop()
    title = (f"{draft.id} v{draft.version} against {plan.against.policy_id} "
             f"v{plan.against.version}, {plan.selection} cases")  # fmt: skip
    return {"title": title, **outcome.summary(), "per_second": outcome.per_second,
            "rows": list(outcome.rows), "errors": outcome.errors}  # fmt: skip


def _cohort(
    draft: Policy, against: str | None, cohort: str, as_of: dt.date | None, email: str | None,
    db_path: str, workers: int, library: tuple[str, ...],
) -> dict[str, Any]:  # fmt: skip
    if against and Path(against).suffix.lower() in (".yaml", ".yml", ".json"):
        if not Path(against).is_file():
            _refuse(f"--against {against}: no such policy file")
        current = read_policy(against, library)[1]
        name = f"{current.id} v{current.version}"
    else:
        if not email:
            _refuse("--as: name the admin whose published version is compared (or give "
                    "--against a policy file)")  # fmt: skip
        with opened(db_path) as db:
            user = desk_admin.find_user(db, email)
            require(user, "admin")
            version = desk_impact.against_version(db, user, draft.id, against)
            current = validated_policy(version)
        name = f"{version.policy_id} v{version.version}"
    try:
        source = open_source(Path(cohort))
        total = source.count()
    except SourceError as exc:
        _refuse(f"--cohort: {exc}")
    job = ImpactJob(current, draft, as_of or dt.date.today(), learner_key_secret())
    progress = Progress(total, 0)
    try:
        tally, totals = compare_population(source, job, workers, progress.update)
    finally:
        progress.stop()
    rows = sorted([*tally.changed, *tally.errors], key=lambda r: r["line"])
    seconds = totals.seconds
    return {
        "title": f"{draft.id} v{draft.version} against {name}, cohort {Path(cohort).name}",
        "compared": tally.compared, "changed": len(tally.changed), "unchanged": tally.unchanged,
        "errors": len(tally.errors), "by_kind": dict(tally.by_kind), "seconds": seconds,
        "per_second": totals.per_second, "rows": rows,
    }  # fmt: skip


def text_of(report: dict[str, Any]) -> str:
    """The summary by kind, the per-case table (what changed) and the time."""
    lines = [
        f"Impact of {report['title']}",
        f"{report['compared']:,} compared: {report['changed']:,} changed, "
        f"{report['unchanged']:,} unchanged, {report['errors']:,} could not be compared",
    ]
    by_kind = report["by_kind"]
    if by_kind:
        width = max(len(LABELS[k]) for k in by_kind)
        lines.append(f"  {'kind':<{width}}  cases")
        lines += [f"  {LABELS[k]:<{width}}  {by_kind[k]:>5,}" for k in KINDS if k in by_kind]
    for row in report["rows"]:
        head = f"case {row['reference']} (#{row['case_id']})" if "case_id" in row else (
            f"line {row['line']}")  # fmt: skip
        if row.get("error"):
            lines.append(f"{head}: could not be compared: {row['error']}")
            continue
        lines.append(f"{head}:")
        for c in row["changes"]:
            what = f"{c['title']} ({c['rule']})" if c.get("rule") else ""
            lines.append(f"    {LABELS[c['kind']]}: {what} {_words(c)}".rstrip())
    lines.append(f"time: {report['seconds']:.2f} s ({report['per_second']:.1f} cases/s)")
    return "\n".join(lines)


def _words(c: dict[str, Any]) -> str:
    if c["kind"] in ("new_evidence_request", "dropped_evidence_request"):
        return f"— {c['to'] or c['from']}"
    return (
        f"{c['from'] if c['from'] is not None else '—'} → {c['to'] if c['to'] is not None else '—'}"
    )


def _write(path: Path, report: dict[str, Any]) -> None:
    try:
        if path.suffix.lower() == ".json":
            path.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        elif path.suffix.lower() == ".csv":
            path.write_text(impact_export.to_csv(impact_export.lines(report["rows"])), "utf-8")
        else:
            table = impact_export.lines(report["rows"])
            path.write_bytes(impact_export.to_xlsx(table, report["by_kind"]))
    except OSError as exc:
        _refuse(f"{path}: cannot write: {exc.strerror}")
    click.echo(f"report written to {path}", err=True)
