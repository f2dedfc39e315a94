"""Parse and type-check the condition lists of a policy (`when`, `applies_to`, `checks`, ...).

Conditions are checked against the policy's catalogue here, once, so the engine never sees a
value of the wrong type (durable-rules would compare the string "abc" with a number and say it is
larger). Each list is parsed in a scope: credential conditions may name credential elements,
applicant facts and choices; application conditions only facts and choices; decision-table rows
also the statuses of rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.catalogue import APPLICATION, CREDENTIAL, OUTCOME, QUALIFIERS, Catalogue, Subject, scales
from rules.errors import Problem, describe, suggest
from rules.operators import MAX_PHRASE_WORDS, MAX_PHRASES, OPERATORS
from rules.policy import Atom, Condition, Group, Ref, Table, TableTest
from rules.values import INVALID, ValueReader, words

MAX_DEPTH = 4
SPANS = {"years": 100, "months": 1200, "days": 36500}  # within_years / _months / _days
_SUBJECT_KEYS = ("element", "fact", "choice")
_STATUS_KEYS = ("rule", "target", "criterion")
_QUALIFIER_KEYS = ("system", "framework", "scheme")
_ATOM_KEYS = {*_SUBJECT_KEYS, *_QUALIFIER_KEYS, "op", "value", "share", "of", "warning"}
_TABLE_KEYS = {"table", "match", "where", "on", "op", "warning"}
_STATUS_ATOM_KEYS = {*_STATUS_KEYS, "status", "level", "op", "warning"}
_GROUP_KEYS = {"all", "any", "equivalent_to"}
SCOPES = {
    CREDENTIAL: (CREDENTIAL, APPLICATION),
    APPLICATION: (APPLICATION,),
    OUTCOME: (OUTCOME, APPLICATION),
}


class ConditionParser:
    """Turns the raw condition lists of one document into typed `Group`s, collecting problems."""

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        equivalences: Mapping[str, Group] | None = None,
        tables: Mapping[str, Table] | None = None,
    ):
        self.problems: list[Problem] = []
        self.catalogue = catalogue or Catalogue(scales())
        self.equivalences = dict(equivalences or {})
        self.tables = dict(tables or {})
        self.references: list[tuple[str, str]] = []  # (path, module) of equivalent_to uses
        self.used: set[str] = set()  # subject keys and table ids the conditions name
        self.values = ValueReader(self.problems)
        self._memo: dict[tuple[str, str], Condition] = {}
        self.broken_tables: set[str] = set()  # declared, but refused: their uses say nothing

    def group(
        self, raw: Any, path: str, kind: str = "all", depth: int = 0, scope: str = CREDENTIAL
    ) -> Group:
        if not isinstance(raw, list):
            self._problem(path, "expected a list of conditions", raw)
            return Group(kind, ())
        if not raw:
            self._problem(path, "expected at least one condition", raw)
        if depth > MAX_DEPTH:
            self._problem(path, f"conditions nest deeper than {MAX_DEPTH} levels", raw)
            return Group(kind, ())
        items = [self.item(x, f"{path}[{i}]", depth, scope) for i, x in enumerate(raw)]
        return Group(kind, tuple(x for x in items if x is not None))

    def item(self, raw: Any, path: str, depth: int, scope: str = CREDENTIAL) -> Condition | None:
        if not isinstance(raw, dict):
            self._problem(path, "expected a condition (a mapping with element, op, value)", raw)
            return None
        keys = set(raw)
        if keys & _GROUP_KEYS:
            return self._group_item(raw, path, depth, scope)
        # Large policies repeat the same tests ("an approved provider on the day of issue") in
        # many rules: a test read cleanly once is reused. repr tells 1, 1.0, True and "1" apart;
        # its only side effect, `used`, was recorded the first time.
        memo = (scope, repr(raw))
        found = self._memo.get(memo)
        if found is None:
            before = len(self.problems)
            found = self._leaf(raw, keys, path, scope)
            if found is not None and len(self.problems) == before:
                self._memo[memo] = found
        return found

    def _leaf(self, raw: dict, keys: set, path: str, scope: str) -> Condition | None:
        if "table" in keys:
            return self._table_atom(raw, path, scope)
        if keys & set(_STATUS_KEYS):
            return self._status_atom(raw, path, scope)
        unknown = keys - _ATOM_KEYS
        for key in sorted(unknown, key=str):
            self.problems.append(
                Problem(
                    f"{path}.{key}",
                    "unknown key; a condition has element (or fact, choice), op, value (and "
                    "share for covers), or is a group: all / any / equivalent_to, or a table test",
                    suggest(key, sorted(_ATOM_KEYS | _GROUP_KEYS)),
                )
            )
        if unknown:
            return None
        return self.atom(raw, path, scope)

    def _group_item(self, raw: dict, path: str, depth: int, scope: str) -> Condition | None:
        warning = self._warning(raw, path)
        body = {k: v for k, v in raw.items() if k != "warning"}
        if len(body) != 1:
            self._problem(path, "a group has exactly one key: all, any or equivalent_to", raw)
            return None
        ((key, value),) = body.items()
        if key == "equivalent_to":
            if not isinstance(value, str) or not value:
                self._problem(f"{path}.equivalent_to", "expected a module code", value)
                return None
            self.references.append((f"{path}.equivalent_to", value))
            return Group("any", (), label=f"equivalent to {value}", warning=warning)
        if key not in ("all", "any"):
            self._problem(path, "a group has exactly one key: all, any or equivalent_to", raw)
            return None
        found = self.group(value, f"{path}.{key}", key, depth + 1, scope)
        return Group(found.kind, found.items, warning=warning)

    # --- subjects ----------------------------------------------------------------------------

    def subject(self, raw: dict, path: str, scope: str) -> Subject | None:
        named = [k for k in _SUBJECT_KEYS if k in raw]
        if len(named) != 1:
            self._problem(path, "expected exactly one of element, fact or choice", raw)
            return None
        key = named[0]
        name = raw[key]
        prefix = "" if key == "element" else f"{key}:"
        found = self.catalogue.get(f"{prefix}{name}") if isinstance(name, str) else None
        if found is None or found.scope not in SCOPES[scope] or found.scope == OUTCOME:
            self._unknown_subject(key, name, path, scope, found)
            return None
        qualifiers = [q for q in _QUALIFIER_KEYS if q in raw]
        wanted = QUALIFIERS.get(found.type)
        for q in qualifiers:
            if q != wanted:
                why = f"'{q}' does not apply to {found.key} ({found.type})"
                self._problem(f"{path}.{q}", why, raw[q], suggest(wanted, [wanted or ""]))
                return None
        if wanted and wanted in raw:
            qualified = self.catalogue.qualified(found, str(raw[wanted]))
            if isinstance(qualified, str):
                self.problems.append(
                    Problem(f"{path}.{wanted}", f"{describe(raw[wanted])}: {qualified}")
                )
                return None
            self.used.add(found.key)
            found = qualified
        self.used.add(found.key)
        return found

    def _unknown_subject(self, key: str, name: Any, path: str, scope: str, found: Any) -> None:
        prefix = "" if key == "element" else f"{key}:"
        if found is not None and found.scope == CREDENTIAL:
            why = "is about a credential; here only applicant facts and choices can be tested"
        elif key == "element" and name in ("learner",):
            why = "is personal data and cannot be used in a rule"
        else:
            why = "is not known" if key == "element" else f"is not a declared {key}"
        allowed = [n for s in SCOPES[scope] for n in self.catalogue.names(s, prefix)]
        if key == "element":
            allowed = [n for n in allowed if ":" not in n]
        listing = ", ".join(allowed) if allowed else "none are declared"
        self.problems.append(
            Problem(
                f"{path}.{key}",
                f"{key} {describe(name)} {why}; expected one of: {listing}",
                suggest(name, allowed),
            )
        )

    # --- atoms -------------------------------------------------------------------------------

    def atom(self, raw: dict, path: str, scope: str = CREDENTIAL) -> Atom | None:
        subject = self.subject(raw, path, scope)
        op_name = raw.get("op")
        op = OPERATORS.get(op_name) if isinstance(op_name, str) else None
        if op is None:
            self.problems.append(
                Problem(
                    f"{path}.op",
                    f"operator {describe(op_name)} is not known; expected one of: "
                    f"{', '.join(OPERATORS)}",
                    suggest(op_name, OPERATORS),
                )
            )
        if subject is None or op is None:
            return None
        if subject.type not in op.types or (subject.type in QUALIFIERS and op.name != "known"):
            self._wrong_operator(subject, op.name, op_name, path)
            return None
        warning = self._warning(raw, path)
        share = self._share(raw, path, op.name)
        of = self._of(raw, path, op.name, scope)
        if op.value == "none":
            if "value" in raw:
                self._problem(f"{path}.value", f"'{op.name}' takes no value", raw["value"])
                return None
            return Atom(subject.key, op.name, warning=warning)
        if "value" not in raw:
            self._problem(f"{path}.value", f"'{op.name}' needs a value", None)
            return None
        if isinstance(raw["value"], dict) and op.value == "scalar":
            ref = self._ref(raw["value"], f"{path}.value", subject, scope)
            return None if ref is None else Atom(subject.key, op.name, ref, warning=warning)
        value = self._value(raw["value"], f"{path}.value", subject, op.value)
        if value is INVALID:
            return None
        return Atom(subject.key, op.name, value, share, of, warning)

    def _wrong_operator(self, subject: Subject, op: str, written: Any, path: str) -> None:
        if subject.type in QUALIFIERS and op != "known":
            wanted = QUALIFIERS[subject.type]
            self._problem(
                f"{path}.{wanted}",
                f"{subject.key} is a structured value: say which {wanted} to read it in "
                f"(e.g. {wanted}: ...) or test it with 'known'",
                None,
            )
            return
        usable = [o.name for o in OPERATORS.values() if subject.type in o.types]
        self._problem(
            f"{path}.op",
            f"operator '{op}' does not apply to {subject.key} ({subject.type}); "
            f"expected one of: {', '.join(usable)}",
            written,
        )

    def _share(self, raw: dict, path: str, op: str) -> Any:
        if "share" not in raw:
            return self.values.number(1) if op == "covers" else None
        share = raw["share"]
        if op != "covers":
            self._problem(f"{path}.share", "share is only used with the 'covers' operator", share)
            return None
        number = self.values.fraction(share, f"{path}.share")
        if number is None or not 0 < number <= 1:
            self._problem(f"{path}.share", "expected a number above 0 and at most 1", share)
            return None
        return number

    def _of(self, raw: dict, path: str, op: str, scope: str) -> str | None:
        if "of" not in raw:
            return None
        if not op.startswith("within_"):
            self._problem(f"{path}.of", "`of` is only used with the within_ operators", raw["of"])
            return None
        dummy = Subject("", CREDENTIAL, "", "", "date", "date")
        ref = self._ref(raw["of"], f"{path}.of", dummy, scope)
        return ref.key if ref else None

    def _ref(self, raw: Any, path: str, subject: Subject, scope: str) -> Ref | None:
        """`{fact: NAME}` or `{choice: NAME}`: compare with that value, of the same type."""
        if not isinstance(raw, dict) or len(raw) != 1 or not set(raw) <= {"fact", "choice"}:
            self._problem(path, "expected a value, or {fact: NAME} / {choice: NAME}", raw)
            return None
        other = self.subject(raw, path, APPLICATION if scope == APPLICATION else scope)
        if other is None:
            return None
        if other.type != subject.type or other.values != subject.values:
            self._problem(
                path, f"{other.key} is a {other.type}; {subject.key} needs a {subject.type}", raw
            )
            return None
        return Ref(other.key)

    def _value(self, raw: Any, path: str, subject: Subject, shape: str) -> Any:
        if shape in SPANS:
            top = SPANS[shape]
            if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= top:
                self._problem(path, f"expected a whole number of {shape} from 1 to {top}", raw)
                return INVALID
            return raw
        if shape == "prefix":
            if not isinstance(raw, str) or not raw.isdigit() or len(raw) not in (2, 3):
                self._problem(path, "expected a 2- or 3-digit ISCED-F code, as a string", raw)
                return INVALID
            return raw
        if shape == "phrases":
            return self._phrases(raw, path)
        item_type = subject.type.removesuffix("_list") if subject.type.endswith("_list") else None
        if shape == "list":
            return self.values.scalars(raw, path, subject, item_type)
        return self.values.scalar(raw, path, subject, item_type)

    def _phrases(self, raw: Any, path: str) -> Any:
        phrases = [raw] if isinstance(raw, str) else raw
        if not isinstance(phrases, list) or not 1 <= len(phrases) <= MAX_PHRASES:
            self._problem(path, f"expected a word or phrase, or a list of 1 to {MAX_PHRASES}", raw)
            return INVALID
        out = []
        for i, phrase in enumerate(phrases):
            found = words(phrase) if isinstance(phrase, str) else ()
            if not 1 <= len(found) <= MAX_PHRASE_WORDS:
                where = path if isinstance(raw, str) else f"{path}[{i}]"
                self._problem(where, f"expected 1 to {MAX_PHRASE_WORDS} words", phrase)
                return INVALID
            out.append(phrase)
        return tuple(sorted(set(out)))

    # --- tables and statuses -----------------------------------------------------------------

    def _table_atom(self, raw: dict, path: str, scope: str) -> Atom | None:
        from rules.table_tests import parse_table_test  # tables parse their column tests with us

        for key in sorted(set(raw) - _TABLE_KEYS, key=str):
            self.problems.append(Problem(f"{path}.{key}", "unknown key", suggest(key, _TABLE_KEYS)))
        op = raw.get("op", "matches")
        if op not in ("matches", "no_match"):
            self._problem(f"{path}.op", "a table test's op is matches (default) or no_match", op)
            return None
        test = parse_table_test(self, raw, path, scope)
        if test is None:
            return None
        self.used.add(f"table:{test.table}")
        return Atom(f"table:{test.table}", op, test, warning=self._warning(raw, path))

    def _status_atom(self, raw: dict, path: str, scope: str) -> Atom | None:
        if scope != OUTCOME:
            self._problem(path, "rule statuses can only be tested in a decision table", raw)
            return None
        for key in sorted(set(raw) - _STATUS_ATOM_KEYS, key=str):
            self.problems.append(Problem(f"{path}.{key}", "unknown key"))
        named = [k for k in _STATUS_KEYS if k in raw]
        what = [k for k in ("status", "level") if k in raw]
        if len(named) != 1 or len(what) != 1:
            self._problem(
                path, "expected one of rule/target/criterion and one of status/level", raw
            )
            return None
        key = f"{what[0]}:{raw[named[0]]}"
        subject = self.catalogue.get(key)
        if subject is None:
            ids = sorted(
                s.name for k, s in self.catalogue.subjects.items() if k.startswith(what[0])
            )
            self.problems.append(
                Problem(
                    f"{path}.{named[0]}",
                    f"no {named[0]} {describe(raw[named[0]])} with a {what[0]}; expected one of: "
                    f"{', '.join(ids)}",
                    suggest(raw[named[0]], ids),
                )
            )
            return None
        self.used.add(key)
        op = raw.get("op", "in" if isinstance(raw[what[0]], list) else "eq")
        if op not in ("eq", "ne", "in", "not_in", "gte", "lte") or (
            op in ("gte", "lte") and subject.type != "ordinal"
        ):
            self._problem(f"{path}.op", "expected eq, ne, in, not_in (or gte/lte for a level)", op)
            return None
        shape = "list" if op in ("in", "not_in") else "scalar"
        value = self._value(raw[what[0]], f"{path}.{what[0]}", subject, shape)
        if value is INVALID:
            return None
        return Atom(key, op, value, warning=self._warning(raw, path))

    def _warning(self, raw: dict, path: str) -> str | None:
        text = raw.get("warning")
        if text is None:
            return None
        if not isinstance(text, str) or not 0 < len(text.strip()) <= 500:
            self._problem(f"{path}.warning", "expected text of 1 to 500 characters", text)
            return None
        return text

    def _problem(self, path: str, message: str, given: Any) -> None:
        self.problems.append(Problem(path, f"{message}; got {describe(given)}"))


def group_subjects(condition: Condition) -> set[str]:
    """Every subject key a condition tests (table tests give their match subjects too)."""
    if isinstance(condition, Atom):
        keys = {condition.element}
        if isinstance(condition.value, Ref):
            keys.add(condition.value.key)
        if isinstance(condition.value, TableTest):
            keys |= {k for _, k in condition.value.match}
            if condition.value.on:
                keys.add(condition.value.on)
        if condition.of:
            keys.add(condition.of)
        return keys
    return {k for item in condition.items for k in group_subjects(item)}
