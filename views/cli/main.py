"""The `credstack` command line: thin calls into rules, models and engine.

Every expected failure (a bad policy, a bad wallet, an engine fault) is printed as a message with
its path and ends with a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import click
from marshmallow import ValidationError

from engine.compile import compile_policy
from engine.errors import EngineCompileError
from engine.examples import compare
from engine.inputs import Wallet
from engine.service import ContainedEvaluator
from models.credentials.formats import import_document
from models.credentials.intake import (
    example_document,
    load_wallet_file,
    wallet_from_document,
)
from models.credentials.schema import applicant_from, request_from
from models.errors import IntakeError, Problem, problems_from
from rules.errors import PolicyError
from rules.library import expand
from rules.lint import errors, lint_policy
from rules.loader import parse_document
from rules.policy import Policy
from views.cli.batch import batch_command, population_runner
from views.cli.common import (
    EXIT_FAILED,
    EXIT_INVALID,
    LIBRARY,
    handled,
    library_for,
    parse_date,
    read_policy,
)
from views.cli.desk import desk_commands
from views.cli.impact import impact_command
from views.cli.imports import import_command
from views.cli.organisation import org as org_command
from views.cli.policy_tools import ACROSS, evaluate_across, finding_lines, policy_commands
from views.cli.serve import serve_command
from views.cli.staff import staff_commands
from views.cli.text_report import render

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def read_request(path: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """A request file: `{request: {...}, applicant: {...}}`, or the request itself. Returns the
    request, the applicant's facts and where they came from."""
    try:
        data = parse_document(Path(path).read_bytes(), Path(path).name)
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read: {exc.strerror}") from None
    except PolicyError as exc:
        raise IntakeError([Problem("", p.message) for p in exc.problems], path) from None
    if isinstance(data, dict) and ("request" in data or "applicant" in data):
        request, applicant = data.get("request"), data.get("applicant") or {}
    else:
        request, applicant = data, {}
    problems = []
    parsed = facts = sources = None
    try:
        parsed = request_from(request) if request is not None else None
    except ValidationError as exc:
        problems += problems_from(exc.messages, "request" if request is not data else "")
    try:
        facts, sources = applicant_from(applicant)
    except ValidationError as exc:
        problems += problems_from(exc.messages, "applicant")
    if problems:
        raise IntakeError(problems, path)
    return parsed, facts or {}, sources or {}


def imported_wallet(paths: tuple[str, ...]) -> Wallet:
    """The credentials of several imported documents as one wallet (ids made unique)."""
    credentials = []
    key = ""
    for n, name in enumerate(paths):
        try:
            raw = Path(name).read_bytes()
        except OSError as exc:
            raise click.ClickException(f"{name}: cannot read: {exc.strerror}") from None
        result = import_document(raw, Path(name).name)
        key = key or result.learner_key
        prefix = f"d{n + 1}." if len(paths) > 1 else ""
        credentials += [replace(c, id=prefix + c.id) for c in result.credentials]
    return Wallet(key, tuple(credentials))


def _request_date(wallet: Wallet) -> dt.date | None:
    return wallet.request.date if wallet.request is not None else None


@click.group(help="credstack: recognition and stacking decisions on micro-credentials.")
def cli() -> None:
    pass


@cli.group(help="Validate and test policy files.")
def policy() -> None:
    pass


@policy.command(
    "check",
    help="Validate policy files; list every problem with its path, then the static checks' "
    "findings (`policy lint`): an error among them fails the check too.",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@LIBRARY
def policy_check(files: tuple[str, ...], library: tuple[str, ...]) -> None:
    failed = False
    for name in files:
        try:
            document, p = read_policy(name, library)
            compile_policy(p)  # what the engine cannot run is refused here, not at evaluation
        except PolicyError as exc:
            click.echo(str(exc), err=True)
            failed = True
            continue
        except EngineCompileError as exc:
            click.echo(f"{name}: the engine cannot run this policy: {exc}", err=True)
            failed = True
            continue
        n = len(p.rule_ids())
        requests = f", {len(p.requests)} request kinds" if p.requests else ""
        findings = lint_policy(p, document)
        verdict = "refused by the static checks" if errors(findings) else "ok"
        failed = failed or verdict != "ok"
        click.echo(
            f"{name}: {verdict} — {p.id} v{p.version}, {n} rules/targets/criteria{requests}, "
            f"digest {p.digest[:12]}"
        )
        for line in finding_lines(findings):
            click.echo(line)
    if failed:
        sys.exit(EXIT_INVALID)


@policy.command("test", help="Run the examples attached to policy files against the engine.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@LIBRARY
@handled
def policy_test(files: tuple[str, ...], library: tuple[str, ...]) -> None:
    failures = 0
    with ContainedEvaluator() as evaluator:
        for name in files:
            _, p = read_policy(name, library)
            if not p.examples:
                click.echo(f"{name}: no examples")
            for example in p.examples:
                wallet = wallet_from_document(example_document(example))
                result = evaluator.evaluate(p, wallet, example.as_of)
                problems = compare(example, result)
                failures += bool(problems)
                click.echo(f"{'FAIL' if problems else 'pass'}  {p.id}: {example.name}")
                for line in problems:
                    click.echo(f"      {line}")
    if failures:
        click.echo(f"{failures} example(s) failed", err=True)
        sys.exit(EXIT_FAILED)


@policy.command(
    "expand",
    help="Print a policy as one self-contained JSON document, ready to publish on the desk: "
    "imported vocabulary files inlined (recorded with their digests) and table files read "
    "into rows. The policy is validated first.",
)
@click.argument("file", type=click.Path(dir_okay=False))
@LIBRARY
@handled
def policy_expand(file: str, library: tuple[str, ...]) -> None:
    document, _ = read_policy(file, library)
    expanded, _problems = expand(document, library_for(Path(file), library))  # read_policy checked
    click.echo(json.dumps(expanded, indent=2, ensure_ascii=False, default=_iso))


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


@cli.command(
    help="Evaluate a learner's wallet (JSON or CSV) against a policy; with --across DIR, say "
    "where else the credentials would count among the policies in DIR."
)
@click.argument("wallet_arg", metavar="[WALLET]", required=False, type=click.Path(dir_okay=False))
@click.option("--policy", "policy_file", type=click.Path(dir_okay=False))
@ACROSS
@click.option(
    "--wallet", "wallet_file", type=click.Path(dir_okay=False), help="A native wallet: JSON or CSV."
)
@click.option(
    "--document",
    "document_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Instead of --wallet: Europass EDC, Open Badges or CLR documents (repeat for "
    "several; their credentials form one wallet), imported and verified offline.",
)
@click.option(
    "--request",
    "request_file",
    type=click.Path(dir_okay=False),
    help="What the applicant asks for, as JSON or YAML: {request: {date, items: [{request, "
    "for, credential, choices}]}, applicant: {facts}} (or only the request).",
)
@click.option(
    "--as-of",
    callback=parse_date,
    help="Application date (default: the request's date, else today).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@LIBRARY
@click.option(
    "--matcher",
    type=click.Choice(["durable", "reference"]),
    default="durable",
    help="durable-rules (default) or the plain-Python reference evaluation.",
)
@handled
def evaluate(
    wallet_arg: str | None,
    policy_file: str | None,
    across: str | None,
    wallet_file: str | None,
    document_files: tuple[str, ...],
    request_file: str | None,
    as_of: dt.date | None,
    as_json: bool,
    library: tuple[str, ...],
    matcher: str,
) -> None:
    wallet_file = wallet_file or wallet_arg
    if not policy_file and not across:
        raise click.UsageError("give --policy FILE, or --across DIR")
    p = read_policy(policy_file, library)[1] if policy_file else None
    if bool(wallet_file) == bool(document_files):
        raise click.UsageError("give either --wallet or --document")
    wallets = load_wallet_file(wallet_file) if wallet_file else [imported_wallet(document_files)]
    if request_file:
        request, facts, sources = read_request(request_file)
        wallets = [
            replace(
                w,
                request=request or w.request,
                applicant=MappingProxyType({**w.applicant, **facts}),
                applicant_provenance=MappingProxyType({**w.applicant_provenance, **sources}),
            )
            for w in wallets
        ]
    if across:
        dates = [as_of or _request_date(w) or dt.date.today() for w in wallets]
        return evaluate_across(p, across, wallets, dates, library, as_json)
    with ContainedEvaluator() as evaluator:
        results = [
            evaluator.evaluate(p, w, as_of or _request_date(w) or dt.date.today(), matcher)
            for w in wallets
        ]
    if as_json:
        payload: Any = results[0] if len(results) == 1 else results
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True))
        return
    for wallet, result in zip(wallets, results, strict=True):
        click.echo(render(result, wallet.learner_key[:12]))


@cli.command(help="Evaluate the demo learners against the demo policies and explain.")
@click.option(
    "--fixtures",
    type=click.Path(file_okay=False),
    default=str(FIXTURES),
    help="Folder holding demo.yaml.",
)
@handled
def demo(fixtures: str) -> None:
    root = Path(fixtures)
    manifest = parse_document((root / "demo.yaml").read_bytes(), "demo.yaml")
    with ContainedEvaluator() as evaluator:
        for entry in manifest["demos"]:
            _, p = read_policy(root / entry["policy"])
            click.echo("=" * 78)
            click.echo(f"{p.title}  [{p.purpose}]")
            for learner in entry["learners"]:
                wallet = load_wallet_file(root / learner)[0]
                as_of = dt.date.fromisoformat(str(entry["as_of"]))
                result = evaluator.evaluate(p, wallet, as_of)
                click.echo("-" * 78)
                click.echo(f"{learner}")
                click.echo(render(result))


@cli.command(
    help="List the credential elements, operators, value types, frameworks, credit systems "
    "and grade schemes a policy may use."
)
@click.option("--markdown", is_flag=True, help="As Markdown tables (as in the README).")
def vocabulary(markdown: bool) -> None:
    from views.cli.vocabulary_doc import scales_text, vocabulary_text

    click.echo(vocabulary_text(markdown))
    if markdown:
        click.echo("\n" + scales_text())


@cli.command(help="Benchmark the engine against a hand-written loop and zen-engine, same run.")
@click.option("--quick", is_flag=True, help="A subset of the cells; under a minute.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option(
    "--profile", "with_profile", is_flag=True,
    help="Also say where the time goes at 200 rules × 50 (phases timed directly).",
)  # fmt: skip
@click.option(
    "--load", "under_load", is_flag=True,
    help="Only this: small evaluations alone and while three large ones run (p50/p99).",
)  # fmt: skip
@click.option(
    "--population", is_flag=True,
    help="Only this: --learners synthetic learners × 20 credentials through `credstack batch` "
    "on every core, beside the hand-written loop over the same learners.",
)  # fmt: skip
@click.option(
    "--learners", type=click.IntRange(1), default=100_000, show_default=True,
    help="How many learners --population evaluates.",
)  # fmt: skip
@click.option(
    "--api", "over_api", is_flag=True,
    help="Only this: POST /api/v1/evaluate (20 rules × 10 credentials) against gunicorn on "
    "loopback, one worker per core, at 1, 2, 4 and 8 concurrent clients.",
)  # fmt: skip
def bench(
    quick: bool, as_json: bool, with_profile: bool, under_load: bool, population: bool,
    learners: int, over_api: bool,
) -> None:  # fmt: skip
    from bench.costs import profile
    from bench.report import format_report
    from bench.run import run

    if over_api:
        import tempfile

        from bench.api_load import format_api, measure
        from views.cli.bench_api import prepare

        with tempfile.TemporaryDirectory(prefix="credstack-bench-api-") as folder:
            figures = measure(*prepare(Path(folder)))
        click.echo(json.dumps(figures, indent=2) if as_json else format_api(figures))
        return

    if population:
        from bench.population import format_population, measure_population
        from bench.synthetic import AS_OF

        def run_batch(policy: Policy, wallets: Iterable[Wallet], out: Path) -> dict[str, Any]:
            return population_runner(policy, wallets, out, AS_OF, detail="compact")

        log = None if as_json else (lambda line: click.echo(line, err=True))
        figures = measure_population(learners, run_batch, log)
        click.echo(json.dumps(figures, indent=2) if as_json else format_population(figures))
        return
    if under_load:
        from bench.load import format_load, run_load

        figures = run_load()
        click.echo(json.dumps(figures, indent=2) if as_json else format_load(figures))
        return
    progress = None if as_json else (lambda line: click.echo(line, err=True))
    result = run(quick=quick, progress=progress)
    if with_profile:
        result["profile"] = profile()
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(format_report(result))  # with the profile, once, when there is one


for _command in [*desk_commands, *staff_commands, import_command, serve_command, batch_command,
                 org_command]:  # fmt: skip
    cli.add_command(_command)
for _command in [*policy_commands, impact_command]:
    policy.add_command(_command)
