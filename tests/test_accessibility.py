"""Every desk page, in English and Swedish, at 1280 px and 390 px: axe-core finds no violation
and no page is wider than the viewport.

The pages are found by following the links a member of staff sees (admin and officer, after one
case has been evaluated), one page per kind of address, so a new page is covered as soon as
something links to it. axe-core comes with the `axe-playwright-python` package (no download);
Chromium is Debian's, as in `tests/test_e2e_browser.py`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.test_e2e_browser import ARGS, CHROMIUM, log_in, server  # noqa: F401 - the fixture

WIDTHS = (1280, 390)
LANGUAGES = ("en", "sv")
MAX_PAGES = 40  # per member of staff
# Addresses that are not pages to read: downloads, machine formats, the API.
NOT_PAGES = re.compile(r"^/(api|static)/|\.(pdf|json|jsonld|csv|xlsx)$|/(credential|download)\b")

pytestmark = pytest.mark.skipif(
    not __import__("pathlib").Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent"
)


def kind_of(path: str) -> tuple[str, tuple[str, ...]]:
    """One page per route and set of query keys: /cases/12 and /cases/40 are the same kind."""
    parts = urlsplit(path)
    keys = tuple(sorted({k.split("=")[0] for k in parts.query.split("&") if k}))
    return re.sub(r"/\d+", "/N", parts.path), keys


def reachable_pages(page, base: str) -> list[str]:
    """Same-site GET pages reachable from the queue by links, one per kind."""
    todo, kinds, found = ["/cases"], set(), []
    while todo and len(found) < MAX_PAGES:
        path = todo.pop(0)
        kind = kind_of(path)
        if kind in kinds or NOT_PAGES.search(urlsplit(path).path):
            continue
        kinds.add(kind)
        response = page.goto(base + path)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        landed = urlsplit(page.url)
        path = landed.path + (f"?{landed.query}" if landed.query else "")
        if path in found:  # a redirect to a page already seen
            continue
        kinds.add(kind_of(path))
        found.append(path)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(href)
            if parts.netloc == urlsplit(base).netloc:
                todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def audit_pages(context, base: str, paths: list[str]) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    axe, problems = Axe(), []
    page = context.new_page()
    for language in LANGUAGES:
        context.add_cookies([{"name": "credstack_lang", "value": language, "url": base}])
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for path in paths:
                page.goto(base + path)
                if "/letter" not in path:  # a letter speaks the applicant's language
                    assert page.locator("html").get_attribute("lang") == language, path
                for violation in axe.run(page).response["violations"]:
                    targets = [n["target"] for n in violation["nodes"]][:3]
                    problems.append(f"{language} {width}px {path}: {violation['id']} {targets}")
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if overflow > 0:
                    problems.append(
                        f"{language} {width}px {path}: {overflow}px wider than the view"
                    )
    page.close()
    return problems


def decide_one_case(page, base: str) -> None:
    """One evaluated case with a decision awaiting its second officer (the demo university
    has four eyes): the proposal, the locked decide form, the confirm panel, the letter."""
    page.get_by_role("link", name=re.compile(r"\d")).first.click()
    page.get_by_role("button", name="Evaluate").click()
    page.get_by_label("Accept the proposal").check()
    page.get_by_label("Justification").fill("As proposed: the evidence meets the policy.")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state()


def test_every_page_passes_axe_in_both_languages_at_both_widths(server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    base, passwords = server
    staff = ("officer@malarvik.example", "officer2@malarvik.example", "admin@malarvik.example")
    problems: list[str] = []
    covered: list[str] = []
    audited: set = set()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            anonymous = browser.new_context()
            problems += audit_pages(anonymous, base, ["/login"])
            anonymous.close()
            for email in staff:
                context = browser.new_context()
                page = context.new_page()
                log_in(page, base, email, passwords[email])
                if email == staff[0]:
                    decide_one_case(page, base)
                # What a role changes is the case page (forms, the confirm panel) and which
                # pages it reaches; a kind of page already audited is not audited again.
                paths = [
                    p
                    for p in reachable_pages(page, base)
                    if kind_of(p) not in audited or re.fullmatch(r"/cases/\d+", p)
                ]
                audited |= set(map(kind_of, paths))
                covered += paths
                page.close()
                problems += audit_pages(context, base, paths)
                context.close()
        finally:
            browser.close()
    assert len(set(map(kind_of, covered))) >= 12, covered  # the crawl reached the desk
    assert problems == [], "\n".join(problems)
