"""`policy check` of a draft's text, with the line each problem points at.

Problems come from three places: the text cannot be read (YAML syntax: the parser's own line),
the document is not a valid policy (`rules.errors.Problem`, a path such as
`recognition[0].checks.level`), and the static checks (`rules.lint.Finding`, same kind of path,
with a severity). A path is mapped to a line by walking the YAML node tree PyYAML composes from
the text, whose nodes carry their start marks: the line of the key a path ends at (or of the
list item), else of the deepest part of the path that exists in the text. Nothing here changes
the text or the policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from engine.compile import compile_policy
from engine.errors import EngineCompileError
from rules.errors import PolicyError
from rules.lint import Finding, coverage, lint_policy
from rules.loader import load_policy, parse_document
from rules.policy import Policy

_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
_KEY_SUFFIX = " (key)"
_NAMES = ("id", "key", "name", "code")  # how list items are named in a path (rows.by_key)


@dataclass(frozen=True)
class CheckProblem:
    """One problem beside the text: where (path and 1-based line, None for the whole
    document), how serious, what it says, and which check found it (`schema` for validation)."""

    severity: str  # error | warning | info
    path: str
    message: str
    line: int | None
    check: str = "schema"
    suggestion: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
            "line": self.line,
            "check": self.check,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True)
class DraftCheck:
    problems: tuple[CheckProblem, ...]
    policy: Policy | None  # None while the text is not a valid policy
    document: Mapping[str, Any] | None

    @property
    def errors(self) -> tuple[CheckProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def findings(self) -> tuple[CheckProblem, ...]:
        return tuple(p for p in self.problems if p.check != "schema")


def compose(text: str) -> yaml.Node | None:
    """The node tree of the text, or None when it cannot be read."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None


def line_of(root: yaml.Node | None, path: str) -> int | None:
    """The 1-based line a problem path points at in the composed text (see the module doc)."""
    if root is None:
        return None
    tokens = [(m.group(1), m.group(2)) for m in _TOKEN.finditer(path.removesuffix(_KEY_SUFFIX))]
    node, line = root, None
    for index, name in tokens:
        found = _step(node, int(index) if index is not None else None, name)
        if found is None:
            break
        key, node = found
        line = (key or node).start_mark.line + 1
    return line


def _step(node: yaml.Node, index: int | None, name: str | None) -> tuple[Any, Any] | None:
    """(key node or None, value node) one path part down from `node`."""
    if isinstance(node, yaml.MappingNode):
        if index is not None:  # a list in the path written as a mapping (slots by id)
            return (node.value[index][0], node.value[index][1]) if index < len(node.value) else None
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == name:
                return key, value
        return None
    if isinstance(node, yaml.SequenceNode):
        if index is not None:
            return (None, node.value[index]) if index < len(node.value) else None
        for item in node.value:
            if isinstance(item, yaml.MappingNode) and any(
                isinstance(k, yaml.ScalarNode) and k.value in _NAMES and getattr(v, "value", None)
                == name for k, v in item.value
            ):  # fmt: skip
                return None, item
    return None


def check_text(
    text: str,
    credentials: Iterable[Mapping[str, Any]] | None = None,
    applicants: Iterable[Mapping[str, Any]] | None = None,
) -> DraftCheck:
    """Every problem of the text as `policy check` reports it, with lines; with the credentials
    (and applicant facts) on file, the coverage check too."""
    root = compose(text)
    try:
        document = parse_document(text.encode("utf-8"), "draft.yaml")
    except PolicyError as exc:
        return DraftCheck(_unreadable(text, root, exc), None, None)
    if not isinstance(document, dict):
        problem = CheckProblem("error", "", "expected a policy: a mapping of id, title, …", 1)
        return DraftCheck((problem,), None, None)
    try:
        policy = load_policy(document, source="draft")
        compile_policy(policy)
    except PolicyError as exc:
        found = tuple(
            CheckProblem("error", p.path, p.message, line_of(root, p.path), "schema", p.suggestion)
            for p in exc.problems
        )
        return DraftCheck(found, None, document)
    except EngineCompileError as exc:
        message = f"the engine cannot run this policy: {exc}"
        return DraftCheck((CheckProblem("error", "", message, None, "engine"),), None, document)
    findings = lint_policy(policy, document)
    if credentials is not None:
        extra = coverage(policy, credentials, applicants=applicants, document=document)
        known = {(f.path, f.message) for f in findings}
        findings += [f for f in extra if (f.path, f.message) not in known]
    return DraftCheck(tuple(_from_finding(f, root) for f in findings), policy, document)


def _from_finding(f: Finding, root: yaml.Node | None) -> CheckProblem:
    return CheckProblem(f.severity, f.path, f.message, line_of(root, f.path), f.check)


def _unreadable(text: str, root: yaml.Node | None, exc: PolicyError) -> tuple[CheckProblem, ...]:
    if root is not None:  # readable YAML refused for what it holds (size, characters, nesting)
        return tuple(
            CheckProblem("error", p.path, p.message, line_of(root, p.path), "syntax")
            for p in exc.problems
        )
    line = None
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as marked:
        mark = marked.problem_mark or marked.context_mark
        line = mark.line + 1 if mark is not None else None
    except (yaml.YAMLError, RecursionError):
        pass
    return tuple(CheckProblem("error", p.path, p.message, line, "syntax") for p in exc.problems)
