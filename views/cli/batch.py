"""`credstack batch`: evaluate a population of learners against one policy, on every core or on
a Dask cluster, to a .jsonl, .csv or .xlsx file in input order; run again, it continues.

stderr shows progress (learners, learners/s, time left) and never a learner's id or grades; the
summary (outcome statuses per rule) goes to stdout; the results only to the output file. Exit
status: 0 every learner evaluated, 1 some learners had errors (their lines say why), 2 a bad
policy, source, output or option, 3 the engine could not run.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

from engine.compile import compile_policy
from engine.inputs import Wallet, wallet_to_plain
from models.credentials.intake import DEVELOPMENT_LEARNER_KEY_SECRET
from models.population.dask_runner import DaskExecutor, DaskUnavailable
from models.population.outputs import STATUSES, OutputError, open_writer
from models.population.runner import CHUNK_SIZE, Executor, PoolExecutor, Totals, run
from models.population.sources import Item, SourceError, open_source
from models.population.work import Job
from rules.policy import Policy
from views.cli.common import EXIT_FAILED, EXIT_INVALID, LIBRARY, handled, parse_date, read_policy

EXIT_INTERRUPTED = 130


def learner_key_secret() -> bytes:
    """The key of the pseudonymous learner keys: the desk's (CREDSTACK_LEARNER_KEY_SECRET) when
    set, so that a batch's keys match the desk's."""
    secret = os.environ.get("CREDSTACK_LEARNER_KEY_SECRET")
    return secret.encode("utf-8") if secret else DEVELOPMENT_LEARNER_KEY_SECRET


@click.command(
    "batch",
    help="Evaluate a population of learners against a policy, on every core (or a Dask "
    "cluster), writing one result per learner in input order to a .jsonl, .csv or .xlsx file. "
    "The wallets are a folder of .json wallets, a .jsonl file (one wallet per line) or a CSV "
    "wallet sheet (each learner's rows together). Run again with the same --out, it skips the "
    "learners already written. A bad wallet gets an error line and the batch goes on (exit 1).",
)
@click.option("--policy", "policy_file", required=True, type=click.Path(dir_okay=False))
@click.option(
    "--wallets",
    required=True,
    type=click.Path(),
    help="A folder of .json wallets (in file-name order), a .jsonl file or a .csv sheet.",
)
@click.option("--as-of", callback=parse_date, help="Application date (default: today).")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Results: .jsonl (explained results), .csv or .xlsx (statuses per rule).",
)
@click.option(
    "--detail",
    type=click.Choice(["compact", "full"]),
    default="compact",
    show_default=True,
    help="compact: each result without the rows saying why a credential does not meet a "
    "recognition rule (a third of the size; `credstack evaluate` gives the full result of one "
    "learner); full: everything.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 1024),
    help="Engine worker processes (default: one per core); with --dask local, Dask workers.",
)
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS|local",
    help="Run on Dask: 'local' starts a cluster of one process per core; tcp://host:port "
    "uses a running scheduler (its workers need credstack installed).",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(1, 10_000),
    default=CHUNK_SIZE,
    show_default=True,
    help="Learners sent to a worker at a time.",
)
@LIBRARY
@handled
def batch_command(
    policy_file: str,
    wallets: str,
    as_of: dt.date | None,
    out: str,
    detail: str,
    workers: int | None,
    dask_address: str | None,
    chunk_size: int,
    library: tuple[str, ...],
) -> None:
    try:
        _, policy = read_policy(policy_file, library)
    except click.ClickException as exc:
        _refuse(exc.format_message())
    compile_policy(policy)  # a policy the engine cannot run is refused before anything is written
    job = Job(policy, as_of or dt.date.today(), learner_key_secret(), detail=detail)
    try:
        source = open_source(Path(wallets))
        total = source.count()
        writer = open_writer(Path(out), policy, job.as_of, detail)
    except (SourceError, OutputError) as exc:
        _refuse(str(exc))
    try:
        executor = _executor(job, workers, dask_address)
    except DaskUnavailable as exc:
        writer.abandon()
        _refuse(str(exc))
    progress = Progress(total, len(writer.done))
    try:
        totals = run(source, executor, writer, chunk_size, progress.update)
    except KeyboardInterrupt:
        progress.stop()
        click.echo(
            f"interrupted: the results written so far are kept in {out}; run the same command "
            "again to continue",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    except OutputError as exc:
        progress.stop()
        _refuse(str(exc))
    finally:
        executor.close()
        try:
            writer.close()
        except OutputError as exc:
            _refuse(str(exc))
    progress.stop()
    click.echo(summary(totals, policy, out))
    if totals.errors:
        click.echo(
            f"{totals.errors:,} learner(s) could not be evaluated; their lines in {out} say why",
            err=True,
        )
        sys.exit(EXIT_FAILED)


def _refuse(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(EXIT_INVALID)


def _executor(job: Job, workers: int | None, dask_address: str | None) -> Executor:
    if dask_address:
        return DaskExecutor(job, dask_address, workers or os.cpu_count() or 1)
    return PoolExecutor(job, workers or os.cpu_count() or 1)


def population_runner(
    policy: Policy, wallets: Iterable[Wallet], out: Path, as_of: dt.date,
    workers: int | None = None, detail: str = "full",
) -> dict[str, Any]:  # fmt: skip
    """A batch of wallets already made (the benchmark's synthetic learners) to `out`, on every
    core: the `run_batch` of `bench.population`."""
    job = Job(policy, as_of, learner_key_secret(), detail=detail)
    items = (Item(n, "wallet", wallet_to_plain(w), w.learner_key) for n, w in enumerate(wallets, 1))
    writer = open_writer(out, policy, as_of, detail)
    executor = PoolExecutor(job, workers or os.cpu_count() or 1)
    try:
        totals = run(items, executor, writer)
    finally:
        executor.close()
        writer.close()
    return {"learners": totals.learners, "errors": totals.errors, "workers": executor.workers}


def summary(totals: Totals, policy: Policy, out: str) -> str:
    """The counts of a run: learners, errors, speed, and each rule's statuses (no learner)."""
    lines = [
        f"{totals.evaluated:,} learner(s) evaluated, {totals.errors:,} with errors, "
        f"{totals.skipped:,} already in {out}; {totals.seconds:.1f} s, "
        f"{totals.per_second:.1f} learners/s"
    ]
    rules = sorted(policy.rule_ids())
    if rules and totals.evaluated:
        width = max(len("rule"), *(len(r) for r in rules))
        lines.append(f"{'rule':<{width}}" + "".join(f"  {s:>14}" for s in STATUSES))
        for rule in rules:
            counts = "".join(f"  {totals.statuses[rule, s]:>14,}" for s in STATUSES)
            lines.append(f"{rule:<{width}}{counts}")
    return "\n".join(lines)


class Progress:
    """Learners done, learners/s and the time left, on stderr: a bar on a terminal, else a line
    every few seconds. Counts only: never a learner."""

    def __init__(self, total: int | None, done_before: int, every: float = 5.0):
        self.total, self.before, self.every = total, done_before, every
        self.last = 0.0
        self.bar: Any = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as Bar

            self.bar = Bar(
                TextColumn("learners"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.task = self.bar.add_task("batch", total=total, completed=done_before, rate="")
            self.bar.start()

    def update(self, totals: Totals) -> None:
        done = self.before + totals.learners
        rate = f"{totals.per_second:,.1f}/s"
        if self.bar is not None:
            self.bar.update(self.task, completed=done, rate=rate)
            return
        now = time.monotonic()
        if now - self.last < self.every and done != self.total:
            return
        self.last = now
        of = f" of {self.total:,}" if self.total else ""
        left = ""
        if self.total and totals.per_second > 0:
            left = f", about {_duration((self.total - done) / totals.per_second)} left"
        click.echo(f"batch: {done:,}{of} learners, {rate}{left}", err=True)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
