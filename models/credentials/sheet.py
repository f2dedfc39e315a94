"""The CSV wallet sheet: its documented columns and the reading of its rows.

`Sheet` reads a header and rows one at a time and keeps, per learner, the loaded credential rows
and every problem found (with the row number a spreadsheet shows); `intake` turns what it kept
into wallets, for a whole file at once or, in a batch, one learner's rows at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import ValidationError

from models.credentials import schema as cs
from models.errors import Problem, expected, problems_from, suggest
from rules.vocabulary import ELEMENTS, VOCABULARIES

EXTENSION = "extension:"  # CSV columns that are not Annex I elements


@dataclass(frozen=True)
class CsvColumn:
    """One documented column of the CSV format."""

    name: str
    help: str


def _column_help(name: str) -> str:
    element = ELEMENTS[name]
    how = {
        "decimal": "A number in digits with a decimal point, e.g. 7.5.",
        "integer": "A whole number in digits.",
        "date": "A date written YYYY-MM-DD.",
        "country": "Alpha-2 code (e.g. SE) or EU country URI.",
        "isced": "2 to 4 digits (keep leading zeros, e.g. 0613).",
        "text_list": f"Items separated by {cs.LIST_SEPARATOR}.",
        "uri_list": f"Absolute URIs separated by {cs.LIST_SEPARATOR}.",
        "credits": "Written SYSTEM:VALUE, e.g. nz_credit:15.",
        "level": "Written FRAMEWORK:LEVEL, e.g. scqf:9.",
        "grade": "Text as awarded, or SCHEME:GRADE, e.g. ects_grade:B.",
    }.get(element.type, "")
    if element.vocabulary:
        codes = ", ".join(VOCABULARIES[element.vocabulary].codes())
        how = f"One of {codes} (or a term's label or EU vocabulary URI)."
    return f"{element.help} {how}".strip()


_CSV_ELEMENTS = (
    "title", "awarding_body", "awarding_body_id", "issuer_country", "issued_on", "ects",
    "workload_hours", "eqf_level", "qf_ehea_cycle", "assessment_type", "participation_form",
    "quality_assurance", "supervision", "field_of_study", "skills", "learning_outcomes",
    "verification", "used_towards", "stackability", "prerequisites", "grade",
    "further_information", "credits", "framework_level", "qa_framework", "qa_agency",
    "qa_register_id",
)  # fmt: skip
CSV_COLUMNS: tuple[CsvColumn, ...] = (
    CsvColumn(
        "learner_id",
        "The learner's own id (personal data): rows with the same id form one wallet; only a "
        "pseudonymous key of it reaches the engine. Required.",
    ),
    CsvColumn("credential_id", "The credential's id, unique among the learner's rows. Required."),
    *(CsvColumn(name, _column_help(name)) for name in _CSV_ELEMENTS),
)


class Sheet:
    """The state of reading one CSV file: columns, problems so far, and rows by learner."""

    def __init__(self) -> None:
        self.columns: list[str | None] = []  # by position; None = a column to ignore (reported)
        self.problems: list[Problem] = []
        self.rows: dict[str, list[tuple[int, dict, dict]]] = {}
        self.seen: dict[tuple[str, str], int] = {}

    def header(self, header: list[str]) -> None:
        names = [cell.strip().lower() for cell in header]
        while names and not names[-1]:  # spreadsheets pad rows with empty trailing cells
            names.pop()
        if not names:
            self.problems.append(Problem("header (row 1)", "expected column names; got none"))
        known = [c.name for c in CSV_COLUMNS]
        for position, name in enumerate(names, start=1):
            again = name in self.columns or f"{EXTENSION}{name}" in self.columns
            # Other columns carry elements a policy declares, unless they look like a typo.
            near = suggest(name, known) if name not in known else None
            extension = name not in known and not near and cs.extension_name(name)
            if again or near or not (name in known or extension):
                what = "a documented column name" + (" not used before" if again else "")
                what += "" if again else ", or the name of an element a policy declares"
                message = expected(what, name, None if again else near)
                self.problems.append(
                    Problem(f"header (row 1), column {position}", message, message.suggestion)
                )
                self.columns.append(None)
            else:
                self.columns.append(f"{EXTENSION}{name}" if extension else name)
        for required in ("learner_id", "credential_id"):
            if names and required not in self.columns:
                self.problems.append(
                    Problem("header (row 1)", f"expected a column {required!r}; it is missing")
                )

    def row(self, number: int, row: list[str]) -> None:
        if not any(v.strip() for v in row):
            return  # blank rows are spacing in a spreadsheet, not credentials
        columns, problems = self.columns, self.problems
        cells = {c: v.strip() for c, v in zip(columns, row, strict=False) if c and v.strip()}
        extensions = {
            k[len(EXTENSION) :]: cells.pop(k) for k in list(cells) if k.startswith(EXTENSION)
        }
        learner, cid = cells.pop("learner_id", None), cells.pop("credential_id", None)
        label = f"row {number} (credential {cid})" if cid else f"row {number}"
        if any(v.strip() for v in row[len(columns) :]):
            message = f"expected at most {len(columns)} cells (one per column); got {len(row)}"
            problems.append(Problem(label, message))
        for name, value in (("learner_id", learner), ("credential_id", cid)):
            if value is None and name in columns:
                problems.append(Problem(f"{label}: {name}", "expected a value; got an empty cell"))
        try:  # the credential id is checked by the schema; the learner id, which is not, here
            learner = cs.LEARNER_ID.deserialize(learner) if learner else None
        except ValidationError as exc:
            problems.append(Problem(f"{label}: learner_id", str(exc.messages[0])))
        if learner and cid and (learner, cid) in self.seen:
            what = f"an id unique among the learner's rows (row {self.seen[learner, cid]} has it)"
            problems.append(Problem(f"{label}: credential_id", str(expected(what, cid))))
        elif learner and cid:
            self.seen[learner, cid] = number
        try:
            loaded = cs.credential_schema(text=True).load({**cells, "id": cid or "-"})
        except ValidationError as exc:
            for p in problems_from(exc.messages, ""):
                path = "credential_id" if p.path == "id" else p.path
                problems.append(Problem(f"{label}: {path}", p.message, p.suggestion))
            return
        if learner and cid:
            loaded["extensions"] = extensions
            self.rows.setdefault(learner, []).append((number, loaded, cells))
