"""No desk page is wider than the screen, on a phone (390 px) or a desktop (1280 px): every page
an admin and an officer reach, opened in Debian's Chromium through Playwright."""

from __future__ import annotations

import re

import pytest

from tests.test_e2e_browser import ARGS, CHROMIUM, log_in, server  # noqa: F401 - the fixture

pytestmark = pytest.mark.skipif(
    not __import__("pathlib").Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent"
)
PAGES = ("/cases", "/cases/new", "/cases/new/paper", "/cases/new/bulk", "/policies", "/audit")
ADMIN_PAGES = ("/policies/new", "/logins")
WIDER = "document.documentElement.scrollWidth - window.innerWidth"


def reachable(page, base: str) -> list[str]:
    """The fixed pages, and every case and policy page the queue and the list link to."""
    found = []
    for path in ("/cases", "/policies"):
        page.goto(f"{base}{path}")
        for href in page.eval_on_selector_all("main a[href]", "xs => xs.map(x => x.pathname)"):
            if re.fullmatch(r"/cases/\d+|/policies/[^/]+/[^/]+", href) and href not in found:
                found.append(href)
    return found[:8]  # the pages differ by their data, not their layout, beyond a few


@pytest.mark.parametrize("who", ["admin@malarvik.example", "officer@malarvik.example"])
def test_no_page_is_wider_than_the_screen(server, who):  # noqa: F811
    from playwright.sync_api import sync_playwright

    base, passwords = server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            log_in(page, base, who, passwords[who])
            paths = [*PAGES, *(ADMIN_PAGES if who.startswith("admin") else ())]
            paths += reachable(page, base)
            too_wide = {}
            for width in (390, 1280):
                page.set_viewport_size({"width": width, "height": 900})
                for path in paths:
                    response = page.goto(f"{base}{path}")
                    if response.status in (403, 404):
                        continue  # not this role's page
                    over = page.evaluate(WIDER)
                    if over > 0:
                        too_wide[f"{path} at {width} px"] = over
            assert too_wide == {}
        finally:
            browser.close()
