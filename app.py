"""credstack application: the Flask app factory and the `credstack` command line.

Each layer has one small exception tree; this module maps all of them to HTTP in one place.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from engine.errors import (
    EngineBusy,
    EngineCompileError,
    EngineError,
    EngineQuarantined,
    EvaluationInputError,
)
from models.desk.checkpoints import AuditKeyError
from models.desk.issued_credentials import IssuerKeyError, load_issuer_key
from models.errors import Conflict, Forbidden, IntakeError, InvalidInput, ModelError, NotFound
from models.messages import N_
from rules.errors import PolicyError
from views import context, i18n
from views.api import blueprints as api
from views.cli.main import cli
from views.pages import blueprints as pages

__all__ = ["cli", "create_app"]

DEV_SECRET = "dev"  # noqa: S105 - the development default the app refuses to run with elsewhere

# A page never runs inline script or style, and no other site may frame it.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class ConfigurationError(RuntimeError):
    """The app was asked to start with a configuration that is unsafe or incomplete."""


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every route: a number SQLite can hold as a row id, else the URL matches
    nothing (404), never an overflow deep in the store (500)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = RowIdConverter
    app.config.from_mapping(
        ENV_NAME=os.environ.get("CREDSTACK_ENV", "development"),
        SECRET_KEY=os.environ.get("CREDSTACK_SECRET_KEY", DEV_SECRET),
        # Keys learners' pseudonyms (HMAC of their ids); unset means the development key.
        LEARNER_KEY_SECRET=os.environ.get("CREDSTACK_LEARNER_KEY_SECRET"),
        # Signs the audit checkpoints (Ed25519); unset means the development key.
        AUDIT_KEY=os.environ.get("CREDSTACK_AUDIT_KEY"),
        # Signs the credentials the desk issues (Ed25519); unset means the development key.
        ISSUER_KEY=os.environ.get("CREDSTACK_ISSUER_KEY"),
        # Where the desk writes checkpoints: unset means `checkpoints/` beside the database,
        # empty switches them off; one after every N new entries or when the newest is T s old.
        AUDIT_CHECKPOINT_DIR=os.environ.get("CREDSTACK_AUDIT_CHECKPOINT_DIR"),
        AUDIT_CHECKPOINT_EVERY=100,
        AUDIT_CHECKPOINT_MAX_AGE=3600,
        # Engine workers of this web process (one per core by default: under gunicorn with W
        # processes, cores / W each), how many evaluations may wait for one, and how many
        # evaluations one member of staff may start per minute in this process.
        ENGINE_WORKERS=int(os.environ.get("CREDSTACK_ENGINE_WORKERS", os.cpu_count() or 1)),
        ENGINE_MAX_WAITING=int(os.environ.get("CREDSTACK_ENGINE_MAX_WAITING", 16)),
        EVALUATIONS_PER_MINUTE=int(os.environ.get("CREDSTACK_EVALUATIONS_PER_MINUTE", 120)),
        BATCH_WORKERS=int(os.environ.get("CREDSTACK_BATCH_WORKERS", 1)),
        BATCH_DIR=os.environ.get("CREDSTACK_BATCH_DIR"),  # unset: batches/ beside the database
        DATABASE=os.environ.get(
            "CREDSTACK_DB", os.path.join(app.instance_path, "credstack.sqlite")
        ),
        MAX_CONTENT_LENGTH=int(os.environ.get("CREDSTACK_MAX_BYTES", 2 * 1024 * 1024)),
        # Reverse proxies in front of the app whose X-Forwarded-For is trusted: login throttling
        # counts per client address, which behind a proxy only its header knows.
        TRUSTED_PROXIES=int(os.environ.get("CREDSTACK_TRUSTED_PROXIES", 0)),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    if app.config["ENV_NAME"] != "development" and app.config["SECRET_KEY"] == DEV_SECRET:
        raise ConfigurationError(
            "refusing to start outside development with the default secret key: "
            "set CREDSTACK_SECRET_KEY"
        )
    if app.config["ENV_NAME"] != "development" and not app.config["LEARNER_KEY_SECRET"]:
        raise ConfigurationError(
            "refusing to start outside development with the development learner-key secret: "
            "set CREDSTACK_LEARNER_KEY_SECRET"
        )
    if app.config["ENV_NAME"] != "development" and not app.config["AUDIT_KEY"]:
        raise ConfigurationError(
            "refusing to start outside development with the development audit key: "
            "set CREDSTACK_AUDIT_KEY (`credstack audit keygen` prints one)"
        )
    if app.config["ENV_NAME"] != "development" and not app.config["ISSUER_KEY"]:
        raise ConfigurationError(
            "refusing to start outside development with the development issuer key: "
            "set CREDSTACK_ISSUER_KEY (an Ed25519 private key)"
        )
    try:
        load_issuer_key(app.config["ISSUER_KEY"])
    except IssuerKeyError as exc:
        raise ConfigurationError(f"refusing to start: CREDSTACK_ISSUER_KEY: {exc}") from None
    if app.config["ENV_NAME"] != "development":
        app.config["SESSION_COOKIE_SECURE"] = True

    if app.config["TRUSTED_PROXIES"]:
        proxies = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # type: ignore[method-assign]
    app.after_request(_security_headers)
    _register_error_handlers(app)
    try:
        context.init_app(app)
    except AuditKeyError as exc:
        raise ConfigurationError(f"refusing to start: CREDSTACK_AUDIT_KEY: {exc}") from None
    i18n.init_app(app)
    pages.register(app)
    api.register(app)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    return app


def _security_headers(response: Any) -> Any:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


# Each project exception → (HTTP status, short title). Order matters: subclasses first.
_STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (NotFound, 404, N_("Not found")),
    (Forbidden, 403, N_("Forbidden")),
    (Conflict, 409, N_("Conflict")),
    (InvalidInput, 422, N_("Invalid input")),
    (ModelError, 400, N_("Bad request")),
    (PolicyError, 422, N_("Invalid policy")),
    (IntakeError, 422, N_("Invalid credentials")),
    (EngineCompileError, 422, N_("Policy too large for the engine")),
    (EvaluationInputError, 422, N_("Credentials cannot be evaluated")),
    (EngineQuarantined, 503, N_("Evaluation refused for now")),
    (EngineBusy, 503, N_("Evaluation engine busy")),
    (EngineError, 503, N_("Evaluation engine unavailable")),
)


def _register_error_handlers(app: Flask) -> None:
    def handle(exc: Exception) -> Any:
        status, title = next((s, t) for kind, s, t in _STATUS if isinstance(exc, kind))
        problems = [{"path": p.path, "message": p.message} for p in getattr(exc, "problems", ())]
        fields = getattr(exc, "fields", None)
        said = exc.message if isinstance(exc, ModelError) else str(exc)
        body, status = _error_response(status, title, said, problems, fields)
        response = app.make_response((body, status))
        if isinstance(exc, EngineBusy):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    for kind, _, _ in _STATUS:
        app.register_error_handler(kind, handle)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        title = _HTTP_TITLES.get(exc.code or 500, exc.name)
        body, status = _error_response(
            exc.code or 500, title, exc.description or exc.name, [], None,
            page_message=_HTTP_PAGE_MESSAGES.get(exc.code or 500),
        )  # fmt: skip
        response = app.make_response((body, status))
        for name, value in exc.get_headers():  # Allow on 405, Retry-After on 503, ...
            if name.lower() != "content-type":
                response.headers[name] = value
        return response


# HTTP errors in the page's language: the English is werkzeug's own name, so the API's titles
# stay as they were; the pages say the common ones in their own words.
_HTTP_TITLES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    413: N_("Request Entity Too Large"),
    429: N_("Too Many Requests"),
    503: N_("Service Unavailable"),
}
_HTTP_PAGE_MESSAGES = {
    404: N_("There is no page at this address. Check the address, or start again from the menu."),
    405: N_("This address does not take this kind of request."),
    413: N_("What was sent is larger than the desk accepts. Send a smaller file, or ask the "
            "people who run the desk for the command-line route."),
}  # fmt: skip


def _error_response(
    status: int, title: str, message: str, problems: list, fields: Any,
    page_message: str | None = None,
) -> Any:  # fmt: skip
    """JSON for the API (a stable shape), a page for people (with `page_message` when given)."""

    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        body: dict[str, Any] = {
            "error": {"status": status, "title": str(title), "message": str(message)}
        }
        if problems:
            body["error"]["problems"] = problems
        if fields:
            body["error"]["fields"] = fields
        return jsonify(body), status
    return render_template(
        "error.html", status=status, title=title, message=page_message or message,
        problems=problems,
    ), status  # fmt: skip
