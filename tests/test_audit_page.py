"""The audit page reads as sentences: people by name, details as pairs (never Python dict text),
filters by action, person, date and case, and pages."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

from models.desk import audit_reads
from models.desk import cases as desk_ops
from models.store import database as store
from tests.desk_builders import ENGINE, case_data
from tests.web_fixtures import browsers, build_app


@pytest.fixture
def desk(tmp_path):
    return build_app(tmp_path)


@pytest.fixture
def web(desk):
    return browsers(desk)


def open_cases(desk, officer, learners):
    db = desk.db()
    try:
        found = []
        for learner in learners:
            case = desk_ops.open_case(db, officer, case_data(learner, "admission"))
            desk_ops.evaluate_case(db, officer, case.id, ENGINE)
            found.append(case)
        return found
    finally:
        db.close()


def page(browser, query=""):
    response = browser.get(f"/audit{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def rows(html):
    return re.findall(r"<tr>\s*<td data-label=\"#\">(\d+)</td>(.*?)</tr>", html, re.S)


def test_people_by_name_and_details_never_as_dict_text(desk, web):
    (case,) = open_cases(desk, desk.a.officer, ["farid-rahimi"])
    html = page(web(desk.a.viewer))
    assert f"Opened case {case.id}." in html
    assert f"Evaluated case {case.id} against its policy." in html
    assert "user #" not in html and "{'" not in html and "['" not in html
    who = re.findall(r'data-label="Who">([^<]*)<', html)
    assert "officer" in who and "admin" in who  # display names, never ids
    assert "<dt>fingerprint</dt><dd>sha256:" in html  # details as key/value pairs


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?event=case_created", {"Opened case 1.", "Opened case 2."}),
        ("?case=2", {"Opened case 2.", "Evaluated case 2 against its policy.",
                     "Added credentials to case 2.", "Changed the status of case 2."}),
        ("?person=OFFICER2&event=case_created", {"Opened case 2."}),
        ("?until=2000-01-01", set()),
        ("?since=2000-01-01&case=1&event=evaluation_stored", {
            "Evaluated case 1 against its policy."}),
    ],
)  # fmt: skip
def test_filters(desk, web, query, expected):
    open_cases(desk, desk.a.officer, ["farid-rahimi"])
    open_cases(desk, desk.a.officer2, ["greta-nowak"])
    html = page(web(desk.a.admin), query.replace("OFFICER2", str(desk.a.officer2.id)))
    shown = set(re.findall(r'data-label="What">([^<]*)<', html))
    assert shown == expected
    if not expected:
        assert "No entry matches these filters." in html


def test_a_bad_date_is_shown_beside_its_field(desk, web):
    html = page(web(desk.a.viewer), "?since=yesterday")
    assert re.search(r'id="err-since"', html) and 'aria-invalid="true"' in html


def test_pages_of_the_trail(desk, web):
    open_cases(desk, desk.a.officer, ["farid-rahimi", "greta-nowak", "li-wei"])
    db = desk.db()
    try:
        everything = audit_reads.trail_page(db, desk.a.viewer, audit_reads.TrailFilter())
        two = audit_reads.trail_page(db, desk.a.viewer, audit_reads.TrailFilter(), 2, per_page=5)
    finally:
        db.close()
    assert [e.seq for e in two.entries] == [e.seq for e in everything.entries[5:10]]
    assert two.pages == -(-everything.total // 5)
    browser = web(desk.a.viewer)
    first = page(browser)
    assert 'rel="next"' not in first or everything.total > audit_reads.PER_PAGE
    assert [n for n, _ in rows(page(browser, "?page=1"))] == [
        str(e.seq) for e in everything.entries
    ]


def test_a_page_filtered_in_sql_is_the_stream_filtered_entry_by_entry(desk):
    """The store's page (SQL) equals the reference: every entry of the chain, newest first,
    kept by `TrailFilter.keeps`, then cut into the page."""
    open_cases(desk, desk.a.officer, ["farid-rahimi", "greta-nowak"])
    open_cases(desk, desk.a.officer2, ["li-wei"])
    db = desk.db()
    try:
        chain = list(store.audit_entries(db, desk.a.id, newest_first=True))
        days = sorted({e.at[:10] for e in chain})
        today = dt.date.fromisoformat(days[-1])
        values = {
            "event": [None, "case_created", "evaluation_stored", "no_such_event"],
            "actor_id": [None, desk.a.officer.id, desk.a.officer2.id],
            "since": [None, today, today + dt.timedelta(days=1)],
            "until": [None, today, today - dt.timedelta(days=1)],
            "case_id": [None, 1, 3],
        }
        checked = 0
        for combo in itertools.product(*values.values()):
            wanted = audit_reads.TrailFilter(**dict(zip(values, combo, strict=True)))
            expected = [e.seq for e in chain if wanted.keeps(e)]
            for number, per_page in ((1, 50), (2, 3)):
                found = audit_reads.trail_page(db, desk.a.viewer, wanted, number, per_page)
                start = (number - 1) * per_page
                assert [e.seq for e in found.entries] == expected[start : start + per_page]
                assert found.total == len(expected)
                checked += 1
        assert found.events == tuple(sorted({e.event for e in chain}))
    finally:
        db.close()
    assert checked == 2 * 4 * 3 * 3 * 3 * 3


def written_events() -> set[str]:
    """Every kind of entry the desk writes: the events that bind a row, and the event names
    written literally at an `append_audit` call anywhere in `models/`."""
    import ast
    from pathlib import Path

    from models.store.bindings import EVENTS

    found = set(EVENTS)
    for path in (Path(__file__).resolve().parent.parent / "models").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or "append_audit" not in ast.unparse(node.func):
                continue
            args = [*node.args[3:4], *(k.value for k in node.keywords if k.arg == "event")]
            found |= {a.value for a in args if isinstance(a, ast.Constant)}
    return found


@pytest.mark.parametrize("language", ["en", "sv"])
def test_every_kind_of_entry_has_its_sentence_and_name(desk, language):
    from views.pages import audit

    events = written_events()
    assert {"letter_issued", "case_assigned", "policy_draft_published"} <= events
    with desk.app.test_request_context("/audit", headers={"Accept-Language": language}):
        sentences, labels = audit._events(), audit._labels()
        assert sorted(events - set(sentences)) == []
        assert sorted(events - set(labels)) == []
