"""credstack application: the Flask app factory and the `credstack` command line."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify

from views.cli import cli

__all__ = ["cli", "create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "credstack.sqlite"),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    return app
