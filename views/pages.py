"""Server-rendered pages (login, case queue, case page, decisions, policies, audit)."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Add the page blueprints to the app."""
