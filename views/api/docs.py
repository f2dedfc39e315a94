"""The API's OpenAPI document, generated from the routes' marshmallow schemas, and a Swagger UI to
browse it at /api/docs.

The document is built from `app.url_map`: every v1 route carries an `ApiDoc` (see
`views.api.support.route`), so a route cannot be added without being described. Swagger UI's files
come from the installed `swagger-ui-bundle` package and are served from here (no CDN: many
deployments are offline); the page's only script besides the bundle is `static/api-docs.js`, so
the app's CSP (`script-src 'self'`, no inline script) holds for the docs too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, abort, current_app, jsonify, send_from_directory, url_for
from markupsafe import escape
from marshmallow import Schema
from swagger_ui_bundle import swagger_ui_path

from views.api.schemas import ErrorSchema
from views.api.support import PREFIX, ApiDoc

bp = Blueprint("api_docs", __name__)
SWAGGER_UI = Path(str(swagger_ui_path))
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"})
_CONVERTER = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
ERRORS = {
    400: "Malformed request: the body is not JSON, or not well-formed",
    401: "No API token, or an unknown, expired or revoked one",
    403: "Your role, or the token's scope (a `read` token cannot write), does not allow this",
    404: "No such object in your organisation",
    409: "Conflicts with what is stored (a stale case state, a reused idempotency key)",
    413: "The body is larger than the server accepts",
    415: "The body is not sent as application/json",
    422: "Invalid input: `fields` or `problems` name each path and what is wrong",
    429: "Too many evaluations started this minute; Retry-After says when to try again",
    503: "The evaluation engine is busy or unavailable (Retry-After when busy); nothing was stored",
}
DESCRIPTION = """\
Recognition and stacking decisions on micro-credentials. Authenticate with an API token
(`Authorization: Bearer <token>`; make one on the desk's account page or with `credstack tokens
create`); every call acts for the token's user, in their organisation only. Roles: admin
(policies), officer (cases, evaluations, decisions), viewer (read). Token scopes: `read` allows
GET only; `decide` allows every call the user's role allows. Tokens expire (at most a year).
Every error has the shape `{"error": {status, title, message, problems?, fields?}}`.
Request bodies are validated strictly: unknown fields and wrong types are refused (422).
"""


def _schema_name(schema: type[Schema] | Schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    return name[: -len("Schema")] if name.endswith("Schema") and name != "Schema" else name


def build_spec(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="credstack API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={"description": DESCRIPTION},
        security=[{"bearer": []}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    for status, text in ERRORS.items():
        content = {"application/json": {"schema": "Error"}}
        spec.components.response(f"Error{status}", {"description": text, "content": content})
    paths: dict[str, dict[str, Any]] = defaultdict(dict)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, sorted(r.methods or ()))):
        doc = getattr(app.view_functions[rule.endpoint], "api_doc", None)
        if not rule.rule.startswith(PREFIX + "/") or doc is None:
            continue
        path, parameters = _path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = _operation(doc, app.view_functions[rule.endpoint], parameters)
            operation["operationId"] = rule.endpoint.split(".")[-1]
            if method != "GET":  # a `read` token is refused every write
                operation["responses"].setdefault("403", "Error403")
            paths[path][method.lower()] = operation
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    parameters = []
    for match in _CONVERTER.finditer(rule):
        kind = "integer" if match["converter"] == "int" else "string"
        parameters.append(
            {"in": "path", "name": match["name"], "required": True, "schema": {"type": kind}}
        )
    return _CONVERTER.sub(lambda m: "{" + m["name"] + "}", rule), parameters


def _operation(doc: ApiDoc, view: Any, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    description = " ".join((view.__doc__ or "").split())
    operation: dict[str, Any] = {
        "summary": doc.summary,
        "description": f"{description} Role: {doc.roles}.".strip(),
        "tags": [doc.tag],
        "parameters": list(parameters),
        "responses": {},
    }
    if doc.query is not None:
        operation["parameters"].append({"in": "query", "schema": doc.query})
    for name, text in doc.headers:
        operation["parameters"].append(
            {"in": "header", "name": name, "description": text, "schema": {"type": "string"}}
        )
    if doc.body is not None:
        content = {"application/json": {"schema": doc.body}}
        operation["requestBody"] = {"required": True, "content": content}
    body: dict[str, Any] = {"schema": doc.response} if doc.response is not None else {}
    if doc.media != "application/json":
        body = {"schema": {"type": "string"}}
    operation["responses"][str(doc.status)] = {
        "description": {200: "OK", 201: "Created", 202: "Accepted"}[doc.status],
        "content": {doc.media: body},
    }
    for status in sorted(set(doc.errors) | {401}):
        operation["responses"][str(status)] = f"Error{status}"
    return operation


@bp.get(PREFIX + "/openapi.json")
def openapi() -> Any:
    spec = current_app.extensions.get("credstack_openapi")
    if spec is None:
        spec = current_app.extensions["credstack_openapi"] = build_spec(current_app)
    return jsonify(spec)


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>credstack API</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" type="image/png" href="{icon}">
</head>
<body>
<noscript><p>This page needs JavaScript. The API description itself is at
<a href="{spec}">{spec}</a>.</p></noscript>
<div id="swagger-ui" data-spec-url="{spec}"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


@bp.get("/api/docs")
def docs() -> Any:
    def asset(name: str) -> str:
        return str(escape(url_for("api_docs.docs_asset", name=name)))

    page = _PAGE.format(
        css=asset("swagger-ui.css"),
        icon=asset("favicon-32x32.png"),
        bundle=asset("swagger-ui-bundle.js"),
        init=escape(url_for("static", filename="api-docs.js")),
        spec=escape(url_for("api_docs.openapi")),
    )
    return page, 200, {"Content-Type": "text/html; charset=utf-8"}


@bp.get("/api/docs/assets/<name>")
def docs_asset(name: str) -> Any:
    if name not in ASSETS:
        abort(404)
    return send_from_directory(SWAGGER_UI, name, max_age=86_400)
