"""The question side of a policy: criteria, dispositions, and the requests it answers.

A request kind says what an applicant may ask for ("admission", "credit for a module"), which
rules, targets and criteria its answer considers, and a decision table from their statuses (and
applicant facts and choices) to a disposition in the organisation's own words. Rows are tried in
order (first) or by the order of the dispositions (priority); `otherwise` answers when no row
holds. Static checks here catch rows that can never fire, dispositions never produced, and names
of things that do not exist.
"""

from __future__ import annotations

from typing import Any

from rules.catalogue import APPLICATION, CREDENTIAL, OUTCOME, Subject, declared_subject
from rules.errors import Problem, describe, suggest
from rules.policy import Atom, Criterion, DecisionRow, Disposition, Group, RequestKind

ABOUT = ("application", "each_credential", "any_credential")
BUILT_IN_DISPOSITIONS = (
    Disposition("pending_evidence", "Pending evidence", False),
    Disposition("no_applicable_rule", "No applicable rule", False),
)
_CRITERION_KEYS = {"id", "title", "about", "applies_to", "when", "met", "not_met"}
_REQUEST_KEYS = {"title", "considers", "for", "per_credential", "choices", "decision", "options"}
_REQUEST_KEYS |= {"next_best"}
_ROW_KEYS = {"id", "when", "disposition", "reasons", "options"}


def declare_choices(parser: Any, raw: Any, path: str) -> dict[str, list]:
    """The choices every request kind declares, added to the catalogue before any condition is
    read (criteria and targets may test a choice). One name, one declaration across requests."""
    out: dict[str, list] = {}
    if not isinstance(raw, dict):
        return out
    for request_id, body in raw.items():
        if not isinstance(body, dict) or body.get("choices") is None:
            continue
        where = f"{path}.{request_id}.choices"
        choices = parser.declarations.read_all(body.get("choices"), where, set())
        for choice in choices:
            existing = parser.catalogue.get(f"choice:{choice.name}")
            subject = declared_subject(choice, APPLICATION, "choice", "choice:")
            if existing is not None and (existing.type, existing.values) != (
                subject.type,
                subject.values,
            ):
                parser._problem(
                    f"{where}.{choice.name}",
                    "another request declares this choice differently",
                    choice.name,
                )
            parser.catalogue.add(subject)
        out[str(request_id)] = choices
    return out


def read_criteria(parser: Any, raw: Any, path: str) -> list[Criterion]:
    out = []
    for i, item in enumerate(raw or []):
        where = f"{path}[{i}]"
        if not isinstance(item, dict):
            parser._problem(where, "expected a criterion {id, title, about, when}", item)
            continue
        for key in sorted(set(item) - _CRITERION_KEYS, key=str):
            parser.problems.append(
                Problem(f"{where}.{key}", "unknown key", suggest(key, _CRITERION_KEYS))
            )
        about = item.get("about", "each_credential")
        if about not in ABOUT:
            parser._problem(f"{where}.about", f"expected one of: {', '.join(ABOUT)}", about)
            continue
        scope = APPLICATION if about == "application" else CREDENTIAL
        scope_raw = item.get("applies_to")
        if scope_raw is not None and about == "application":
            parser._problem(
                f"{where}.applies_to", "an application criterion has no scope", scope_raw
            )
            continue
        when = parser.group(item.get("when"), f"{where}.when", scope=scope)
        applies = parser.group(scope_raw, f"{where}.applies_to") if scope_raw is not None else None
        out.append(
            Criterion(
                str(item.get("id")),
                _text(item.get("title")) or str(item.get("id")),
                about,
                when,
                applies,
                _text(item.get("met")),
                _text(item.get("not_met")),
            )
        )
    return out


def read_dispositions(parser: Any, raw: Any, path: str) -> list[Disposition]:
    declared = {}
    if raw is not None and not isinstance(raw, dict):
        parser._problem(path, "expected {CODE: {label, favourable}}", raw)
        raw = {}
    for code, body in (raw or {}).items():
        where = f"{path}.{code}"
        keys = {"label", "favourable", "options"}
        if not isinstance(body, dict) or set(body) - keys or not _text(body.get("label")):
            parser._problem(where, "expected {label, favourable, options}", body)
            continue
        favourable = body.get("favourable", False)
        if not isinstance(favourable, bool):
            parser._problem(f"{where}.favourable", "expected true or false", favourable)
            continue
        options = _texts(parser, body.get("options"), f"{where}.options")
        declared[str(code)] = Disposition(str(code), body["label"], favourable, options)
    for built in BUILT_IN_DISPOSITIONS:
        declared.setdefault(built.code, built)
    return list(declared.values())


def read_requests(
    parser: Any, raw: Any, path: str, known: dict[str, str], codes: list[str]
) -> list[RequestKind]:
    """`known`: rule / target / criterion id → kind; `codes`: disposition codes, in order."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        parser._problem(path, "expected a mapping of request kinds by id", raw)
        return []
    out = []
    for request_id, body in raw.items():
        where = f"{path}.{request_id}"
        if not isinstance(body, dict):
            parser._problem(where, "expected a request kind {title, considers, decision}", body)
            continue
        for key in sorted(set(body) - _REQUEST_KEYS, key=str):
            parser.problems.append(
                Problem(f"{where}.{key}", "unknown key", suggest(key, _REQUEST_KEYS))
            )
        considers = _ids(parser, body.get("considers", []), f"{where}.considers", known)
        names = _ids(parser, body.get("for", []), f"{where}.for", known)
        choices = tuple(parser.choices.get(request_id, ()))
        per_credential = body.get("per_credential", False)
        if not isinstance(per_credential, bool):
            parser._problem(f"{where}.per_credential", "expected true or false", per_credential)
            per_credential = False
        decision = body.get("decision")
        if not isinstance(decision, dict) or set(decision) - {"hit", "rows", "otherwise"}:
            parser._problem(f"{where}.decision", "expected {hit, rows, otherwise}", decision)
            continue
        hit = decision.get("hit", "first")
        if hit not in ("first", "priority"):
            parser._problem(f"{where}.decision.hit", "expected first or priority", hit)
            continue
        rows = _rows(parser, decision.get("rows"), f"{where}.decision.rows", codes)
        otherwise = decision.get("otherwise")
        if otherwise not in codes:
            parser.problems.append(
                Problem(
                    f"{where}.decision.otherwise",
                    f"expected a disposition: {', '.join(codes)}",
                    suggest(otherwise, codes),
                )
            )
            continue
        out.append(
            RequestKind(
                str(request_id),
                _text(body.get("title")) or str(request_id),
                considers,
                tuple(rows),
                otherwise,
                hit,
                tuple(choices),
                names,
                per_credential,
                _texts(parser, body.get("options"), f"{where}.options"),
                tuple(str(x) for x in body.get("next_best") or []),
            )
        )
    ids = {r.id for r in out}
    for r in out:
        for other in r.next_best:
            if other not in ids or other == r.id:
                parser.problems.append(
                    Problem(
                        f"{path}.{r.id}.next_best",
                        f"no other request kind '{other}'",
                        suggest(other, ids),
                    )
                )
    return out


def _ids(parser: Any, raw: Any, path: str, known: dict[str, str]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        parser._problem(path, "expected a list of rule, target or criterion ids", raw)
        return ()
    for x in raw:
        if x not in known:
            parser.problems.append(
                Problem(path, f"no rule, target or criterion '{x}'", suggest(x, known))
            )
    return tuple(x for x in raw if x in known)


def _rows(parser: Any, raw: Any, path: str, codes: list[str]) -> list[DecisionRow]:
    if not isinstance(raw, list) or not raw:
        parser._problem(path, "expected at least one decision row", raw)
        return []
    rows = []
    for i, row in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(row, dict) or "disposition" not in row:
            parser._problem(where, "expected {id, when, disposition, reasons, options}", row)
            continue
        for key in sorted(set(row) - _ROW_KEYS, key=str):
            parser.problems.append(
                Problem(f"{where}.{key}", "unknown key", suggest(key, _ROW_KEYS))
            )
        if row["disposition"] not in codes:
            parser.problems.append(
                Problem(
                    f"{where}.disposition",
                    f"expected one of: {', '.join(codes)}",
                    suggest(row["disposition"], codes),
                )
            )
            continue
        when = parser.group(row.get("when"), f"{where}.when", scope=OUTCOME)
        rows.append(
            DecisionRow(
                str(row.get("id", f"row{i + 1}")),
                when,
                row["disposition"],
                _texts(parser, row.get("reasons"), f"{where}.reasons"),
                _texts(parser, row.get("options"), f"{where}.options"),
            )
        )
    return rows


def _texts(parser: Any, raw: Any, path: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(_text(x) for x in items):
        parser._problem(
            path, "expected a text or a list of texts (at most 500 characters each)", raw
        )
        return ()
    return tuple(items)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() and len(value) <= 500 else None


# --- static checks ---------------------------------------------------------------------------


def check_requests(
    requests: list[RequestKind], dispositions: list[Disposition], path: str
) -> list[Problem]:
    """Rows that can never fire, and declared dispositions that no request can produce."""
    problems = []
    produced = {"pending_evidence", "no_applicable_rule"}
    for r in requests:
        produced.add(r.otherwise)
        earlier: list[DecisionRow] = []
        for i, row in enumerate(r.rows):
            produced.add(row.disposition)
            where = f"{path}.{r.id}.decision.rows[{i}]"
            why = _never_fires(row, earlier, r.hit)
            if why:
                problems.append(Problem(where, f"this row can never decide: {why}"))
            earlier.append(row)
    for d in dispositions:
        if d.code not in produced:
            problems.append(
                Problem(f"dispositions.{d.code}", "no request can produce this disposition")
            )
    return problems


def _never_fires(row: DecisionRow, earlier: list[DecisionRow], hit: str) -> str | None:
    atoms = _atoms(row.when)
    if atoms is not None and _contradicts(atoms):
        return "its conditions contradict each other"
    if hit != "first":
        return None
    for other in earlier:
        theirs = _atoms(other.when)
        if theirs is not None and atoms is not None and set(theirs) <= set(atoms):
            return f"row '{other.id}' comes first and holds whenever this one does"
    return None


def _atoms(group: Group) -> list[Atom] | None:
    """The atoms of an all-only group (None when it has `any` parts: not compared)."""
    out = []
    for item in group.items:
        if isinstance(item, Atom):
            out.append(item)
        elif item.kind == "all":
            found = _atoms(item)
            if found is None:
                return None
            out.extend(found)
        else:
            return None
    return out


def _contradicts(atoms: list[Atom]) -> bool:
    equal: dict[str, Any] = {}
    for a in atoms:
        if a.op == "eq":
            if a.element in equal and equal[a.element] != a.value:
                return True
            equal[a.element] = a.value
    for a in atoms:
        if a.element in equal and a.op == "ne" and a.value == equal[a.element]:
            return True
        if a.element in equal and a.op == "in" and equal[a.element] not in a.value:
            return True
        if a.element in equal and a.op == "not_in" and equal[a.element] in a.value:
            return True
    return False


__all__ = [
    "Subject",
    "check_requests",
    "describe",
    "read_criteria",
    "read_dispositions",
    "read_requests",
]
