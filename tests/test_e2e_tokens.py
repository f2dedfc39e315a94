"""End to end in a real browser (Debian's Chromium driven by Playwright, as in
`tests/test_e2e_browser.py`): an officer creates an API token on their account page, the token
reads the API from outside the browser, cannot write with the `read` scope, is not shown again,
and stops working the moment it is revoked on the page."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.test_e2e_browser import ARGS, CHROMIUM, log_in, server  # noqa: F401

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent")


def call(base: str, token: str, method: str = "GET", path: str = "/api/v1/cases") -> int:
    body = json.dumps({}).encode() if method != "GET" else None
    request = urllib.request.Request(f"{base}{path}", data=body, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_token_made_on_the_account_page_works_until_revoked_there(server):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base, passwords = server
    officer = "officer@malarvik.example"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            log_in(page, base, officer, passwords[officer])
            page.get_by_role("link", name="Account").click()
            expect(page.get_by_role("heading", name="Your account")).to_be_visible()
            expect(page.get_by_text("You have no API token.")).to_be_visible()

            page.get_by_label("Name (what the token is for)").fill("reporting script")
            page.get_by_label("Expires after").select_option("30")
            page.get_by_role("button", name="Create the token").click()
            expect(page.get_by_text("it is shown only this once")).to_be_visible()
            token = page.locator("#new-token").input_value()
            assert len(token) >= 40 and token not in page.url

            assert call(base, token) == 200
            assert call(base, token, "POST", "/api/v1/evaluate") == 403  # read scope only

            page.goto(f"{base}/account")
            assert token not in page.content()  # shown once
            row = page.get_by_role("row", name="reporting script")
            expect(row).to_contain_text("active")
            row.get_by_role("button", name="Revoke the token reporting script").click()
            expect(page.get_by_text("is revoked: it no longer works")).to_be_visible()
            expect(page.get_by_role("row", name="reporting script")).to_contain_text("revoked")
            assert call(base, token) == 401
        finally:
            browser.close()
