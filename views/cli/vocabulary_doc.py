"""The closed vocabulary as text; the README tables are generated from it and checked against it."""

from __future__ import annotations

from rules.operators import OPERATORS
from rules.vocabulary import ELEMENTS, VOCABULARIES


def vocabulary_text(markdown: bool = True) -> str:
    if not markdown:
        lines = ["Elements:"]
        lines += [f"  {e.name:20} {e.type:10} {e.label}" for e in ELEMENTS.values()]
        lines.append("Operators:")
        lines += [f"  {o.name:14} {o.symbol:18} {o.help}" for o in OPERATORS.values()]
        return "\n".join(lines)
    lines = [
        "| element | type | Annex I element | in rules | help |",
        "|---|---|---|---|---|",
    ]
    for e in ELEMENTS.values():
        kind = f"code ({', '.join(VOCABULARIES[e.vocabulary].codes())})" if e.vocabulary else e.type
        usable = "yes" if e.usable_in_rules else "no (personal data)"
        lines.append(f"| `{e.name}` | {kind} | {e.label} | {usable} | {e.help} |")
    lines += ["", "| operator | reads | applies to | help |", "|---|---|---|---|"]
    for o in OPERATORS.values():
        lines.append(f"| `{o.name}` | {o.symbol} | {', '.join(o.types)} | {o.help} |")
    return "\n".join(lines)
