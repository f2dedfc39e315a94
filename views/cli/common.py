"""What the commands share: reading a policy with its library, the `--library` option, dates,
and turning the project's errors into a message and an exit status (`handled`)."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from engine.errors import EngineCompileError, EngineError, EvaluationInputError
from models.errors import IntakeError
from rules.errors import PolicyError
from rules.library import DirectoryLibrary
from rules.loader import load_policy, parse_document
from rules.policy import Policy

EXIT_INVALID, EXIT_ENGINE, EXIT_FAILED = 2, 3, 1


def handled(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the project's error trees into a message and an exit status."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (PolicyError, IntakeError, EvaluationInputError, EngineCompileError) as exc:
            click.echo(str(exc), err=True)
            sys.exit(EXIT_INVALID)
        except EngineError as exc:
            click.echo(f"engine error: {exc}", err=True)
            sys.exit(EXIT_ENGINE)

    return wrapper


def read_policy(path: str | Path, library: tuple[str, ...] = ()) -> tuple[dict[str, Any], Policy]:
    """The document as written and its validated form. Imported vocabulary files and table
    files are looked for beside the policy, then in the `library` folders."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read: {exc.strerror}") from None
    document = parse_document(raw, path.name)
    return document, load_policy(document, source=str(path), library=library_for(path, library))


def library_for(path: Path, library: tuple[str, ...]) -> DirectoryLibrary:
    beside = [path.parent / "vocabularies", path.parent.parent / "vocabularies"]
    tables = [path.parent / "tables", path.parent.parent / "tables"]
    return DirectoryLibrary([path.parent, *library, *beside, *tables])


LIBRARY = click.option(
    "--library",
    multiple=True,
    type=click.Path(file_okay=False),
    help="A folder of organisation vocabulary files and table files the policy imports "
    "(repeat for several). The policy's own folder is searched first, and folders named "
    "vocabularies/ and tables/ beside it or beside its folder last.",
)


def parse_date(_ctx: Any, _param: Any, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected an ISO date (YYYY-MM-DD); got {value!r}") from None
