"""The JSON API under /api/v1 and its OpenAPI document."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Add the API blueprints to the app."""
