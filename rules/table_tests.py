"""Table tests in conditions and lookups: "this credential matches a row of T, valid on a date,
where ...", and "the value of column C of the row it matches". Checked against the table's
columns when the policy loads.
"""

from __future__ import annotations

from typing import Any

from rules.catalogue import APPLICATION, CREDENTIAL, Subject
from rules.errors import Problem, describe, suggest
from rules.policy import Atom, Column, Lookup, TableTest
from rules.tables import NAME, _text
from rules.values import INVALID

_LOOKUP_KEYS = {"label", "table", "match", "where", "on", "column"}


def parse_table_test(parser: Any, raw: dict, path: str, scope: str) -> TableTest | None:
    """`{table, match, where, on}` of a condition or a lookup, checked against the table."""
    table = parser.tables.get(raw.get("table"))
    if table is None and raw.get("table") in parser.broken_tables:
        return None  # the table's own problems are reported, and the policy refused for them
    if table is None:
        ids = sorted(parser.tables)
        parser.problems.append(
            Problem(
                f"{path}.table",
                f"no table {describe(raw.get('table'))}; expected one of: "
                f"{', '.join(ids) or 'none'}",
                suggest(raw.get("table"), ids),
            )
        )
        return None
    columns = {c.name: c for c in table.columns}
    match = raw.get("match")
    if not isinstance(match, dict) or not match:
        parser._problem(f"{path}.match", "expected {column: element (or {fact: NAME})}", match)
        return None
    pairs = []
    for column, ref in match.items():
        where = f"{path}.match.{column}"
        if column not in columns:
            parser.problems.append(
                Problem(
                    where, f"no column {describe(column)} in {table.id}", suggest(column, columns)
                )
            )
            return None
        as_raw = ref if isinstance(ref, dict) else {"element": ref}
        subject = parser.subject(as_raw, where, scope)
        if subject is None:
            return None
        if not _comparable(columns[column].type, subject.type):
            parser._problem(
                where,
                f"column {column} is {columns[column].type}; {subject.key} is {subject.type}",
                ref,
            )
            return None
        pairs.append((column, subject.key))
    where_atoms = []
    for i, test in enumerate(raw.get("where") or []):
        atom = _column_atom(parser, test, f"{path}.where[{i}]", columns)
        if atom is None:
            return None
        where_atoms.append(atom)
    on = None
    if "on" in raw:
        as_raw = raw["on"] if isinstance(raw["on"], dict) else {"element": raw["on"]}
        subject = parser.subject(as_raw, f"{path}.on", scope)
        if subject is None:
            return None
        if subject.type != "date":
            parser._problem(f"{path}.on", "expected a date (an element or a fact)", raw["on"])
            return None
        on = subject.key
    return TableTest(table.id, tuple(sorted(pairs)), tuple(where_atoms), on)


def _column_atom(parser: Any, raw: Any, path: str, columns: dict[str, Column]) -> Atom | None:
    if not isinstance(raw, dict) or set(raw) - {"column", "op", "value"} or "column" not in raw:
        parser._problem(path, "expected {column, op, value}", raw)
        return None
    column = columns.get(raw["column"])
    if column is None:
        parser.problems.append(
            Problem(
                f"{path}.column",
                f"no column {describe(raw['column'])}",
                suggest(raw["column"], columns),
            )
        )
        return None
    subject = Subject(f"column:{column.name}", CREDENTIAL, "column", column.name, column.name,
                      column.type, tuple((v, v) for v in column.values))  # fmt: skip
    op = raw.get("op")
    allowed = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "known")
    if op not in allowed:
        parser._problem(f"{path}.op", f"expected one of: {', '.join(allowed)}", op)
        return None
    if op == "known":
        return Atom(subject.key, op)
    shape = "list" if op in ("in", "not_in") else "scalar"
    reader = parser.values
    value = (
        reader.scalars(raw.get("value"), f"{path}.value", subject)
        if shape == "list"
        else (reader.scalar(raw.get("value"), f"{path}.value", subject))
    )
    return None if value is INVALID else Atom(subject.key, op, value)


def read_lookups(parser: Any, raw: Any, path: str, catalogue: Any) -> list[Lookup]:
    """`lookups: {NAME: {label, table, match, where, on, column}}`: subjects of a column's type."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        parser._problem(path, "expected a mapping of lookups by name", raw)
        return []
    out = []
    for name, body in raw.items():
        where = f"{path}.{name}"
        if not isinstance(name, str) or not NAME.match(name) or catalogue.get(name) is not None:
            parser._problem(where, "expected a new name of lower-case letters, digits and _", name)
            continue
        if not isinstance(body, dict) or set(body) - _LOOKUP_KEYS or "column" not in body:
            parser._problem(where, "expected {label, table, match, where, on, column}", body)
            continue
        test = parse_table_test(parser, body, where, CREDENTIAL)
        if test is None:
            continue
        table = parser.tables[test.table]
        column = next((c for c in table.columns if c.name == body["column"]), None)
        if column is None:
            parser._problem(f"{where}.column", f"no such column in {table.id}", body["column"])
            continue
        label = _text(body.get("label")) or name.replace("_", " ")
        scope = (
            APPLICATION
            if all(catalogue[k].scope == APPLICATION for _, k in test.match)
            else CREDENTIAL
        )
        catalogue.add(Subject(name, scope, "lookup", name, label, column.type,
                              tuple((v, v) for v in column.values)))  # fmt: skip
        out.append(Lookup(name, label, test, column.name))
    return out


_COMPARABLE = {
    "text": {"text", "uri", "code", "ordinal", "isced", "country"},
    "uri": {"uri", "text"},
    "code": {"code", "ordinal", "text"},
    "country": {"country"},
    "isced": {"isced"},
    "integer": {"integer"},
    "decimal": {"decimal", "integer"},
    "date": {"date"},
    "boolean": {"boolean"},
}


def _comparable(column_type: str, subject_type: str) -> bool:
    return subject_type in _COMPARABLE.get(column_type, set())
