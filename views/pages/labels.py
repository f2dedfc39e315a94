"""Labels for vocabulary URIs on every page: `{{ label_for(uri) }}` instead of a raw URI.

A label is looked up, in the page's language first and then in English or any language:

1. in the imported document (`credential=`: what the document called the URI, kept by the
   importer in the provenance note);
2. in the policy (`policy=`: the codes its declared elements and classifications label);
3. in the table shipped with the desk (`models/credentials/formats/data/labels.tsv`, ESCO's
   English skill labels behind it);
4. otherwise the URI's last path segment, readable, with the full URI in its title.

`label_for` returns a `Label`: in a template it renders as `<span class="term" title="URI">`;
`.text` is the plain words (for attributes, letters, sorting).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from flask import Flask
from markupsafe import Markup, escape

from models.credentials.formats import vocabulary_labels
from views.i18n import current_language

SOURCES = ("document", "policy", "table", "fallback")


@dataclass(frozen=True)
class Label:
    """The words shown for a URI, where they came from, and the URI itself."""

    text: str
    uri: str
    source: str  # one of SOURCES

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:
        if self.text == self.uri:
            return str(escape(self.text))
        return str(
            Markup('<span class="term" title="{uri}">{text}</span>').format(
                uri=self.uri, text=self.text
            )
        )


def fallback(uri: str) -> str:
    """The last path segment (or fragment) of a URI, percent-decoded: ".../isced-f/0613" →
    "0613"; a code stays as it is."""
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", uri):
        return uri
    return unquote(re.split(r"[/#:]", uri.rstrip("/#"))[-1]) or uri


def policy_labels(policy: Any) -> dict[str, str]:
    """Codes (URIs among them) a policy labels: its declared elements' values and its
    classifications' classes."""
    found: dict[str, str] = {}
    catalogue = getattr(policy, "catalogue", None)
    subjects = getattr(catalogue, "subjects", {}) or {}
    for subject in subjects.values():
        for code, label in getattr(subject, "values", ()) or ():
            if isinstance(code, str) and label and label != code:
                found.setdefault(code, label)
    for classification in getattr(policy, "classifications", ()) or ():
        for code, label in classification.classes:
            found.setdefault(code, label)
    return found


def _pick(texts: Mapping[Any, str], language: str, strict: bool) -> str | None:
    # A label without a language (a policy's, many documents') counts as the page's own.
    if texts.get(language) or texts.get(None):
        return texts.get(language) or texts.get(None)
    if strict:
        return None
    return texts.get("en") or texts.get(None) or next(iter(texts.values()), None)


def resolve(
    uri: str,
    *,
    document: Mapping[str, Mapping[Any, str]] | None = None,
    policy: Mapping[str, str] | None = None,
    language: str = "en",
) -> Label:
    """The label of `uri`: document, policy, table, fallback (see the module's docstring)."""
    uri = str(uri)
    doc = (document or {}).get(uri) or {}
    table = vocabulary_labels.table().get(uri, {})
    esco = vocabulary_labels.table_label(uri, "en")
    table_texts = {**({"en": esco} if esco else {}), **table}
    from_policy = {None: policy[uri]} if policy and uri in policy else {}
    for strict in (True, False):
        for source, texts in (("document", doc), ("policy", from_policy), ("table", table_texts)):
            text = _pick(texts, language, strict)
            if text:
                return Label(text, uri, source)
    return Label(fallback(uri), uri, "fallback")


def vocabulary_label(vocabulary: str, code: str) -> str:
    """A code of the desk's own vocabularies (`rules.vocabulary`) in the page's language."""
    texts = vocabulary_labels.table().get(f"{vocabulary}:{code}", {})
    return texts.get(current_language()) or texts.get("en") or code


def label_for(uri: Any, credential: Any = None, policy: Any = None) -> Label:
    """The Jinja global: `label_for(uri)`, `label_for(uri, credential=c, policy=p)`. `policy`
    is a validated policy (or a {code: label} mapping)."""
    document = vocabulary_labels.document_labels(credential) if credential is not None else None
    labels = policy if isinstance(policy, Mapping) or policy is None else policy_labels(policy)
    return resolve(str(uri), document=document, policy=labels, language=current_language())


def init_app(app: Flask) -> None:
    app.jinja_env.globals["label_for"] = label_for
    app.jinja_env.globals["vocabulary_label"] = vocabulary_label
    app.jinja_env.filters["label"] = label_for
