"""Set-up of the page tests: an app on a temporary database with two organisations, staff in
every role, the engine in-process, and a browser-like client that logs in and posts forms with
the CSRF token a page gave it. Test modules wrap `build_app` and `browsers` in their fixtures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from models.store import database as store
from tests.desk_builders import ENGINE, FAST, PASSWORD, Org, make_org

TOKEN = re.compile(rb'name="csrf_token" value="([^"]+)"')
EMPLOYER = "employer-upskilling.yaml"


@dataclass
class Desk:
    app: Flask
    path: str
    a: Org  # four-eyes off; the university and ENIC policies
    b: Org  # another organisation: the employer policy only

    def db(self) -> store.DB:
        return store.open_db(self.path)


def build_app(tmp_path: Any, **config: Any) -> Desk:
    path = str(tmp_path / "desk.sqlite")
    db = store.open_db(path)
    try:
        a = make_org(db, "alpha", four_eyes=config.pop("four_eyes", False))
        b = make_org(db, "beta", policies=(EMPLOYER,))
    finally:
        db.close()
    settings = {
        "TESTING": True,
        "DATABASE": path,
        "SECRET_KEY": "test-secret",
        "PASSWORD_HASHER": FAST,
        **config,
    }
    app = create_app(settings)
    app.extensions["credstack_evaluator"] = ENGINE  # in-process: fast and deterministic
    return Desk(app, path, a, b)


class Browser:
    """A test client that behaves like a browser: it keeps cookies and sends the CSRF token."""

    def __init__(self, client: FlaskClient):
        self.client = client
        self.token = ""

    def refresh_token(self, path: str = "/login") -> str:
        page = self.client.get(path)
        found = TOKEN.search(page.data)
        assert found, f"no CSRF token on {path}"
        self.token = found.group(1).decode()
        return self.token

    def login(self, email: str, password: str = PASSWORD) -> Any:
        self.refresh_token("/login")
        response = self.post("/login", {"email": email, "password": password})
        if response.status_code == 303:
            self.refresh_token("/policies")  # the token is bound to the new session
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        body = {"csrf_token": self.token, **(data or {})}
        return self.client.post(path, data=body, **kwargs)


def browsers(desk: Desk):
    """A factory: `make(user)` is a browser logged in as that user (anonymous for None)."""

    def make(user: Any = None) -> Browser:
        browser = Browser(desk.app.test_client())
        if user is not None:
            response = browser.login(user.email)
            assert response.status_code == 303, response.data[:500]
        return browser

    return make
