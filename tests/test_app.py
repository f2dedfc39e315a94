"""The app factory: configuration safety, security headers, one error shape for the API."""

from __future__ import annotations

import pytest

from app import SECURITY_HEADERS, ConfigurationError, create_app
from models.desk.checkpoints import generate_key


@pytest.fixture
def client(tmp_path):
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "t.sqlite")})
    return app.test_client()


def test_refuses_to_start_outside_development_with_the_default_secret(tmp_path):
    with pytest.raises(ConfigurationError, match="CREDSTACK_SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "dev"})
    with pytest.raises(ConfigurationError, match="CREDSTACK_LEARNER_KEY_SECRET"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "x" * 32})
    secrets = {"ENV_NAME": "production", "SECRET_KEY": "x" * 32, "LEARNER_KEY_SECRET": "y" * 32}
    with pytest.raises(ConfigurationError, match="CREDSTACK_AUDIT_KEY"):
        create_app(secrets)
    with pytest.raises(ConfigurationError, match="CREDSTACK_ISSUER_KEY"):
        create_app({**secrets, "AUDIT_KEY": generate_key()})
    app = create_app({**secrets, "AUDIT_KEY": generate_key(), "ISSUER_KEY": generate_key()})
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("key", ["not a key", "c2hvcnQ=", "-----BEGIN PRIVATE KEY-----\nAAAA\n"])
def test_refuses_to_start_with_an_audit_key_that_is_not_an_ed25519_private_key(key):
    with pytest.raises(ConfigurationError, match="CREDSTACK_AUDIT_KEY") as refused:
        create_app({"AUDIT_KEY": key})  # in development too: a set key must be usable
    assert key not in str(refused.value)  # the key is never echoed


def test_health_and_security_headers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_unknown_api_route_gives_the_stable_json_error_shape(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["status"] == 404
    assert set(response.json["error"]) >= {"status", "title", "message"}


def test_unknown_page_gives_an_html_error_page(client):
    response = client.get("/nothing-here", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert b"<h1>Not Found</h1>" in response.data
