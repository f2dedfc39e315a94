"""API tokens' scopes and lifetime on the API: a `read` token reads but cannot write (403 with a
JSON error saying what it needs), a `decide` token writes, an expired or revoked token is 401 at
once, tokens from before scopes keep both, and a token's last use is noted (to the minute)."""

from __future__ import annotations

import datetime as dt

import pytest

from models.desk import tokens as desk_tokens
from tests.api_fixtures import (  # noqa: F401
    alpha_fixture,
    api_app_fixture,
    client_fixture,
    db_fixture,
    db_path_fixture,
)
from tests.desk_builders import case_data

IN_A_MONTH = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue(db, user, scopes, expires_at=IN_A_MONTH):
    return desk_tokens.issue_api_token(db, user, "test", scopes=scopes, expires_at=expires_at)


def open_case(client, token):
    return client.post(
        "/api/v1/cases", json=case_data("greta-nowak", "admission"), headers=bearer(token)
    )


@pytest.mark.parametrize(
    ("scopes", "read", "write"),
    [(("read",), 200, 403), (("decide",), 200, 201), (("read", "decide"), 200, 201)],
)
def test_a_read_token_reads_a_decide_token_also_writes(client, db, alpha, scopes, read, write):
    _, token = issue(db, alpha.org.officer, scopes)
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == read
    response = open_case(client, token)
    assert response.status_code == write, response.json
    if write == 403:
        error = response.json["error"]
        assert error["status"] == 403 and "scope 'decide'" in error["message"]
        assert db.conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0


def test_every_writing_method_needs_decide(client, db, alpha):
    _, token = issue(db, alpha.org.officer, ("read",))
    writes = [
        "/api/v1/evaluate",
        "/api/v1/policies",
        "/api/v1/batches",
        "/api/v1/cases/1/decisions",
    ]
    for method, path in [("POST", path) for path in writes]:
        response = client.open(path, method=method, json={}, headers=bearer(token))
        assert response.status_code == 403, (method, path, response.status_code)
    # a route that does not exist stays a 404 whatever the token may do
    assert client.post("/api/v1/nowhere", json={}, headers=bearer(token)).status_code == 404


def test_a_decide_token_does_not_lift_the_role(client, db, alpha):
    _, token = issue(db, alpha.org.viewer, ("decide",))
    assert open_case(client, token).status_code == 403  # a viewer opens no case, whatever scope
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 200


def test_a_revoked_or_expired_token_is_401_at_once(client, db, alpha):
    token_id, token = issue(db, alpha.org.officer, ("decide",))
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    desk_tokens.revoke_api_token(db, alpha.org.officer, token_id)
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 401 and "revoked" in response.json["error"]["message"]

    expiring_id, expiring = issue(db, alpha.org.officer, ("read",))
    assert client.get("/api/v1/me", headers=bearer(expiring)).status_code == 200
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    db.conn.execute("UPDATE api_tokens SET expires_at = ? WHERE id = ?", [past, expiring_id])
    response = client.get("/api/v1/me", headers=bearer(expiring))
    assert response.status_code == 401 and "expired" in response.json["error"]["message"]


def test_tokens_issued_before_scopes_keep_both(client, db, alpha):
    # the fixture's tokens are issued the way code issued them before scopes: no scopes asked
    row = db.conn.execute("SELECT scopes, expires_at FROM api_tokens LIMIT 1").fetchone()
    assert row == ("read decide", None)
    assert open_case(client, alpha.tokens["officer"]).status_code == 201


def test_the_last_use_is_noted_to_the_minute(client, db, alpha):
    token_id, token = issue(db, alpha.org.officer, ("read",))

    def used():
        query = "SELECT last_used_at FROM api_tokens WHERE id = ?"
        return db.conn.execute(query, [token_id]).fetchone()[0]

    assert used() is None
    client.get("/api/v1/me", headers=bearer(token))
    first = used()
    assert first is not None
    client.get("/api/v1/me", headers=bearer(token))
    assert used() == first  # within the minute: not written again


@pytest.mark.parametrize(
    ("scopes", "expires_at", "field"),
    [
        (("write",), IN_A_MONTH, "scopes"),
        ((), IN_A_MONTH, "scopes"),
        (("read",), dt.datetime.now(dt.UTC) - dt.timedelta(days=1), "expires"),
        (("read",), dt.datetime.now(dt.UTC) + dt.timedelta(days=400), "expires"),
    ],
)
def test_the_desk_refuses_bad_scopes_and_expiry(db, alpha, scopes, expires_at, field):
    from models.errors import InvalidInput

    with pytest.raises(InvalidInput) as raised:
        issue(db, alpha.org.officer, scopes, expires_at)
    assert field in raised.value.fields
