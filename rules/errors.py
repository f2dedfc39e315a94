"""Errors of the policy language: each problem names the path, what was expected, what was given."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a policy document."""

    path: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        hint = f" (did you mean '{self.suggestion}'?)" if self.suggestion else ""
        return f"{self.path or '<document>'}: {self.message}{hint}"


class RulesError(Exception):
    """Base of every error the policy language raises."""


class PolicyError(RulesError):
    """A policy document is not valid; carries every problem found, not only the first."""

    def __init__(self, problems: Iterable[Problem], source: str = "policy"):
        self.problems = tuple(sorted(problems, key=lambda p: (p.path, p.message)))
        self.source = source
        super().__init__(self.summary())

    def summary(self) -> str:
        lines = [f"{self.source}: {len(self.problems)} problem(s)"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


def suggest(word: object, choices: Iterable[str]) -> str | None:
    """The closest known name to a misspelt one, if any is close enough."""
    if not isinstance(word, str):
        return None
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return close[0] if close else None


def describe(value: object) -> str:
    """A short, safe rendering of what the author wrote, for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def flatten_messages(messages: Any, known: list[str], path: str = "") -> list[Problem]:
    """marshmallow's nested error dict → problems with dotted paths and suggestions."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            if key == "_schema":
                sub = path
            elif isinstance(key, int):
                sub = f"{path}[{key}]"
            elif key in ("key", "value") and path:
                sub = path if key == "value" else f"{path} (key)"
            else:
                sub = f"{path}.{key}" if path else str(key)
            out.extend(flatten_messages(value, known, sub))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out = []
        for m in messages:
            if m == "Unknown field.":
                name = path.rsplit(".", 1)[-1]
                out.append(Problem(path, "unknown key", suggest(name, known)))
            elif m == "Missing data for required field.":
                out.append(Problem(path, "required key is missing"))
            else:
                out.append(Problem(path, m))
        return out
    if isinstance(messages, list):
        return [p for m in messages for p in flatten_messages(m, known, path)]
    return [Problem(path, str(messages))]
