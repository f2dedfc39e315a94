"""The pinned JSON-LD context cache: the only place pyld may load a context from.

Each context is a file under `contexts/` listed in `contexts/manifest.json` with its URL and
SHA-256; a file is checked against its hash when first loaded, so a changed copy cannot change
what a signature covers. A URL not in the manifest is never fetched: canonicalisation stops and
the verdict says "cannot verify offline".
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

CONTEXTS = Path(__file__).resolve().parent / "contexts"
MANIFEST = CONTEXTS / "manifest.json"


class UnknownContext(Exception):
    """A context URL that is not in the pinned cache."""

    def __init__(self, url: str):
        super().__init__(f"JSON-LD context {url} is not in the pinned local cache")
        self.url = url


class ContextCorrupted(Exception):
    """A pinned context file whose content no longer matches its recorded hash."""


@cache
def manifest() -> dict[str, tuple[str, str]]:
    """URL → (file name, sha256)."""
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return {row["url"]: (row["file"], row["sha256"]) for row in data["contexts"]}


@cache
def _load(url: str) -> Any:
    name, digest = manifest()[url]
    raw = (CONTEXTS / name).read_bytes()
    if hashlib.sha256(raw).hexdigest() != digest:
        raise ContextCorrupted(f"pinned context {name} does not match its recorded sha256")
    return json.loads(raw)


def pinned_urls() -> frozenset[str]:
    return frozenset(manifest())


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """A pyld document loader that answers from the pinned cache only."""
    if url not in manifest():
        raise UnknownContext(url)
    # A fresh copy each time: pyld must not be able to alter the cached document.
    document = json.loads(json.dumps(_load(url)))
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": document,
    }
