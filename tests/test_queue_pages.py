"""The work queue and the decision page: search, views, sorting, pages, assignment, numbering
within a case, post/redirect/get, disposition badges and counts, and the four-eyes return."""

from __future__ import annotations

import copy
import re

import pytest

from models.desk import cases as desk_ops
from models.errors import Forbidden, InvalidInput
from tests.desk_builders import ENGINE, case_data, count, wallet
from tests.web_fixtures import Browser, browsers, build_app


@pytest.fixture
def desk(tmp_path):
    return build_app(tmp_path, four_eyes=True)


@pytest.fixture
def web(desk):
    return browsers(desk)


def opened(desk, learner="farid-rahimi", purpose="admission", evaluate=True, name=None):
    db = desk.db()
    try:
        data = case_data(learner, purpose)
        if name is not None:
            data["wallet"] = copy.deepcopy(data["wallet"])
            data["wallet"]["learner"].update(id=f"{learner}-{name}", name=name)
        case = desk_ops.open_case(db, desk.a.officer, data)
        if evaluate:
            desk_ops.evaluate_case(db, desk.a.officer, case.id, ENGINE)
        return case
    finally:
        db.close()


def rows(desk, table: str) -> int:
    db = desk.db()
    try:
        return count(db, table)
    finally:
        db.close()


def text(response) -> str:
    return response.get_data(as_text=True)


def key_of(page: str) -> str:
    return re.findall(r'name="idempotency_key" value="([^"]+)"', page)[0]


def listed(page: str) -> list[str]:
    """The case references of a queue page, in order."""
    return re.findall(r">Case (\d{4}-\d{4})</a>", page)


def decide(browser, case, justification="alternative recognition as proposed"):
    page = text(browser.get(f"/cases/{case.id}"))
    return browser.post(f"/cases/{case.id}/decisions", {
        "action": "accept", "justification": justification, "idempotency_key": key_of(page),
    })  # fmt: skip


def test_references_are_per_organisation_and_year_and_shown_everywhere(desk, web):
    first, second = opened(desk, evaluate=False), opened(desk, "li-wei", evaluate=False)
    year = first.reference[:4]
    assert (first.reference, second.reference) == (f"{year}-0001", f"{year}-0002")
    db = desk.db()
    try:
        other = desk_ops.open_case(db, desk.b.officer, case_data("kaito-tanaka", "employment"))
    finally:
        db.close()
    assert other.reference == f"{year}-0001"  # numbered within its own organisation
    page = text(web(desk.a.viewer).get(f"/cases/{second.id}"))
    assert f"<title>Case {second.reference}" in page and f"Case {second.reference} <span" in page


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("Farid", {"farid"}),  # applicant name, any case
        ("rahimi", {"farid"}),
        ("-0002", {"li"}),  # case reference
        ("DATA ANALYTICS", {"farid"}),  # a credential's title, any case
        ("nobody-like-this", set()),
        ("100%", set()),  # LIKE's wildcards are plain characters
    ],
)
def test_the_search_finds_cases_by_name_reference_and_credential_title(desk, web, search, found):
    cases = {"farid": opened(desk, evaluate=False), "li": opened(desk, "li-wei", evaluate=False)}
    page = text(web(desk.a.viewer).get("/cases", query_string={"q": search}))
    assert set(listed(page)) == {cases[k].reference for k in found}
    assert f'value="{search}"' in page  # the search box keeps what was asked


def test_views_needs_my_confirmation_assigned_to_me_waiting_and_decided(desk, web):
    pending, mine, waiting = opened(desk), opened(desk, "li-wei"), opened(desk, "chiara-russo")
    officer, second = web(desk.a.officer), web(desk.a.officer2)
    assert decide(officer, pending).status_code == 303
    assert officer.post(f"/cases/{mine.id}/assign", {"officer": "me"}).status_code == 303
    page = text(officer.get(f"/cases/{waiting.id}"))
    asked = {"action": "request_evidence", "justification": "send the transcript"}
    officer.post(f"/cases/{waiting.id}/decisions", {**asked, "idempotency_key": key_of(page)})
    assert listed(text(second.get("/cases?view=confirm"))) == [pending.reference]
    assert listed(text(officer.get("/cases?view=confirm"))) == []  # not for its own author
    assert listed(text(officer.get("/cases?view=mine"))) == [mine.reference]
    assert listed(text(second.get("/cases?view=mine"))) == []
    assert listed(text(officer.get("/cases?view=waiting"))) == [waiting.reference]
    confirm = text(second.get(f"/cases/{pending.id}"))
    second.post("/decisions/" + re.findall(r"/decisions/(\d+)/confirm", confirm)[0] + "/confirm",
                {"idempotency_key": key_of(confirm)})  # fmt: skip
    assert listed(text(officer.get("/cases?view=closed"))) == [pending.reference]
    assert pending.reference not in listed(text(officer.get("/cases")))  # all open
    assert len(listed(text(officer.get("/cases?view=all")))) == 3
    assert 'aria-current="page">Assigned to me' in text(officer.get("/cases?view=mine"))


def test_sorting_by_a_column_both_ways_with_aria_sort(desk, web):
    cases = [opened(desk, learner, evaluate=False, name=name)
             for learner, name in (("farid-rahimi", "Cecilia"), ("li-wei", "Adam"),
                                   ("amira-haddad", "Bertil"))]  # fmt: skip
    browser = web(desk.a.viewer)
    up = text(browser.get("/cases?sort=applicant"))
    assert listed(up) == [cases[1].reference, cases[2].reference, cases[0].reference]
    assert 'aria-sort="ascending"' in up and "sort=applicant&amp;dir=desc" in up
    down = text(browser.get("/cases?sort=applicant&dir=desc"))
    assert listed(down) == [cases[0].reference, cases[2].reference, cases[1].reference]
    assert 'aria-sort="descending"' in down
    by_reference = text(browser.get("/cases?sort=reference&dir=desc"))
    assert listed(by_reference) == [c.reference for c in reversed(cases)]
    assert browser.get("/cases?sort=nonsense").status_code == 422


def test_pages_of_25_with_a_count_and_links_that_keep_the_query(desk, web):
    for n in range(27):
        opened(desk, evaluate=False, name=f"Applicant {n:02d}")
    browser = web(desk.a.viewer)
    first = text(browser.get("/cases?sort=reference&q=Applicant"))
    assert len(listed(first)) == 25 and "1–25 of 27" in first
    assert 'href="/cases?sort=reference&amp;q=Applicant&amp;page=2"' in first
    second = text(browser.get("/cases?sort=reference&q=Applicant&page=2"))
    assert len(listed(second)) == 2 and "26–27 of 27" in second
    assert "26–27 of 27" in text(browser.get("/cases?sort=reference&q=Applicant&page=9"))


def test_assignment_to_an_officer_of_the_same_organisation_is_shown_and_audited(desk, web):
    case = opened(desk, evaluate=False)
    browser = web(desk.a.officer)
    entries = rows(desk, "audit")
    response = browser.post(f"/cases/{case.id}/assign", {"officer": str(desk.a.officer2.id)})
    assert response.status_code == 303 and rows(desk, "audit") == entries + 1
    assert "officer2" in text(browser.get(f"/cases/{case.id}"))
    assert "officer2" in text(browser.get("/cases"))
    for wrong in (str(desk.b.officer.id), str(desk.a.viewer.id), "x"):
        refused = browser.post(f"/cases/{case.id}/assign", {"officer": wrong})
        assert refused.status_code == 422
    assert web(desk.a.viewer).post(f"/cases/{case.id}/assign", {"officer": "me"}).status_code == 403
    db = desk.db()
    try:
        detail = db.conn.execute(
            "SELECT details FROM audit WHERE event = 'case_assigned'"
        ).fetchone()[0]
    finally:
        db.close()
    assert "Farid" not in detail and "@" not in detail  # no personal data in the trail


def test_decisions_and_evaluations_are_numbered_within_their_case(desk, web):
    browser = web(desk.a.officer)
    decide(browser, opened(desk, "li-wei"))  # another case takes the global ids 1
    case = opened(desk)
    response = decide(browser, case)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/cases/{case.id}#decision-2")  # global id
    page = text(browser.get(f"/cases/{case.id}"))
    assert "Decision 1 recorded" in page and "<strong>Decision 1</strong>" in page
    assert "Evaluation 1, " in page and "Evaluation 2" not in page and "Decision 2" not in page
    assert "Decision 1 awaits confirmation" in page and ": decision 1 " in page


def test_a_refused_decision_shows_a_focused_summary_and_a_reload_of_success_records_nothing(
    desk, web
):
    case = opened(desk)
    browser = web(desk.a.officer)
    refused = decide(browser, case, justification="")
    page = text(refused)
    assert refused.status_code == 422
    summary = page.index('class="error-summary"')
    assert summary < page.index('id="justification"')  # at the top of the form region
    assert 'role="alert" tabindex="-1" autofocus' in page
    assert '<a href="#justification">Justification: a justification is required' in page
    assert 'id="err-justification"' in page  # and beside the field
    done = decide(browser, case)
    assert done.status_code == 303
    before = rows(desk, "decisions"), rows(desk, "audit")
    for _ in range(2):  # reloading where the redirect led
        assert browser.get(done.headers["Location"]).status_code == 200
    assert (rows(desk, "decisions"), rows(desk, "audit")) == before


@pytest.mark.parametrize(
    ("learner", "purpose", "badges", "counts"),
    [
        ("farid-rahimi", "admission",  # alternative recognition: workload differs
         ["disposition-alternative\">Alternative recognition", "disposition-full\">Full recog"],
         ["Full recognition: 1", "Alternative recognition: 1", "Substantial difference found: 1"]),
        ("amira-haddad", "credit",
         ["disposition-eligible\">Eligible to be considered", "disposition-full\">Full recog"],
         ["Full recognition: 3", "Eligible to be considered: 2"]),
        ("chiara-russo", "credit",
         ["disposition-unknown\">Unknown: evidence needed", "disposition-not_eligible\">Not eli"],
         ["Unknown: evidence needed: 2", "Not eligible: 1", "Not applicable: 2"]),
    ],
)  # fmt: skip
def test_badges_and_counts_tell_full_from_partial_alternative_and_differences(
    desk, web, learner, purpose, badges, counts
):
    case = opened(desk, learner, purpose)
    page = text(web(desk.a.viewer).get(f"/cases/{case.id}"))
    for badge in badges:
        assert badge in page
    summary = page[page.index('class="summary-counts"') :].split("</p>")[0]
    for line in counts:
        assert line in summary
    assert " met, " not in summary  # never "2 met, 0 not met"


def test_the_confirm_panel_shows_what_to_check_and_a_return_needs_a_reason(desk, web):
    case = opened(desk)
    author, checker = web(desk.a.officer), web(desk.a.officer2)
    decide(author, case, justification="Workload of 6 credits: alternative route")
    mine = text(author.get(f"/cases/{case.id}"))
    assert "The decision form is locked while decision 1 awaits confirmation" in mine
    assert 'action="/cases/' not in mine.split('id="decide"')[1][:200]  # no form
    page = text(checker.get(f"/cases/{case.id}"))
    panel = page[page.index('id="confirm"') : page.index("</section>", page.index('id="confirm"'))]
    assert "Accepted the proposal by officer" in panel and "Workload of 6 credits" in panel
    assert "Alternative recognition" in panel and "Full recognition" in panel
    decision_id = re.findall(r"/decisions/(\d+)/return", page)[0]
    empty = checker.post(f"/decisions/{decision_id}/return", {"reason": "  "})
    assert empty.status_code == 422 and 'href="#return-reason"' in text(empty)
    assert author.post(f"/decisions/{decision_id}/return", {"reason": "mine"}).status_code == 403
    assert rows(desk, "decision_returns") == 0
    returned = checker.post(f"/decisions/{decision_id}/return", {"reason": "Cite the source"})
    assert returned.status_code == 303 and rows(desk, "decision_returns") == 1
    again = checker.post(f"/decisions/{decision_id}/confirm", {"idempotency_key": "k"})
    assert again.status_code == 409  # a returned decision is never confirmed
    back = text(author.get(f"/cases/{case.id}"))
    assert "Decision 1 was returned to its author" in back and "Cite the source" in back
    assert decide(author, case, justification="Source: the transcript").status_code == 303
    page = text(checker.get(f"/cases/{case.id}"))
    assert "Decision 2 awaits confirmation" in page and "Initial decision" in page
    assert "Returned to its author by you" in page


def test_the_author_cannot_confirm_nor_return_their_own_decision(desk):
    case = opened(desk)
    db = desk.db()
    try:
        accepted = {"action": "accept", "justification": "as proposed"}
        decision = desk_ops.decide(db, desk.a.officer, case.id, accepted)
        with pytest.raises(Forbidden):
            desk_ops.confirm(db, desk.a.officer, decision.id)
        with pytest.raises(Forbidden):
            desk_ops.return_decision(db, desk.a.officer, decision.id, "withdrawn")
        with pytest.raises(InvalidInput):
            desk_ops.return_decision(db, desk.a.officer2, decision.id, " ")
    finally:
        db.close()


def test_the_queue_in_swedish(desk):
    browser = Browser(desk.app.test_client())
    browser.login(desk.a.officer.email)
    opened(desk, evaluate=False)
    page = text(browser.get("/cases", headers={"Accept-Language": "sv"}))
    assert "Väntar på min bekräftelse" in page and "Diarienummer" in page
    assert wallet("farid-rahimi")["learner"]["name"] in page
