"""The JSON API under /api/v1 and its OpenAPI document.

The routes live in `policies` (me, stateless evaluation, policies, audit), `cases` (cases,
evaluations, decisions) and `batches` (populations evaluated in the background); `support` holds
the blueprint, token authentication and the strict body and query loaders; `docs` generates the
OpenAPI document and serves Swagger UI.
"""

from __future__ import annotations

from flask import Flask

from views.api import batches as api_batches
from views.api import cases as api_cases
from views.api import credentials as api_credentials
from views.api import docs as api_docs
from views.api import policies as api_policies
from views.api import support as api_support
from views.api import where_else as api_where_else

__all__ = [
    "api_batches",
    "api_cases",
    "api_credentials",
    "api_policies",
    "api_where_else",
    "register",
]


def register(app: Flask) -> None:
    """Add the API blueprints to the app."""
    app.register_blueprint(api_support.bp)
    app.register_blueprint(api_docs.bp)
