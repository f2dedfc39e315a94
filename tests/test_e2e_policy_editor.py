"""End to end in a real browser (Debian's Chromium through Playwright, the desk served by
`credstack serve` as in `test_e2e_browser`): an admin starts a draft from the published ENIC
policy, makes it a new version and types a contradiction into it, presses Check and sees the
error with the line it points at (its link puts the cursor in the text), fixes it, runs the impact
report on the stored cases, is refused while the new version's period overlaps the one in force,
supersedes that one from a date and publishes; the new version is on the policies page."""

from __future__ import annotations

import re

import pytest

from tests.test_e2e_browser import ARGS, CHROMIUM, log_in, server  # noqa: F401 - the fixture

pytestmark = pytest.mark.skipif(
    not __import__("pathlib").Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent"
)

ENIC_ID = "enic-se-foreign-microcredentials"
LEVEL = "  checks:\n    level:\n    - element: eqf_level\n      op: gte\n      value: 6\n"
CONTRADICTION = LEVEL + "    - element: eqf_level\n      op: lte\n      value: 5\n"


def test_an_admin_fixes_a_draft_runs_the_impact_report_and_publishes(server):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base, passwords = server
    admin = "admin@malarvik.example"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            log_in(page, base, admin, passwords[admin])
            page.goto(f"{base}/policies/{ENIC_ID}/2026.2")
            page.get_by_role("button", name="Start a draft from this version").click()
            page.wait_for_url(re.compile(r".*/policies/drafts/\d+$"))
            editor = page.url
            text = page.get_by_label("The policy (YAML), as written")
            written = text.input_value()
            assert LEVEL in written, written[:800]
            newer = written.replace("version: '2026.2'", "version: '2027.1'").replace(
                "effective_from: '2026-03-01'", "effective_from: '2027-01-01'"
            )
            broken = newer.replace(LEVEL, CONTRADICTION, 1)
            line = broken[: broken.index(CONTRADICTION)].count("\n") + 2  # the "level:" line

            text.fill(broken)  # the change, typed into the text
            problems = page.locator("#problems")
            error = problems.locator("li.severity-error").filter(has_text="never hold together")
            expect(error).to_contain_text(f"line {line}")  # re-checked after a pause in typing
            page.get_by_role("button", name="Check", exact=True).click()  # and without script
            page.wait_for_url(f"{editor}/check")
            expect(error).to_contain_text(f"line {line}")
            expect(error).to_contain_text("recognition[0].checks.level")
            expect(page.get_by_text("nothing was saved", exact=False)).to_be_visible()
            error.get_by_role("link", name=f"line {line}").click()
            expect(text).to_be_focused()  # the link puts the cursor on that line

            text.fill(newer)  # the fix
            page.get_by_role("button", name="Check", exact=True).click()
            page.wait_for_url(f"{editor}/check")
            expect(problems.locator("li.severity-error")).to_have_count(0)
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_text("Draft saved.")).to_be_visible()

            page.get_by_role("link", name="See the impact on stored cases first").click()
            page.wait_for_url(f"{editor}/impact")
            page.get_by_role("button", name="Run the impact report").click()
            page.wait_for_url(re.compile(r".*/policies/impact/\d+$"))
            expect(page.get_by_text("cases compared", exact=False)).to_be_visible(timeout=60000)

            page.goto(editor)
            page.get_by_role("button", name="Publish this draft").click()
            refusal = page.locator("#refusal")
            expect(refusal).to_contain_text("overlaps version 2026.2")
            page.get_by_label("Version it supersedes").select_option("2026.2")
            page.get_by_label("Takes over from").fill("2027-01-01")
            page.get_by_role("button", name="Publish this draft").click()
            page.wait_for_url(f"{base}/policies/{ENIC_ID}/2027.1")
            expect(page.get_by_text(f"Published {ENIC_ID} version 2027.1.")).to_be_visible()
            expect(page.get_by_text("supersedes version 2026.2", exact=False)).to_be_visible()

            page.goto(f"{base}/policies")
            versions = page.get_by_role("link", name="2027.1", exact=True)
            expect(versions).to_be_visible()
        finally:
            browser.close()
