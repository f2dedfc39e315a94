"""The JSON API under /api/v1 and its OpenAPI document.

The routes live in `api_policies` (me, stateless evaluation, policies, audit) and `api_cases`
(cases, evaluations, decisions); `api_support` holds the blueprint, token authentication and the
strict body and query loaders; `api_docs` generates the OpenAPI document and serves Swagger UI.
"""

from __future__ import annotations

from flask import Flask

from views import api_cases, api_docs, api_policies, api_support

__all__ = ["api_cases", "api_policies", "register"]


def register(app: Flask) -> None:
    """Add the API blueprints to the app."""
    app.register_blueprint(api_support.bp)
    app.register_blueprint(api_docs.bp)
