"""The closed vocabulary as text; the README tables are generated from it and checked against it."""

from __future__ import annotations

from rules.numbers import text
from rules.operators import OPERATORS
from rules.scales import built_in
from rules.vocabulary import ELEMENTS, VOCABULARIES

TYPES = {
    "decimal": "an exact number (at most 4 decimal places in a policy); `unit` optional",
    "integer": "a whole number",
    "date": "an ISO date, YYYY-MM-DD",
    "boolean": "true or false",
    "country": "an ISO 3166-1 alpha-2 code",
    "text": "text; `has_words` / `lacks_words` test whole words",
    "code": "one of the declared `values` (with labels)",
    "ordinal": "one of the declared `values`, ordered worst (or lowest) first: compared by rank",
    "isced": "an ISCED-F 2013 code of 2 to 4 digits",
    "uri": "an absolute URI",
    "text_list": "a list of texts (declared as `type: list, of: text`)",
    "uri_list": "a list of URIs (`of: uri`)",
    "code_list": "a list of declared codes (`of: code`, with `values`)",
    "country_list": "a list of country codes (`of: country`)",
    "isced_list": "a list of ISCED-F codes (`of: isced`)",
    "credits": "{system, value}: read with `system:` as a decimal in any credit system",
    "level": "{framework, level}: read with `framework:` as an ordinal in that framework",
    "grade": "text, or {scheme, value} (points: + max): read with `scheme:`",
}


def vocabulary_text(markdown: bool = True) -> str:
    if not markdown:
        lines = ["Elements:"]
        lines += [f"  {e.name:20} {e.type:10} {e.label}" for e in ELEMENTS.values()]
        lines.append("Operators:")
        lines += [f"  {o.name:14} {o.symbol:18} {o.help}" for o in OPERATORS.values()]
        lines.append("Value types:")
        lines += [f"  {name:14} {help}" for name, help in TYPES.items()]
        for kind in ("frameworks", "credit_systems", "grade_schemes"):
            lines.append(kind.replace("_", " ").capitalize() + ":")
            lines += [f"  {k:18} {v.title}" for k, v in built_in(kind).items()]
        return "\n".join(lines)
    lines = [
        "| element | type | Annex I element | in rules | help |",
        "|---|---|---|---|---|",
    ]
    for e in ELEMENTS.values():
        kind = f"code ({', '.join(VOCABULARIES[e.vocabulary].codes())})" if e.vocabulary else e.type
        usable = "yes" if e.usable_in_rules else "no (personal data)"
        annex = e.label if e.annex else "— (credstack)"
        lines.append(f"| `{e.name}` | {kind} | {annex} | {usable} | {e.help} |")
    lines += ["", "| operator | reads | applies to | help |", "|---|---|---|---|"]
    for o in OPERATORS.values():
        lines.append(f"| `{o.name}` | {o.symbol} | {', '.join(o.types)} | {o.help} |")
    lines += ["", "| value type | what it holds |", "|---|---|"]
    lines += [f"| `{name}` | {help} |" for name, help in TYPES.items()]
    return "\n".join(lines)


def scales_text() -> str:
    """The built-in frameworks, credit systems and grade schemes, as README tables."""
    lines = ["| framework | levels (→ EQF where referenced) | source |", "|---|---|---|"]
    for key, f in built_in("frameworks").items():
        levels = ", ".join(f"{lv.code}→{lv.eqf}" if lv.eqf else lv.code for lv in f.levels)
        note = f" {f.note}" if f.note else ""
        lines.append(f"| `{key}` {f.title} | {levels} | {f.source}.{note} |")
    lines += ["", "| credit system | hours per credit | ECTS per credit | source |"]
    lines.append("|---|---|---|---|")
    for key, c in built_in("credit_systems").items():
        hours = text(c.hours) if c.hours is not None else "—"
        ects = text(c.ects) if c.ects is not None else "—"
        lines.append(f"| `{key}` {c.title} | {hours} | {ects} | {c.source} |")
    lines += ["", "| grade scheme | grades (worst first) or range | pass |", "|---|---|---|"]
    for key, g in built_in("grade_schemes").items():
        if g.grades:
            scale = ", ".join(x.code for x in g.grades)
        elif g.per_credential_maximum:
            scale = "0 to the maximum each grade carries"
        else:
            direction = "higher is better" if g.higher_is_better else "lower is better"
            scale = f"{text(g.minimum)} to {text(g.maximum)} ({direction})"
        passed = (
            g.pass_mark
            if isinstance(g.pass_mark, str)
            else (text(g.pass_mark) if g.pass_mark is not None else "—")
        )
        lines.append(f"| `{key}` {g.title} | {scale} | {passed} |")
    return "\n".join(lines)
