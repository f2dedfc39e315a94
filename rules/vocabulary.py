"""The closed vocabulary: credential elements, controlled value lists and operators.

Everything a policy may mention is listed here as data (name, label, type, help), so that the
validator, the README check, the engine and the explanation all read one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from types import MappingProxyType


@dataclass(frozen=True)
class Term:
    """One value of a controlled vocabulary, with the EU vocabulary URIs that denote it."""

    code: str
    label: str
    uris: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    name: str
    label: str
    terms: tuple[Term, ...]

    @cache  # noqa: B019 - vocabularies are module-level constants, never freed anyway
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms)

    def label_of(self, code: str) -> str:
        for term in self.terms:
            if term.code == code:
                return term.label
        return code


SNB = "http://data.europa.eu/snb"
# `verification` codes of a proof that holds while something known speaks against the credential
_BUT = "revoked suspended untrusted_signer expired not_yet_valid status_unchecked".split()

VOCABULARIES: MappingProxyType[str, Vocabulary] = MappingProxyType(
    {
        v.name: v
        for v in (
            Vocabulary(
                "assessment_type",
                "type of assessment",
                (
                    Term("written_exam", "written examination", aliases=("exam", "written test")),
                    Term("oral_exam", "oral examination", aliases=("oral",)),
                    Term("practical", "practical demonstration", aliases=("practical exam",)),
                    Term("project", "project or portfolio", aliases=("portfolio", "assignment")),
                    Term("online_quiz", "online test", aliases=("quiz", "online exam")),
                    Term("peer", "peer assessment"),
                    Term("self", "self-assessment", aliases=("self assessment",)),
                    Term("none", "no assessment", aliases=("participation only",)),
                ),
            ),
            Vocabulary(
                "participation_form",
                "form of participation",
                (
                    Term("online", "online", (f"{SNB}/learning-assessment/920fbb3cbe",)),
                    Term("onsite", "onsite", aliases=("on-site", "in person", "face-to-face")),
                    Term("blended", "blended", (f"{SNB}/learning-assessment/e92d221e4d",)),
                ),
            ),
            Vocabulary(
                "supervision",
                "supervision and identity verification during assessment",
                (
                    Term(
                        "none",
                        "unsupervised, no identity verification",
                        (f"{SNB}/supervision-verification/c598449d64",),
                        ("unsupervised without id verification",),
                    ),
                    Term(
                        "supervised_no_id",
                        "supervised, no identity verification",
                        aliases=("supervised without id verification",),
                    ),
                    Term(
                        "supervised_online_id",
                        "supervised online with identity verification",
                        aliases=("online supervised with id verification",),
                    ),
                    Term(
                        "supervised_onsite_id",
                        "supervised onsite with identity verification",
                        aliases=("onsite supervised with id verification",),
                    ),
                ),
            ),
            Vocabulary(
                "quality_assurance",
                "type of quality assurance",
                (
                    Term("external_accreditation", "externally accredited programme or provider"),
                    Term("institutional_internal", "internal QA of an accredited institution"),
                    Term("national_register", "listed in a national qualifications register"),
                    Term("industry_certification", "industry or vendor certification scheme"),
                    Term("none", "no quality assurance"),
                ),
            ),
            Vocabulary(
                "qf_ehea_cycle",
                "QF-EHEA cycle",
                (
                    Term("short", "short cycle"),
                    Term("first", "first cycle (bachelor)"),
                    Term("second", "second cycle (master)"),
                    Term("third", "third cycle (doctorate)"),
                ),
            ),
            Vocabulary(
                "stackability",
                "integration and stackability options",
                (
                    Term("standalone", "stand-alone"),
                    Term("integrated", "integrated into another credential"),
                    Term("stackable", "stackable towards another credential"),
                ),
            ),
            Vocabulary(
                "verification",
                "verification status of the document",
                (
                    Term("valid", "signature valid"),
                    Term("invalid", "signature invalid"),
                    Term("not_signed", "not signed"),
                    Term("unsupported", "unsupported proof method"),
                    Term("cannot_verify", "cannot verify offline"),
                    *(Term(code, f"signature valid, {code.replace('_', ' ')}") for code in _BUT),
                ),
            ),
        )
    }
)


# Value types an element can have. Conditions are typed: an operator declares which of these it
# accepts, and a condition's value is checked against the element's type when the policy loads.
# `ordinal` is a code from an ordered list (levels, grades on a letter scale), compared by rank;
# `credits`, `level` and `grade` are structured values a condition reads through a qualifier
# (a credit system, a framework, a grade scheme).
SCALAR_TYPES = (
    "decimal",
    "integer",
    "date",
    "boolean",
    "country",
    "text",
    "code",
    "ordinal",
    "isced",
    "uri",
)
LIST_TYPES = ("text_list", "uri_list", "code_list", "country_list", "isced_list")
STRUCTURED_TYPES = ("credits", "level", "grade")
VALUE_TYPES = SCALAR_TYPES + LIST_TYPES + STRUCTURED_TYPES


@dataclass(frozen=True)
class Element:
    """A credential element of Annex I (or one credstack derives from them)."""

    name: str
    label: str
    type: str
    help: str
    mandatory: bool = False
    vocabulary: str | None = None
    usable_in_rules: bool = True
    # The range of a number element (credits and grade: of the number they carry), checked where
    # values come in; every number the engine compares lies within ±10¹¹ (rules.numbers.LIMIT).
    minimum: float | None = None
    maximum: float | None = None
    annex: bool = True  # an Annex I element (False: credstack's structured extensions)


_ELEMENTS = (
    Element(
        "learner",
        "identification of the learner",
        "text",
        "Who the credential was awarded to. Personal data: never usable in a rule.",
        mandatory=True,
        usable_in_rules=False,
    ),
    Element("title", "title", "text", "Title of the micro-credential.", mandatory=True),
    Element(
        "issuer_country",
        "country of the issuer",
        "country",
        "ISO 3166-1 alpha-2 code of the awarding body's country (EU country authority URIs "
        "are accepted on input).",
        mandatory=True,
    ),
    Element("issuer_region", "region of the issuer", "text", "Region of the awarding body."),
    Element("awarding_body", "awarding body", "text", "Name of the awarding body.", True),
    Element(
        "awarding_body_id",
        "awarding body identifier",
        "text",
        "A stable identifier (URI, registry number) of the awarding body; used to count "
        "credentials per provider when present.",
    ),
    Element("issued_on", "date of issuing", "date", "Date the credential was awarded.", True),
    Element(
        "learning_outcomes",
        "learning outcomes",
        "text_list",
        "Learning outcomes as text statements.",
        mandatory=True,
    ),
    Element(
        "skills",
        "skills (ESCO)",
        "uri_list",
        "ESCO skill or competence URIs attached to the learning outcomes.",
    ),
    Element(
        "ects",
        "notional workload (ECTS)",
        "decimal",
        "ECTS credits, 0 to 10,000. When only hours are known, the policy's hours-per-ECTS "
        "conversion infers it and the explanation says so.",
        mandatory=True,
        minimum=0,
        maximum=10_000,
    ),
    Element(
        "workload_hours",
        "notional workload (hours)",
        "decimal",
        "Notional learning hours, 0 to 300,000 (10,000 ECTS at 30 hours).",
        minimum=0,
        maximum=300_000,
    ),
    Element(
        "eqf_level",
        "EQF level",
        "integer",
        "European Qualifications Framework level, 1 to 8.",
        mandatory=True,
        minimum=1,
        maximum=8,
    ),
    Element(
        "qf_ehea_cycle",
        "QF-EHEA cycle",
        "code",
        "Cycle of the framework for qualifications of the EHEA, where applicable.",
        vocabulary="qf_ehea_cycle",
    ),
    Element(
        "assessment_type",
        "type of assessment",
        "code",
        "How learning was assessed.",
        mandatory=True,
        vocabulary="assessment_type",
    ),
    Element(
        "participation_form",
        "form of participation",
        "code",
        "Online, onsite or blended.",
        mandatory=True,
        vocabulary="participation_form",
    ),
    Element(
        "quality_assurance",
        "type of quality assurance",
        "code",
        "Quality assurance behind the credential.",
        mandatory=True,
        vocabulary="quality_assurance",
    ),
    Element("prerequisites", "prerequisites", "text", "Prerequisites for enrolment."),
    Element(
        "supervision",
        "supervision and identity verification",
        "code",
        "Supervision and identity verification during assessment.",
        vocabulary="supervision",
    ),
    Element(
        "grade",
        "grade achieved",
        "grade",
        "Grade as awarded: text, or {scheme, value} (points also carry max; numbers from "
        "-1,000,000 to 1,000,000). Rules compare it in a grade scheme; it stays out of logs and "
        "the audit trail.",
        minimum=-1_000_000,
        maximum=1_000_000,
    ),
    Element(
        "stackability",
        "integration and stackability",
        "code",
        "Stand-alone, integrated, or stackable towards another credential.",
        vocabulary="stackability",
    ),
    Element("further_information", "further information", "text", "Anything else."),
    Element(
        "field_of_study",
        "field of study (ISCED-F)",
        "isced",
        "ISCED-F 2013 code: 2 digits (broad), 3 (narrow) or 4 (detailed).",
    ),
    Element(
        "verification",
        "verification status",
        "code",
        "Outcome of checking the document's seal or proof, its status and validity period.",
        vocabulary="verification",
    ),
    Element(
        "used_towards",
        "already used towards",
        "text_list",
        "Awards this credential has already been counted towards.",
    ),
)

# Beside Annex I: structured values real policies test, and quality assurance beyond one code.
_EXTENDED = (
    Element(
        "credits",
        "credit value",
        "credits",
        "{system, value}: credit in a credit system (ECTS, NZ credits, CATS, US semester hours, "
        "...), a value from 0 to 1,000,000; rules read it in any system, converted exactly.",
        minimum=0,
        maximum=1_000_000,
        annex=False,
    ),
    Element(
        "framework_level",
        "qualifications framework level",
        "level",
        "{framework, level}: a level in a national qualifications framework (NZQF, AQF, SCQF, "
        "...); rules read it in that framework, or as EQF through the official referencing.",
        annex=False,
    ),
    Element(
        "qa_framework",
        "quality assurance framework",
        "text",
        "The framework or standard of the quality assurance (e.g. ESG).",
        annex=False,
    ),
    Element(
        "qa_agency",
        "quality assurance agency",
        "text",
        "The agency that carried out the external quality assurance.",
        annex=False,
    ),
    Element(
        "qa_register_id",
        "quality assurance register reference",
        "text",
        "The awarding body's or the decision's id in a quality assurance register (e.g. DEQAR).",
        annex=False,
    ),
)

ELEMENTS: MappingProxyType[str, Element] = MappingProxyType(
    {e.name: e for e in _ELEMENTS + _EXTENDED}
)
RULE_ELEMENTS = tuple(e.name for e in ELEMENTS.values() if e.usable_in_rules)
MANDATORY_ELEMENTS = tuple(e.name for e in _ELEMENTS if e.mandatory)

# Names the engine reserves inside a fact; no element may ever be called one of these.
RESERVED_FACT_FIELDS = frozenset({"sid", "id", "$s", "g", "c"})

PROVENANCE = ("native", "vocabulary", "extension", "free_text", "inferred", "absent")
# Where an applicant's fact came from (the case file, not a credential document).
FACT_PROVENANCE: MappingProxyType[str, str] = MappingProxyType(
    {
        "stated": "stated by the applicant",
        "document": "from a supporting document",
        "verified": "verified with the issuer or a register",
        "finding": "the office's finding",
    }
)


LISBON_OUTCOMES = ("full", "partial", "conditional", "alternative", "refused")
ASPECTS = ("level", "workload", "quality", "profile", "learning_outcomes", "requirements")
PURPOSES = ("admission", "credit", "recognition", "employment", "approval")
STATUSES = ("met", "not_met", "unknown", "not_applicable")
