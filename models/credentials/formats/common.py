"""What every importer shares: bounded parsing, media stripping, text/date/duration readers.

Documents arrive from wallets and e-mail, so they are parsed under limits (size, nesting, node
count, array length) before anything walks them, and every helper tolerates any JSON shape.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import json
import re
import unicodedata
from typing import Any

from models.errors import IntakeError, Problem

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 40
MAX_NODES = 100_000
MAX_ARRAY = 10_000
MAX_TEXT = 10_000  # characters kept in one element value
MEDIA_MIN_CHARS = 64 * 1024  # a bare base64 string this long is media, whatever its key

_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*|@none")
_BASE64 = re.compile(r"[A-Za-z0-9+/=_\-\s]+")


def reject(source: str, message: str, path: str = "") -> IntakeError:
    return IntakeError([Problem(path, message)], source)


def decode_text(raw: bytes, source: str) -> str:
    if len(raw) > MAX_DOCUMENT_BYTES:
        size = f"{len(raw):,}"
        raise reject(source, f"expected a document of at most 20 MB; got {size} bytes")
    skip = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return raw[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = skip + exc.start
        raise reject(
            source, f"expected UTF-8 text; got byte 0x{raw[at]:02x} at offset {at}"
        ) from None


def parse_json(text: str, source: str, path: str = "") -> Any:
    """JSON within the limits, or IntakeError saying which limit or where the syntax breaks."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise reject(
            source, f"expected at most {MAX_DEPTH} levels of nesting; got far more", path
        ) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        message = f"expected valid JSON; got an error at {where}: {exc.msg}"
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            message += " (the document seems truncated)"
        raise reject(source, message, path) from None
    except ValueError as exc:  # e.g. an integer literal longer than Python's digit limit
        raise reject(source, f"expected valid JSON; got {exc}", path) from None
    check_shape(data, source, path)
    return data


def check_shape(data: Any, source: str, path: str = "") -> None:
    """Bound nesting, node count and array length (JSON-LD bombs), without recursion."""
    stack = [(data, 1)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise reject(source, f"expected at most {MAX_NODES:,} JSON values; got more", path)
        if depth > MAX_DEPTH:
            raise reject(source, f"expected at most {MAX_DEPTH} levels of nesting; got more", path)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            if len(value) > MAX_ARRAY:
                message = f"expected arrays of at most {MAX_ARRAY:,} items; got {len(value):,}"
                raise reject(source, message, path)
            stack.extend((v, depth + 1) for v in value)


def _placeholder(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return f"[embedded media removed: {len(text):,} characters, sha256 {digest}…]"


def _is_media(key: str, value: str, parent: dict[str, Any]) -> bool:
    if value.startswith("data:") and ";base64," in value[:200]:
        return True
    if key == "content" and (parent.get("type") == "MediaObject" or "contentEncoding" in parent):
        return len(value) > 256
    return len(value) >= MEDIA_MIN_CHARS and _BASE64.fullmatch(value[:4096]) is not None


def strip_media(data: Any) -> tuple[Any, int]:
    """A copy without embedded images/PDFs (base64 MediaObject content, data: URIs)."""
    removed = 0

    def walk(value: Any, key: str, parent: Any) -> Any:
        nonlocal removed
        if isinstance(value, dict):
            return {k: walk(v, k, value) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key, parent) for v in value]
        if isinstance(value, str) and isinstance(parent, dict) and _is_media(key, value, parent):
            removed += 1
            return _placeholder(value)
        return value

    return walk(data, "", None), removed


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def dig(value: Any, *keys: str) -> Any:
    """value[k1][k2]…, taking the first item of any list on the way; None when absent."""
    for key in keys:
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def clean_text(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    text = text.replace("\x00", "").strip()
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates from \ud800 escapes
    return text[:MAX_TEXT] if text else None


def text_of(value: Any, languages: tuple[str, ...] = ("en",)) -> str | None:
    """Text from a string, a language map {"en": …}, a Note {noteLiteral}, ELM v2 {"text":
    {"#text"}}, a JSON-LD value object, or a list of any of these (preferred language first)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        found = [text_of(v, languages) for v in value[:50]]
        return next((t for t in found if t), None)
    if not isinstance(value, dict):
        return None
    for key in ("noteLiteral", "text", "@value", "#text"):
        if key in value:
            return text_of(value[key], languages)
    for language in languages:
        if isinstance(value.get(language), str):
            return clean_text(value[language])
    strings = [v for k, v in value.items() if isinstance(v, str) and not k.startswith("@")]
    return clean_text(strings[0]) if strings and len(value) == len(strings) else None


def texts_of(value: Any, limit: int = 20) -> list[str]:
    """Every text in a string, a language map (all languages, English first), a Note or a list."""
    if isinstance(value, list):
        found = [t for v in value[:50] for t in texts_of(v, limit)]
        return list(dict.fromkeys(found))[:limit]
    if isinstance(value, dict):
        for key in ("noteLiteral", "text", "@value", "#text"):
            if key in value:
                return texts_of(value[key], limit)
        keys = [k for k in value if not str(k).startswith("@") or k == "@none"]
        if "id" in value or not all(_LANGUAGE.fullmatch(str(k)) for k in keys):
            return []  # an object, not a language map
        return texts_of([value[k] for k in sorted(keys, key=lambda k: k != "en")], limit)
    text = clean_text(value)
    return [text] if text else []


def fold(text: str) -> str:
    """Text compared without case, accents or extra spacing: " Présentiel " → "presentiel"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def parse_date(value: Any) -> dt.date | None:
    """The calendar date of an ISO date or date-time, in the time zone it is written in."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


_DURATION = re.compile(
    r"P(?:(?P<Y>\d+(?:[.,]\d+)?)Y)?(?:(?P<MO>\d+(?:[.,]\d+)?)M)?(?:(?P<W>\d+(?:[.,]\d+)?)W)?"
    r"(?:(?P<D>\d+(?:[.,]\d+)?)D)?(?:T(?:(?P<H>\d+(?:[.,]\d+)?)H)?(?:(?P<MI>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<S>\d+(?:[.,]\d+)?)S)?)?"
)


def parse_duration(value: Any) -> tuple[float | None, dict[str, float]] | None:
    """ISO 8601 duration → (hours if it has time units only, else None; its parts). None if not
    a duration. Calendar units (years, months, weeks, days) are not learning hours."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    match = _DURATION.fullmatch(value.strip())
    if not match or value.strip() in ("P", "PT") or value.strip().endswith("T"):
        return None
    parts = {k: float(v.replace(",", ".")) for k, v in match.groupdict().items() if v}
    if not parts:
        return None
    if any(k in parts for k in ("Y", "MO", "W", "D")):
        return None, parts
    hours = parts.get("H", 0.0) + parts.get("MI", 0.0) / 60 + parts.get("S", 0.0) / 3600
    return hours, parts


def describe_calendar(parts: dict[str, float]) -> str:
    names = {"Y": "year", "MO": "month", "W": "week", "D": "day"}
    return ", ".join(
        f"{v:g} {names[k]}{'s' if v != 1 else ''}" for k, v in parts.items() if k in names
    )


def types_of(node: Any) -> set[str]:
    raw = node.get("type", node.get("@type")) if isinstance(node, dict) else None
    return {t for t in as_list(raw) if isinstance(t, str)}


def is_local_id(value: Any) -> bool:
    """A document-local identifier (urn:epass:*, blank node): means nothing outside the document."""
    return not isinstance(value, str) or value.startswith(("urn:epass:", "_:")) or not value
