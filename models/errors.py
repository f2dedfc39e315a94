"""Errors of credential intake: each problem names where, what was expected and what was given.

`Problem` is the policy language's own class (path, message, optional "did you mean"), so the web
pages and the CLI render policy and credential problems the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rules.errors import Problem, describe, suggest

__all__ = [
    "Conflict",
    "Forbidden",
    "Hint",
    "IntakeError",
    "InvalidDecision",
    "InvalidInput",
    "ModelError",
    "NotFound",
    "Problem",
    "describe",
    "expected",
    "problems_from",
    "suggest",
]


class IntakeError(Exception):
    """A credential file or document was rejected whole; `.problems` lists every problem found."""

    def __init__(self, problems: Iterable[Problem], source: str = "wallet"):
        # Kept in the order found (document order), not sorted: credentials[10] after [2].
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__(self.summary())

    def summary(self) -> str:
        lines = [f"{self.source}: {len(self.problems)} problem(s); nothing was imported"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class Hint(str):
    """An error message that also carries a "did you mean" suggestion.

    marshmallow keeps message objects as they are, so a `str` subclass is how a field passes a
    suggestion through `ValidationError.messages` to the flattening step.
    """

    suggestion: str | None = None


def expected(what: str, given: object, suggestion: str | None = None) -> Hint:
    """The one message shape of intake: 'expected …; got …'."""
    hint = Hint(f"expected {what}; got {describe(given)}")
    hint.suggestion = suggestion
    return hint


def problems_from(
    messages: Any, path: str, known: Iterable[str] = (), what: str = "a known key"
) -> list[Problem]:
    """marshmallow's nested messages → one `Problem` per message, with its path.

    `known` are the keys accepted at the top of what was loaded (`what` says so in words), for
    the "did you mean" of an unknown key.
    """
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            if key == "_schema":
                sub = path
            elif isinstance(key, int) and not isinstance(key, bool):  # a list index
                sub = f"{path}[{key}]"
            else:
                sub = f"{path}.{key}" if path else str(key)
            out.extend(problems_from(value, sub, known, what))
        return out
    if isinstance(messages, list):
        out = []
        for message in messages:
            if isinstance(message, (dict, list)):
                out.extend(problems_from(message, path, known, what))
            elif message == "Unknown field.":
                name = path.rsplit(".", 1)[-1]
                message = f"expected {what}; got the unknown key {name!r}"
                out.append(Problem(path, message, suggest(name, known)))
            else:
                out.append(Problem(path, str(message), getattr(message, "suggestion", None)))
        return out
    return [Problem(path, str(messages))]


class ModelError(Exception):
    """Base of the errors the desk and the store raise; `app.py` maps each to one HTTP status.
    `.message` is the text as raised: a `models.messages.N_` message stays one, so that pages
    can give it in their language while `str(exc)` stays English for the API and the CLI."""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class NotFound(ModelError):
    """No such object in the acting user's organisation (another organisation's ids look absent)."""


class Forbidden(ModelError):
    """The acting user's role (or their being the same officer, for four-eyes) does not allow it."""


class Conflict(ModelError):
    """The request clashes with what is stored: a republished version, a stale case state."""


class InvalidInput(ModelError):
    """Input was rejected whole; `.fields` maps each field path to a message; nothing was stored."""

    def __init__(self, fields: dict[str, str]):
        self.fields = dict(sorted(fields.items()))
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.fields.items()))


class InvalidDecision(InvalidInput):
    """A decision was rejected (e.g. a justification is missing); `.fields` says why, per field."""
