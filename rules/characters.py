"""Characters no text in credstack may carry.

Lone surrogates are not Unicode at all (they cannot be stored, hashed or printed); NUL and the
other control characters (tab and line breaks aside) have no place in a record; bidirectional
overrides, embeddings and isolates make a text display differently from what it says (a
justification could read "approved" while containing "refused"). The left-to-right and
right-to-left marks stay allowed: Arabic and Hebrew text needs them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_UNSAFE = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMES = {
    "\u202a": "a left-to-right embedding",
    "\u202b": "a right-to-left embedding",
    "\u202c": "a pop directional formatting",
    "\u202d": "a left-to-right override",
    "\u202e": "a right-to-left override",
    "\u2066": "a left-to-right isolate",
    "\u2067": "a right-to-left isolate",
    "\u2068": "a first strong isolate",
    "\u2069": "a pop directional isolate",
}


# The same rule as a JSON Schema / ECMAScript pattern, for API documents (surrogates aside: no
# JSON text can carry one past the request parser).
SAFE_TEXT_PATTERN = (
    r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$"
)


def unsafe_character(text: str) -> str | None:
    """What is wrong with `text`, in words, or None when every character may stay."""
    found = _UNSAFE.search(text)
    if found is None:
        return None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        what = "a lone surrogate (not valid Unicode)"
    else:
        what = _NAMES.get(char, "a control character")
    return f"contains {what}, U+{ord(char):04X}, at position {found.start()}"


def unsafe_strings(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, what is wrong) for every key or string in nested data that carries one."""
    if isinstance(data, str):
        why = unsafe_character(data)
        if why:
            yield path, why
    elif isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (why := unsafe_character(key)):
                yield where, f"the key {why}"
            yield from unsafe_strings(value, where)
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from unsafe_strings(item, f"{path}[{i}]")
