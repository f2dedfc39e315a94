"""Fill Swedish strings into the catalogue: `python -m views.translations.fill FILE.json`.

FILE.json maps English msgids to their Swedish text; the catalogue is updated in place and
compiled. Kept as a small tool so that translating never means hand-editing PO syntax.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent


def fill(translations: dict[str, str], language: str = "sv") -> list[str]:
    """Set the given msgstrs; return the msgids that are not in the catalogue."""
    po_path = HERE / language / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as f:
        catalog = read_po(f, locale=language)
    unknown = []
    for msgid, text in translations.items():
        message = catalog.get(msgid)
        if message is None:
            unknown.append(msgid)
            continue
        message.string = text
        message.flags.discard("fuzzy")
    with po_path.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, sort_output=True, no_location=True)
    with po_path.with_suffix(".mo").open("wb") as f:
        write_mo(f, catalog)
    return unknown


if __name__ == "__main__":
    missing = fill(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
    for msgid in missing:
        print(f"not in the catalogue (run `make translations` first): {msgid!r}")
    sys.exit(1 if missing else 0)
