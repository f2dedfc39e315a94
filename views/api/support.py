"""The JSON API's plumbing: the v1 blueprint, bearer-token authentication, strict JSON bodies and
query strings, replies dumped through schemas, and the per-route notes the OpenAPI document is
generated from.

Every route of the v1 blueprint is authenticated (fail closed: `authenticate` runs before any of
them); the acting user — and so the organisation — comes from the token only. A token's scopes
are checked here, by method: `read` allows GET (and HEAD), every other method needs `decide`
(403 otherwise). Roles are checked by the desk functions the routes call. Errors are raised as
exceptions and turned into the one JSON error shape by `app.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from marshmallow import Schema
from werkzeug.exceptions import BadRequest, Forbidden, Unauthorized, UnsupportedMediaType

from models.desk import tokens as desk_tokens
from models.desk.records import User, load_input
from models.errors import InvalidInput
from rules.characters import unsafe_strings
from views.context import get_db

PREFIX = "/api/v1"
READ_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_NESTING = 40  # as for policy documents and wallets
bp = Blueprint("api_v1", __name__, url_prefix=PREFIX)


@dataclass(frozen=True)
class ApiDoc:
    """What the OpenAPI document says about one route; the view itself stays plain Flask."""

    summary: str
    tag: str
    roles: str  # who may call it, in words (the desk enforces it)
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: Schema | None = None  # None: the route answers with a free-form JSON object
    status: int = 200
    errors: tuple[int, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # request headers: (name, description)
    media: str = "application/json"  # the success response's media type


def route(rule: str, method: str, doc: ApiDoc) -> Callable[[Callable], Callable]:
    """Add a view to the v1 blueprint for one method and attach its OpenAPI notes."""

    def wrap(view: Callable) -> Callable:
        view.api_doc = doc  # type: ignore[attr-defined]
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=[method])
        return view

    return wrap


@bp.before_request
def authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send the API token as 'Authorization: Bearer <token>'")
    access = desk_tokens.token_access(get_db(), token.strip())
    if access is None:
        raise Unauthorized(
            "the API token is unknown, expired or revoked, or its user is deactivated"
        )
    g.api_user = access.user
    # A route that does not exist answers 404/405 as it would for any token.
    if request.routing_exception is None and request.method not in READ_METHODS:
        if not access.may_write:
            raise Forbidden(
                f"this API token has the scope 'read' only: {request.method} needs a token with "
                "the scope 'decide' (create one on your account page or with `credstack tokens "
                "create --scope decide`)"
            )


@bp.after_request
def api_headers(response: Response) -> Response:
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="credstack"'
    response.headers["Cache-Control"] = "no-store"  # case data is personal data
    return response


def acting_user() -> User:
    return g.api_user


# ---- request bodies and query strings ---------------------------------------------------------


class _Malformed(ValueError):
    """A JSON text that parses but is not acceptable (duplicate keys, NaN)."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Malformed(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise _Malformed(f"{name} is not a JSON number")


def _too_deep(data: Any) -> bool:
    stack = [(data, 0)]
    while stack:
        value, level = stack.pop()
        if level > MAX_NESTING:
            return True
        if isinstance(value, dict):
            stack.extend((v, level + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, level + 1) for v in value)
    return False


def json_body() -> Any:
    """The request body as JSON: 415 if it is not JSON, 413 if too large, 400 if malformed."""
    if not request.is_json:
        raise UnsupportedMediaType("send the body as JSON with 'Content-Type: application/json'")
    raw = request.get_data(cache=True)  # werkzeug raises 413 beyond MAX_CONTENT_LENGTH
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"malformed JSON: the body is not UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except RecursionError:
        raise BadRequest("malformed JSON: it nests too deeply") from None
    except ValueError as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None
    if _too_deep(data):
        raise BadRequest(f"malformed JSON: it nests deeper than {MAX_NESTING} levels")
    for path, why in unsafe_strings(data):
        if "surrogate" in why:  # not Unicode at all: nothing past this point could store it
            raise BadRequest(f"invalid Unicode at {path or 'the top level'}: {why}")
    return data


def query(schema: Schema) -> dict[str, Any]:
    """The query string through a strict schema: unknown or repeated parameters are refused."""
    repeated = {k: "given more than once" for k in request.args if len(request.args.getlist(k)) > 1}
    if repeated:
        raise InvalidInput(repeated)
    return load_input(schema, request.args.to_dict())


# ---- replies ----------------------------------------------------------------------------------


def reply(schema: Schema | None, value: Any, status: int = 200, location: str | None = None) -> Any:
    """JSON of `value` dumped through `schema` (only declared fields leave the server)."""
    body = value if schema is None else schema.dump(value)
    response = jsonify(body)
    response.status_code = status
    if location is not None:
        response.headers["Location"] = location
    return response
