"""Login throttling across real server processes: gunicorn with 2 workers on one database counts
the failures of one account once in total (the in-memory limit it replaces counted per process:
10 attempts got checked with a limit of 5), lets the owner in from another address while the
guessing address waits, and keeps the counts across a restart.

The clients connect from 127.0.0.1 and 127.0.0.2 (both loopback addresses on Linux), so the
server sees two client addresses.
"""

from __future__ import annotations

import http.client
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from models.store import database as store
from tests.api_fixtures import Server
from tests.desk_builders import PASSWORD, make_org

WRONG = "wrong password!!"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def second_loopback_works() -> bool:
    try:
        with socket.socket() as sock:
            sock.bind(("127.0.0.2", 0))
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not second_loopback_works(), reason="needs 127.0.0.2")


class HttpBrowser:
    """A browser at one source address: the login page's CSRF cookie and token, then posts."""

    def __init__(self, server: Server, source: str):
        self.server, self.source = server, source
        status, headers, page = self.request("GET", "/login")
        assert status == 200
        self.cookie = re.search(r"credstack_csrf=([^;]+)", headers["set-cookie"]).group(1)
        self.token = TOKEN.search(page).group(1)

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.server.port, timeout=30, source_address=(self.source, 0)
        )
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            found = {k.lower(): v for k, v in response.getheaders()}
            return response.status, found, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def login(self, email: str, password: str) -> tuple[int, dict[str, str]]:
        body = urlencode({"csrf_token": self.token, "email": email, "password": password})
        status, headers, _ = self.request("POST", "/login", body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"credstack_csrf={self.cookie}",
        })  # fmt: skip
        return status, headers


def guess_until_refused(browser: HttpBrowser, email: str) -> tuple[int, dict[str, str]]:
    """Wrong passwords two at a time (so both workers take some) until one is refused: the
    number checked (401) and the first refusal's headers."""
    checked = 0
    with ThreadPoolExecutor(2) as pool:
        for _ in range(15):
            replies = list(pool.map(lambda _: browser.login(email, WRONG), range(2)))
            assert {status for status, _ in replies} <= {401, 429}, replies
            checked += sum(status == 401 for status, _ in replies)
            refused = [headers for status, headers in replies if status == 429]
            if refused:
                return checked, refused[0]
    raise AssertionError("never throttled")


def warm_up(server: Server) -> None:
    """Give the second worker time to load the app before the guessing starts."""
    browser = HttpBrowser(server, "127.0.0.1")
    with ThreadPoolExecutor(2) as pool:
        for _ in range(6):
            list(pool.map(lambda _: browser.request("GET", "/healthz"), range(2)))
            time.sleep(0.25)


def test_two_workers_count_one_account_s_failures_once_and_restarts_keep_them(tmp_path):
    path = tmp_path / "desk.sqlite"
    db = store.open_db(path)
    email = make_org(db, "alpha").officer.email
    db.close()
    log = tmp_path / "gunicorn.log"
    server = Server(path, workers=2, log=log)
    server.start()
    try:
        warm_up(server)
        guesser = HttpBrowser(server, "127.0.0.1")
        checked, refusal = guess_until_refused(guesser, email)
        status, headers = guesser.login(email, PASSWORD)  # the right password, while it waits
        owner = HttpBrowser(server, "127.0.0.2")
        owner_status, _ = owner.login(email, PASSWORD)
    finally:
        server.stop()
    assert checked == 5  # not 10: one count for both workers
    assert refusal["retry-after"] == "1"
    assert status == 429 and headers["retry-after"] == "1"
    assert owner_status == 303  # the owner from another address is not held back
    pids = set(re.findall(r"^<(\d+)> POST /login 401", log.read_text(errors="replace"), re.M))
    assert len(pids) == 2, pids  # both workers checked some of the five
    print(f"\nlogin attempts across 2 gunicorn workers before throttling: {checked}")

    restarted = Server(path, workers=2, log=log)
    restarted.start()
    try:
        guesser = HttpBrowser(restarted, "127.0.0.1")
        time.sleep(1.0)  # the 1 s wait after the fifth failure is over
        sixth, _ = guesser.login(email, WRONG)
        status, headers = guesser.login(email, WRONG)
    finally:
        restarted.stop()
    assert sixth == 401  # checked: its wait was over ...
    assert status == 429 and headers["retry-after"] == "2"  # ... and it was the sixth failure
