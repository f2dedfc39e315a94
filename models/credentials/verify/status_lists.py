"""Local copies of status lists: W3C Bitstring Status List and StatusList2021 credentials.

credstack never fetches a status list. A deployment (or `credstack import --status-list FILE`)
supplies the list credentials it has; each is found by its `id`, which a credential's status entry
names as `statusListCredential`. The bitstring is base64url (multibase 'u' or plain) of GZIP data;
index 0 is the first byte's highest bit.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_BITSTRING_BYTES = 16 * 1024 * 1024  # 134 million entries; more is refused, not inflated
LIST_TYPES = ("BitstringStatusList", "StatusList2021")


@dataclass(frozen=True)
class StatusList:
    """One status list credential, decoded."""

    id: str  # what `statusListCredential` names
    purpose: str  # revocation | suspension | message | …
    bits: bytes
    source: str  # the file it came from
    document: dict[str, Any] = field(repr=False, default_factory=dict)  # with its proof, if any

    def entry(self, index: int, size: int = 1) -> int | None:
        """The value of the `size`-bit entry at `index`, or None beyond the list."""
        first = index * size
        if index < 0 or size < 1 or first + size > len(self.bits) * 8:
            return None
        value = 0
        for bit in range(first, first + size):
            value = (value << 1) | ((self.bits[bit // 8] >> (7 - bit % 8)) & 1)
        return value


@dataclass(frozen=True)
class StatusLists:
    """The status lists supplied, by id."""

    lists: dict[str, StatusList] = field(default_factory=dict)

    def get(self, list_id: str) -> StatusList | None:
        return self.lists.get(list_id)

    @classmethod
    def load(cls, paths: tuple[str | Path, ...] | list[str | Path] = ()) -> StatusLists:
        found: dict[str, StatusList] = {}
        for path in paths:
            status_list = read(Path(path))
            if status_list.id in found:
                raise ValueError(f"status list {path}: {status_list.id} is given twice")
            found[status_list.id] = status_list
        return cls(found)


def read(path: Path) -> StatusList:
    """A status list credential file (JSON-LD) → StatusList; ValueError saying what is wrong."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"status list {path}: larger than {MAX_FILE_BYTES:,} bytes")
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"status list {path}: cannot be read ({exc!r:.200})") from None
    try:
        return parse(document, str(path))
    except ValueError as exc:
        raise ValueError(f"status list {path}: {exc}") from None


def parse(document: Any, source: str = "") -> StatusList:
    if not isinstance(document, dict):
        raise ValueError("expected a status list credential (a JSON object)")
    list_id = document.get("id")
    subject = document.get("credentialSubject")
    if not isinstance(list_id, str) or not list_id:
        raise ValueError("the status list credential has no id")
    if not isinstance(subject, dict) or subject.get("type") not in LIST_TYPES:
        raise ValueError(f"expected a credentialSubject of type {' or '.join(LIST_TYPES)}")
    purpose = subject.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise ValueError("the status list states no statusPurpose")
    bits = decode(subject.get("encodedList"))
    return StatusList(list_id, purpose.lower(), bits, source, document)


def decode(encoded: Any) -> bytes:
    """encodedList → the bitstring: multibase base64url ('u…') or plain base64url, of GZIP."""
    if not isinstance(encoded, str) or not encoded:
        raise ValueError("the status list has no encodedList")
    text = encoded[1:] if encoded.startswith("uH4sI") else encoded  # GZIP data starts 'H4sI'
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        inflater = zlib.decompressobj(wbits=31)  # GZIP
        bits = inflater.decompress(packed, MAX_BITSTRING_BYTES)
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise ValueError(f"the encodedList is not base64url GZIP data ({exc})") from None
    if inflater.unconsumed_tail:
        raise ValueError(f"the bitstring is larger than {MAX_BITSTRING_BYTES:,} bytes")
    if not inflater.eof:
        raise ValueError("the encodedList is truncated GZIP data")
    return bits
