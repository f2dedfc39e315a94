"""A policy's own texts in the page's language. A policy may translate what it wrote (its
title, its rules' and targets' titles, the options it offers) under `translations: {sv: {text
as written: translation}}`; letters use them, and so does a page about one policy version — the
case page under the case's version, the policy page — once the view hands the version's
document to `use_policy_texts`. The engine never reads them: results keep the text as written,
and the filter `pt` swaps it for the translation at rendering time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, g
from flask_babel import get_locale


def use_policy_texts(document: Mapping[str, Any]) -> None:
    """The translations of the policy version this request's page is about."""
    g.policy_texts = dict(document.get("translations") or {})


def policy_text(text: Any) -> Any:
    """`text` as the policy translates it into the page's language; else as written."""
    if not isinstance(text, str):
        return text
    texts = g.get("policy_texts") or {}
    locale = get_locale()
    return texts.get(locale.language if locale else "", {}).get(text, text)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["pt"] = policy_text
