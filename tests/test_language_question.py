"""Policy language 2, the question: applicant facts, requests, dispositions from decision tables,
per-credential criteria and gates, explanations for every credential, and static checks."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

import pytest

from engine.evaluate import evaluate
from engine.inputs import Credential, Provenance, Request, RequestItem, Wallet
from rules.errors import PolicyError
from rules.loader import load_policy
from tests.builders import policy, policy_doc

AS_OF = dt.date(2026, 9, 1)
MATCHERS = ["durable", "reference"]

FACTS = {
    "english_test": {"type": "code", "values": {"ielts": "IELTS", "toefl": "TOEFL iBT"}},
    "english_score": {"type": "decimal"},
    "bachelor": {"type": "boolean", "label": "holds a bachelor's degree"},
}
CRITERIA = [
    {
        "id": "english",
        "title": "English",
        "about": "application",
        "when": [
            {
                "any": [
                    {
                        "all": [
                            {"fact": "english_test", "op": "eq", "value": "ielts"},
                            {"fact": "english_score", "op": "gte", "value": 6.5},
                        ]
                    },
                    {
                        "all": [
                            {"fact": "english_test", "op": "eq", "value": "toefl"},
                            {"fact": "english_score", "op": "gte", "value": 90},
                        ]
                    },
                ]
            }
        ],
    },
    {
        "id": "bachelor",
        "title": "Bachelor's degree",
        "about": "application",
        "when": [{"fact": "bachelor", "op": "eq", "value": True}],
    },
    {
        "id": "recent-course",
        "title": "Each course certificate issued within 5 years",
        "about": "each_credential",
        "applies_to": [{"element": "title", "op": "lacks_words", "value": "Diploma"}],
        "when": [
            {"element": "issued_on", "op": "within_years", "value": 5},
            {"element": "ects", "op": "gte", "value": 5},
        ],
    },
]
DISPOSITIONS = {
    "admitted": {"label": "Admitted", "favourable": True},
    "conditional": {"label": "Admitted with conditions", "favourable": True},
    "refused": {
        "label": "Not admitted",
        "favourable": False,
        "options": ["Apply again next year."],
    },
    "certificate": {"label": "Certificate instead", "favourable": True},
}
REQUESTS = {
    "admission": {
        "title": "Admission to the MSc",
        "considers": ["english", "bachelor", "recent-course"],
        "decision": {
            "hit": "first",
            "rows": [
                {
                    "id": "all",
                    "when": [
                        {"criterion": "english", "status": "met"},
                        {"criterion": "bachelor", "status": "met"},
                        {"criterion": "recent-course", "status": "met"},
                    ],
                    "disposition": "admitted",
                },
                {
                    "id": "no-english",
                    "when": [
                        {"criterion": "english", "status": "not_met"},
                        {"criterion": "bachelor", "status": "met"},
                        {"criterion": "recent-course", "status": "met"},
                    ],
                    "disposition": "conditional",
                    "options": ["Take the summer English course."],
                },
            ],
            "otherwise": "refused",
        },
        "options": ["Ask for an assessment of prior learning instead."],
        "next_best": ["course-check"],
    },
    "course-check": {
        "title": "Recognition of a course as a micro-credential",
        "considers": ["recent-course"],
        "per_credential": True,
        "decision": {
            "rows": [
                {
                    "id": "ok",
                    "when": [{"criterion": "recent-course", "status": "met"}],
                    "disposition": "certificate",
                }
            ],
            "otherwise": "refused",
        },
    },
}
P = policy(facts=FACTS, criteria=CRITERIA, dispositions=DISPOSITIONS, requests=REQUESTS, targets=[
    {"id": "unasked", "title": "A target nobody asked for", "slots": [{"id": "s", "title": "S", "when": [{"element": "ects", "op": "known"}]}]},
])  # fmt: skip
GOOD = {"english_test": "ielts", "english_score": 7, "bachelor": True}
COURSE = {"title": "Data basics", "issued_on": dt.date(2024, 1, 1), "ects": 5.0}


def run(
    applicant: dict, *items: RequestItem, courses: tuple = (COURSE,), matcher: str = "durable"
) -> dict:
    creds = tuple(Credential.of(f"c{i + 1}", v) for i, v in enumerate(courses))
    request = Request(items) if items else None
    wallet = Wallet("k", creds, MappingProxyType(applicant), request)
    return evaluate(P, wallet, AS_OF, matcher)


def answer(result: dict, item: str = "r1") -> dict:
    return next(d for d in result["dispositions"] if d["item"] == item)


ADMISSION = RequestItem("r1", "admission")


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize(
    ("applicant", "courses", "expected"),
    [
        (GOOD, (COURSE,), "admitted"),
        (GOOD | {"english_score": 6.5}, (COURSE,), "admitted"),  # the threshold itself passes
        (GOOD | {"english_score": 6.0}, (COURSE,), "conditional"),
        (GOOD | {"bachelor": False}, (COURSE,), "refused"),
        ({"bachelor": True}, (COURSE,), "pending_evidence"),  # no test yet: never a refusal
        (GOOD, (COURSE | {"ects": 4.0},), "refused"),
        (
            GOOD,
            (COURSE, {"title": "Diploma in Data", "issued_on": dt.date(2001, 1, 1)}),
            "admitted",
        ),
        (GOOD, ({"title": "Course", "ects": 5.0},), "pending_evidence"),  # the date is missing
    ],
)
def test_a_decision_table_answers_the_request(matcher, applicant, courses, expected):
    result = run(applicant, ADMISSION, courses=courses, matcher=matcher)
    assert answer(result)["disposition"] == expected


def test_pending_evidence_names_what_is_missing_and_what_it_could_become():
    d = answer(run({"bachelor": True}, ADMISSION))
    assert d["possible"] == ["admitted", "conditional"]
    assert {r["element"] for r in d["evidence_requests"]} == {
        "fact:english_test",
        "fact:english_score",
    }
    assert not d["favourable"] and d["options"] == []


def test_a_refusal_carries_the_options_and_the_next_best_request():
    d = answer(run(GOOD | {"bachelor": False}, ADMISSION))
    assert d["disposition"] == "refused" and d["decided_by"] == "otherwise"
    assert d["options"] == [
        "Ask for an assessment of prior learning instead.",
        "Apply again next year.",
    ]
    [alt] = d["alternatives"]
    assert alt["request"] == "course-check" and alt["disposition"] == "no_applicable_rule"


def test_a_row_with_options_offers_them():
    d = answer(run(GOOD | {"english_score": 6.0}, ADMISSION))
    assert d["decided_by"] == "no-english" and d["options"] == ["Take the summer English course."]


def test_what_was_not_requested_is_not_applicable_never_refused():
    result = run(GOOD, ADMISSION)
    by = {o["rule"]: o for o in result["outcomes"]}
    assert by["unasked"]["status"] == "not_applicable"
    assert by["unasked"]["reasons"] == ["Not applicable: not requested."]
    everything = run(GOOD)  # no request: every rule and target is evaluated, no dispositions
    assert {o["rule"]: o for o in everything["outcomes"]}["unasked"]["status"] == "met"
    assert everything["dispositions"] == []


@pytest.mark.parametrize("matcher", MATCHERS)
def test_per_credential_requests_are_answered_for_that_credential(matcher):
    old = {"title": "Old course", "issued_on": dt.date(2015, 1, 1), "ects": 6.0}
    result = run(
        GOOD,
        RequestItem("a", "course-check", credential="c1"),
        RequestItem("b", "course-check", credential="c2"),
        courses=(COURSE, old),
        matcher=matcher,
    )
    assert answer(result, "a")["disposition"] == "certificate"
    assert answer(result, "b")["disposition"] == "refused"


def test_a_request_the_policy_does_not_answer_gets_no_applicable_rule():
    d = answer(run(GOOD, RequestItem("r1", "credit-transfer")))
    assert d["disposition"] == "no_applicable_rule"
    assert "answers no request 'credit-transfer'" in d["reasons"][0]
    d = answer(run(GOOD, RequestItem("r1", "course-check")))  # names no credential
    assert d["disposition"] == "no_applicable_rule"


def test_every_credential_is_explained_including_those_that_fail_and_those_set_aside():
    p = policy(
        criteria=CRITERIA[2:],
        exclusions=[
            {
                "id": "diploma",
                "reason": "a Diploma is not a micro-credential",
                "when": [{"element": "title", "op": "has_words", "value": "diploma"}],
            }
        ],
    )
    creds = (
        Credential.of("ok", COURSE),
        Credential.of("small", COURSE | {"ects": 2.0}),
        Credential.of("dip", {"title": "Diploma of Data", "ects": 60.0}),
    )
    result = evaluate(p, Wallet("k", creds), AS_OF)
    reports = {c["credential"]: c for c in result["credentials"]}
    assert reports["dip"]["set_aside"] == ["a Diploma is not a micro-credential"]
    assert [c["credential"] for c in result["unused"]] == ["small"]
    [row] = reports["small"]["considered"]
    assert row["status"] == "not_met"
    assert row["why"] == "notional workload (ECTS) ≥ 5: it has 2, needs ≥ 5"
    assert reports["ok"]["considered"][0]["status"] == "counted"
    o = result["outcomes"][0]
    assert o["status"] == "not_met"
    assert any(
        "Credential 'small' (Data basics): notional workload (ECTS) is 2" in r for r in o["reasons"]
    )


def test_warnings_from_the_policy_are_reported_without_changing_a_status():
    p = policy(
        criteria=[
            {
                "id": "k",
                "title": "Listed",
                "when": [
                    {
                        "element": "ects",
                        "op": "gte",
                        "value": 5,
                        "warning": "the listing is due for review",
                    }
                ],
            }
        ]
    )
    result = evaluate(p, Wallet("k", (Credential.of("c1", COURSE),)), AS_OF)
    assert result["outcomes"][0]["status"] == "met"
    assert result["warnings"] == ["the listing is due for review"]


def _problems(**parts) -> list[str]:
    parts = {"facts": FACTS, "criteria": CRITERIA, "dispositions": DISPOSITIONS} | parts
    with pytest.raises(PolicyError) as info:
        load_policy(policy_doc(**parts))
    return [str(p) for p in info.value.problems]


def test_static_checks_catch_rows_that_never_fire_and_dispositions_never_produced():
    requests = {
        "admission": {
            "title": "A",
            "considers": ["english", "bachelr"],
            "decision": {
                "rows": [
                    {
                        "id": "a",
                        "when": [{"criterion": "english", "status": "met"}],
                        "disposition": "admitted",
                    },
                    {
                        "id": "b",
                        "when": [
                            {"criterion": "english", "status": "met"},
                            {"criterion": "bachelor", "status": "met"},
                        ],
                        "disposition": "conditional",
                    },
                    {
                        "id": "c",
                        "when": [
                            {"criterion": "english", "status": "met"},
                            {"criterion": "english", "status": "not_met"},
                        ],
                        "disposition": "refused",
                    },
                    {
                        "id": "d",
                        "when": [{"fact": "ielts", "op": "gte", "value": 6}],
                        "disposition": "refused",
                    },
                ],
                "otherwise": "refused",
            },
        }
    }
    text = "\n".join(_problems(requests=requests))
    assert (
        "requests.admission.considers: no rule, target or criterion 'bachelr' (did you mean 'bachelor'?)"
        in text
    )
    assert (
        "decision.rows[1]: this row can never decide: row 'a' comes first and holds whenever this one does"
        in text
    )
    assert (
        "decision.rows[2]: this row can never decide: its conditions contradict each other" in text
    )
    assert "decision.rows[3].when[0].fact: fact 'ielts' is not a declared fact" in text
    assert "dispositions.certificate: no request can produce this disposition" in text


def test_statuses_of_rules_can_only_be_tested_in_a_decision_table():
    text = "\n".join(
        _problems(
            requests=REQUESTS | {},
            targets=[
                {
                    "id": "t",
                    "title": "T",
                    "slots": [
                        {
                            "id": "s",
                            "title": "S",
                            "when": [{"criterion": "english", "status": "met"}],
                        }
                    ],
                }
            ],
        )
    )
    assert "rule statuses can only be tested in a decision table" in text


def test_an_application_criterion_cannot_test_credential_elements():
    text = "\n".join(
        _problems(
            requests=REQUESTS,
            criteria=CRITERIA
            + [
                {
                    "id": "x",
                    "title": "X",
                    "about": "application",
                    "when": [{"element": "ects", "op": "gte", "value": 5}],
                }
            ],
        )
    )
    assert (
        "element 'ects' is about a credential; here only applicant facts and choices can be tested"
        in text
    )


@pytest.mark.parametrize("matcher", MATCHERS)
def test_a_choice_declared_by_a_request_can_be_tested_in_a_criterion(matcher):
    p = policy(
        criteria=[{"id": "fast", "title": "Accelerated route", "about": "application", "when": [{"choice": "route", "op": "eq", "value": "accelerated"}]}],
        dispositions={"fast": {"label": "Accelerated", "favourable": True}, "normal": {"label": "Standard", "favourable": True}},
        requests={"admission": {"title": "Admission", "choices": {"route": {"type": "code", "values": ["standard", "accelerated"]}}, "considers": ["fast"],
                                "decision": {"rows": [{"id": "r", "when": [{"criterion": "fast", "status": "met"}], "disposition": "fast"}], "otherwise": "normal"}}},
    )  # fmt: skip

    def ask(route: str | None) -> str:
        choices = MappingProxyType({"route": route} if route else {})
        wallet = Wallet(
            "k",
            (),
            MappingProxyType({}),
            Request((RequestItem("r1", "admission", choices=choices),)),
        )
        return answer(evaluate(p, wallet, AS_OF, matcher))["disposition"]

    assert ask("accelerated") == "fast"
    assert ask("standard") == "normal"
    assert ask(None) == "pending_evidence"


def test_evidence_is_asked_only_for_what_can_still_change_the_answer():
    p = policy(
        elements={"kind": {"type": "code", "values": ["course", "work"]}, "syllabus": {"type": "boolean"}, "validation": {"type": "boolean"}},
        criteria=[{"id": "k", "title": "Documented", "when": [{"any": [
            {"all": [{"element": "kind", "op": "eq", "value": "course"}, {"element": "syllabus", "op": "eq", "value": True}]},
            {"all": [{"element": "kind", "op": "eq", "value": "work"}, {"element": "validation", "op": "eq", "value": True}]},
        ]}]}],
    )  # fmt: skip
    result = evaluate(
        p, Wallet("k", (Credential.of("c1", {}, extensions={"kind": "course"}),)), AS_OF
    )
    assert [r["element"] for r in result["outcomes"][0]["evidence_requests"]] == ["syllabus"]


def test_evidence_for_a_computed_value_names_what_it_is_computed_from():
    p = policy(
        facts={"completed": {"type": "decimal", "label": "credits completed"}, "nominal": {"type": "decimal"}},
        computed={"excess": {"label": "credits beyond the degree", "value": {"difference": [{"fact": "completed"}, {"fact": "nominal"}]}}},
        criteria=[{"id": "k", "title": "Room", "about": "application", "when": [{"element": "excess", "op": "gte", "value": 0}]}],
    )  # fmt: skip
    result = evaluate(p, Wallet("k", (), MappingProxyType({"nominal": 180})), AS_OF)
    [request] = result["outcomes"][0]["evidence_requests"]
    assert request["element"] == "fact:completed" and "credits completed" in request["request"]


def test_a_pending_answer_about_the_requested_rule_asks_for_its_evidence():
    p = policy(
        elements={"field": {"type": "code", "values": ["commercial", "it"]}},
        criteria=[{"id": "mod-a", "title": "Module A", "when": [{"element": "field", "op": "eq", "value": "commercial"}]}],
        dispositions={"granted": {"label": "Granted", "favourable": True}, "refused": {"label": "Refused", "favourable": False}},
        requests={"credit": {"title": "Credit", "per_credential": True, "for": ["mod-a"], "considers": [],
                             "decision": {"rows": [{"id": "ok", "when": [{"criterion": "requested", "status": "met"}], "disposition": "granted"}], "otherwise": "refused"}}},
    )  # fmt: skip
    wallet = Wallet(
        "k",
        (Credential.of("c1", {}),),
        MappingProxyType({}),
        Request((RequestItem("r1", "credit", names="mod-a", credential="c1"),)),
    )
    d = answer(evaluate(p, wallet, AS_OF))
    assert d["disposition"] == "pending_evidence"
    assert [r["element"] for r in d["evidence_requests"]] == ["field"]
    assert any("'Module A'" in r for r in d["reasons"])


def test_the_explanation_says_where_each_fact_came_from():
    sources = {
        "english_score": Provenance("document", "IELTS Test Report Form", "checked online"),
        "bachelor": Provenance("finding"),
    }
    creds = (Credential.of("c1", COURSE),)
    wallet = Wallet("k", creds, MappingProxyType(GOOD), Request((ADMISSION,)),
                    applicant_provenance=MappingProxyType(sources))  # fmt: skip
    result = evaluate(P, wallet, AS_OF)
    rows = {
        c["element"]: c.get("provenance")
        for o in result["outcomes"]
        for c in o["conditions"]
        if c["credential"] == "(application)"
    }
    assert rows == {
        "fact:english_test": None,  # nothing said about it: nothing shown
        "fact:english_score": "from a supporting document: IELTS Test Report Form (checked online)",
        "fact:bachelor": "the office's finding",
    }
    plain = Wallet("k", creds, MappingProxyType(GOOD), Request((ADMISSION,)))
    assert evaluate(P, plain, AS_OF)["fingerprint"] == result["fingerprint"]  # same inputs
