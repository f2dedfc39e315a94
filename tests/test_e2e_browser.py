"""End to end in a real browser: Debian's Chromium driven by Playwright for Python.

`credstack serve` runs in a subprocess on a free 127.0.0.1 port with a temporary database seeded
with the demo. An officer logs in, filters the queue, opens a recognition case, evaluates it,
decides with a justification and sees the decision in the history; a second officer confirms it
(the demo university requires four eyes) and the decision letter shows the justification. An
officer finds a case by the applicant's name, is refused without a justification (the error
summary at the top has the focus), decides; a second officer finds it under "Needs my
confirmation", checks it and returns it once with a reason, which the author reads before
deciding again, and then confirms it.
Playwright never downloads a browser here (`playwright install` is never run): it drives
/usr/bin/chromium, which CI installs from Debian's packages.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
JUSTIFICATION = "Alternative recognition as proposed: the workload is 6 of the 7.5 credits."

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is absent: install Debian's chromium (CI's .ci/run does)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """The desk in a subprocess: (base URL, {e-mail: password}) once it answers /healthz."""
    port = free_port()
    command = [
        sys.executable, "-c", "from views.cli.serve import serve_command; serve_command()",
        "--host", "127.0.0.1", "--port", str(port), "--db", str(tmp_path / "desk.sqlite"),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CREDSTACK_ENV": "development"}
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True).start()
    passwords: dict[str, str] = {}
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"the server did not start: {(tmp_path / 'server.log').read_text()}")
            found = re.match(r"\s+\w+\s+\w+\s+(\S+@\S+)\s+(\S+)$", line)
            if found:
                passwords[found.group(1)] = found.group(2)
            if line.startswith("credstack desk:"):
                break
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        yield base, passwords
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        process.stdout.close()
        log.close()


def log_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/cases")


def test_officer_decides_a_case_and_a_second_officer_confirms(server):
    from playwright.sync_api import expect, sync_playwright

    base, passwords = server
    officer, second = "officer@malarvik.example", "officer2@malarvik.example"
    assert officer in passwords and second in passwords
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            log_in(page, base, officer, passwords[officer])

            page.keyboard.press("Tab")  # the first stop is the skip link, then the menu
            assert page.evaluate("document.activeElement.className") == "skip-link"

            page.get_by_label("Purpose").select_option("admission")
            page.get_by_role("button", name="Filter").click()
            page.get_by_role("link", name=re.compile(r"^Case \d{4}-\d{4}$")).first.click()
            case_url = page.url
            expect(page.get_by_role("heading", name="The engine's proposal")).to_be_visible()
            expect(page.get_by_text("Not evaluated yet.")).to_be_visible()

            page.get_by_role("button", name="Evaluate").click()
            expect(
                page.get_by_text(re.compile(r"Evaluated under the case's policy"))
            ).to_be_visible()
            expect(page.get_by_text("Proposed decision:").first).to_be_visible()

            page.get_by_label("Accept the proposal").check()
            page.get_by_role("button", name="Record the decision").click()  # no justification
            refused = page.locator("#err-justification")
            expect(refused).to_contain_text("a justification is required")

            page.get_by_label("Accept the proposal").check()
            page.get_by_label("Justification").fill(JUSTIFICATION)
            page.get_by_role("button", name="Record the decision").click()
            expect(page.get_by_text(re.compile(r"Decision \d+ recorded"))).to_be_visible()
            history = page.locator("#history")
            expect(history).to_contain_text(JUSTIFICATION)
            expect(history).to_contain_text("Accepted the proposal")
            expect(history).to_contain_text("Not yet confirmed by a second officer")

            page.get_by_role("button", name="Log out").click()
            log_in(page, base, second, passwords[second])
            page.goto(case_url)
            page.get_by_role("button", name=re.compile(r"^Confirm decision \d+$")).click()
            expect(page.locator("#history")).to_contain_text("Confirmed by you")

            page.get_by_role("link", name="Decision letter").click()
            expect(page.get_by_role("heading", name="How to appeal")).to_be_visible()
            expect(page.locator("article")).to_contain_text(JUSTIFICATION)
        finally:
            browser.close()


def test_officer_opens_a_case_with_a_request_and_the_letter_states_the_answer(server):
    """An officer opens a case from a wallet, a request and the applicant's facts, sees the answer
    to the request first, decides it, and the letter states the answer, reasons and options."""
    import json

    from playwright.sync_api import expect, sync_playwright

    base, passwords = server
    officer = "officer@malarvik.example"
    bjorn = (ROOT / "fixtures" / "learners" / "bjorn-lindqvist.json").read_text(encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            log_in(page, base, officer, passwords[officer])
            page.goto(f"{base}/cases/new")
            page.locator("#purpose").select_option("credit")
            page.locator("#application_date").fill("2026-09-01")
            page.locator("#received_on").fill("2026-09-01")
            page.locator("#policy").select_option("malarvik-msc-ds-credit@2026.1")
            page.locator("#wallet_text").fill(bjorn)
            page.locator("#request_text").fill(json.dumps({"items": [{"request": "elective"}]}))
            page.locator("#applicant_text").fill(json.dumps({"admission_offer": True}))
            page.get_by_role("button", name="Open the case").click()
            page.get_by_role("button", name="Evaluate").click()
            asked = page.get_by_role("heading", name="What the applicant asked for")
            expect(asked).to_be_visible()
            rules = page.get_by_role("heading", name="Rules, criteria and targets")
            assert asked.bounding_box()["y"] < rules.bounding_box()["y"]  # the answer comes first
            expect(page.locator("#proposal")).to_contain_text("Credit not granted")
            page.get_by_label("Accept the proposal").check()
            page.get_by_label("Justification").fill("No credential reaches EQF 6 with QA.")
            page.get_by_role("button", name="Record the decision").click()
            expect(page.get_by_text(re.compile(r"Decision \d+ recorded"))).to_be_visible()
            page.get_by_role("link", name="Decision letter").click()
            letter = page.locator("article")
            expect(letter).to_contain_text("Credit as a programme elective")
            expect(letter).to_contain_text("Credit not granted")
            expect(letter).to_contain_text("individual assessment of your prior learning")
        finally:
            browser.close()


def test_a_decision_is_returned_once_and_then_confirmed(server):
    from playwright.sync_api import expect, sync_playwright

    base, passwords = server
    officer, second = "officer@malarvik.example", "officer2@malarvik.example"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            log_in(page, base, officer, passwords[officer])
            author = page.locator(".nav-user").inner_text().rsplit(" (", 1)[0]
            page.get_by_role("searchbox", name="Search").fill("Farid")
            page.get_by_role("button", name="Filter").click()
            expect(page.locator("table.queue")).to_contain_text("Farid Rahimi")
            page.get_by_role("link", name=re.compile(r"^Case \d{4}-\d{4}$")).first.click()
            case_url = page.url.split("#")[0]
            if page.get_by_role("button", name="Evaluate", exact=True).count():
                page.get_by_role("button", name="Evaluate", exact=True).click()

            page.get_by_label("Accept the proposal").check()
            page.get_by_role("button", name="Record the decision").click()  # no justification
            summary = page.locator("#decide-summary")
            expect(summary).to_contain_text("a justification is required")
            assert page.evaluate("document.activeElement.id") == "decide-summary"
            form = page.locator("#justification").bounding_box()
            assert summary.bounding_box()["y"] < form["y"]  # at the top of the form region
            page.get_by_label("Accept the proposal").check()
            page.get_by_label("Justification").fill(JUSTIFICATION)
            page.get_by_role("button", name="Record the decision").click()
            expect(page.get_by_text(re.compile(r"Decision \d+ recorded"))).to_be_visible()
            expect(page.locator("#decide")).to_contain_text("locked")
            page.get_by_role("button", name="Log out").click()

            log_in(page, base, second, passwords[second])
            page.get_by_role("link", name="Needs my confirmation").click()
            page.get_by_role("link", name=re.compile(r"^Case \d{4}-\d{4}$")).first.click()
            panel = page.locator("#confirm")
            expect(panel).to_contain_text(JUSTIFICATION)
            expect(panel).to_contain_text(author)
            expect(panel).to_contain_text("Alternative recognition")
            page.get_by_text("Return to author with a reason").click()
            page.get_by_label("Reason").fill("Name the source of the workload figure.")
            page.get_by_role("button", name="Return to author", exact=True).click()
            expect(page.get_by_text(re.compile(r"returned to its author with"))).to_be_visible()
            page.get_by_role("button", name="Log out").click()

            log_in(page, base, officer, passwords[officer])
            page.goto(case_url)
            expect(page.locator("#returned")).to_contain_text("Name the source of the workload")
            page.get_by_label("Accept the proposal").check()
            page.get_by_label("Justification").fill(JUSTIFICATION + " Source: the transcript.")
            page.get_by_role("button", name="Record the decision").click()
            expect(page.get_by_text(re.compile(r"Decision \d+ recorded"))).to_be_visible()
            page.get_by_role("button", name="Log out").click()

            log_in(page, base, second, passwords[second])
            page.goto(case_url)
            expect(page.locator("#confirm")).to_contain_text("Source: the transcript.")
            page.get_by_role("button", name=re.compile(r"^Confirm decision \d+$")).click()
            expect(page.locator("#history")).to_contain_text("Confirmed by you")
            expect(page.locator("#history")).to_contain_text("Returned to its author by you")

            # The letter sent is a PDF in the applicant's language, kept as issued.
            for language, words in LETTER_WORDS.items():
                text = issued_letter_text(page, base, language)
                for expected in words:
                    assert expected in text, (language, expected)
        finally:
            browser.close()


# What the PDF letter on Farid's confirmed decision must state: the decided outcome, the
# credential by title and awarding body, the signatory and the appeal route (the demo's settings).
LETTER_WORDS = {
    "en": (
        "Alternative recognition",
        "Data Analytics with Python",
        "Zuiderzee University of Applied Sciences",
        "Sara Lindgren",
        "Higher Education Appeals Board",
    ),
    "sv": (
        "Alternativt erkännande",
        "Data Analytics with Python",
        "Zuiderzee University of Applied Sciences",
        "Sara Lindgren",
        "Överklagandenämnden för högskolan",
    ),
}


def issued_letter_text(page, base: str, language: str) -> str:
    """Issue the letter in `language` from the case page, download it, return its text."""
    import io

    from pypdf import PdfReader

    name = {"en": "English", "sv": "Svenska"}[language]
    page.locator("#letter-language").select_option(language)
    page.get_by_role("button", name="Issue letter (PDF)").click()
    link = page.locator("#letters li a", has_text=f"PDF, {name}").last
    response = page.context.request.get(base + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
