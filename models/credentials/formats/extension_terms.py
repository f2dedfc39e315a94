"""The extension terms credstack maps to Annex I elements out of the box, as data.

A document's term is matched against `TERMS` without case, accents, spacing or punctuation; a
prefix such as "extensions:" or "ext:" and a trailing "Extension" are ignored, so
"extensions:ECTSExtension", "ECTS" and "ects" are one term. Each row names the element, the reader
that turns a raw value into the element's value (`formats.extensions.READERS`) and the spellings.
A term that is not here, or whose value its reader cannot read unambiguously, is kept for
policies to declare (`elements:` / `mappings:`).
"""

from __future__ import annotations

TERMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "ects",
        "ects",
        ("ECTS", "ECTS credits", "ECTS credit points", "ECTS points", "ECTS value", "credits ECTS"),
    ),
    (
        "workload_hours",
        "hours",
        (
            "study load",  # edubadges StudyLoadExtension {StudyLoad: hours}
            "study load hours",
            "SBU",  # studiebelastingsuren, the Dutch study load in hours
            "studiebelasting",
            "studiebelastingsuren",
            "workload",
            "workload hours",
            "notional hours",
            "notional learning hours",
            "learning hours",
            "study hours",
            "hours of study",
            "volume of learning",
        ),
    ),
    (
        "eqf_level",
        "eqf",
        ("EQF", "EQF level", "level EQF", "EQF niveau", "EQR", "EQR Niveau", "EQF level code"),
    ),
    (
        "participation_form",
        "participation_form",
        (
            "participation form",
            "form of participation",
            "participation type",
            "type of participation",
            "mode of learning",
            "learning mode",
            "mode of delivery",
            "delivery mode",
            "mode of study",
            "study mode",
        ),
    ),
    (
        "assessment_type",
        "assessment_type",
        (
            "assessment type",
            "type of assessment",
            "assessment method",
            "assessment form",
            "form of assessment",
        ),
    ),
    (
        "supervision",
        "supervision",
        (
            "supervision",
            "supervision type",
            "type of supervision",
            "supervision and identity verification",
            "identity verification",
            "ID verification",
            "identity checked",
            "identity check",
            "proctoring",
        ),
    ),
    (
        "quality_assurance",
        "quality_assurance",
        ("quality assurance", "quality assurance type", "type of quality assurance"),
    ),
    (
        "learning_outcomes",
        "outcomes",
        (
            "learning outcome",
            "learning outcomes",
            "learning outcome statement",
            "learning outcome statements",
            "outcomes",
            "leeruitkomst",
            "leeruitkomsten",
            "Lernergebnisse",
        ),
    ),
)

# Words of a free-text value and the fact each states about supervision; a value maps only when
# its facts leave exactly one supervision code (see `extensions.supervision_code`).
SUPERVISION_PHRASES: tuple[tuple[str, str, object], ...] = (
    ("unsupervised", "supervised", False),
    ("not supervised", "supervised", False),
    ("no supervision", "supervised", False),
    ("without supervision", "supervised", False),
    ("supervised", "supervised", True),
    ("proctored", "supervised", True),
    ("invigilated", "supervised", True),
    ("onsite", "place", "onsite"),
    ("on site", "place", "onsite"),
    ("in person", "place", "onsite"),
    ("face to face", "place", "onsite"),
    ("on campus", "place", "onsite"),
    ("online", "place", "online"),
    ("remote", "place", "online"),
    ("remotely", "place", "online"),
    ("no identity verification", "id", False),
    ("without identity verification", "id", False),
    ("no id verification", "id", False),
    ("without id verification", "id", False),
    ("no identity check", "id", False),
    ("identity verification", "id", True),
    ("identity verified", "id", True),
    ("identity checked", "id", True),
    ("identity check", "id", True),
    ("id verification", "id", True),
    ("id check", "id", True),
)
# code → (supervised, place or None for any, identity verified)
SUPERVISION_CODES: tuple[tuple[str, bool, str | None, bool], ...] = (
    ("none", False, None, False),
    ("supervised_no_id", True, None, False),
    ("supervised_online_id", True, "online", True),
    ("supervised_onsite_id", True, "onsite", True),
)

# Stems of free text and the quality assurance code each states (a negation before one, "not
# accredited", states nothing).
QUALITY_STEMS: tuple[tuple[str, str], ...] = (
    ("accredit", "external_accreditation"),
    ("akkredit", "external_accreditation"),
    ("acredit", "external_accreditation"),
    ("akredyt", "external_accreditation"),
    ("internal quality assurance", "institutional_internal"),
    ("qualifications register", "national_register"),
    ("national register", "national_register"),
    ("industry certification", "industry_certification"),
    ("vendor certification", "industry_certification"),
)

# Units written after a number: "5 ECTS", "240 hours", "240 uur".
ECTS_UNITS = ("ects", "ects credits", "ects credit", "ec", "credits", "credit", "studiepunten")
HOUR_UNITS = (
    "h", "hr", "hrs", "hour", "hours", "uur", "uren", "stunden", "std", "heures", "horas", "ore",
)  # fmt: skip

# National qualifications frameworks an Open Badges alignment may name (rules/data/frameworks.yaml
# ids), by abbreviation or name.
NATIONAL_FRAMEWORKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("nlqf", ("NLQF", "Dutch Qualifications Framework", "Nederlands Kwalificatieraamwerk")),
    ("scqf", ("SCQF", "Scottish Credit and Qualifications Framework")),
    ("nfq_ie", ("NFQ", "Irish National Framework of Qualifications")),
    ("dqr", ("DQR", "Deutscher Qualifikationsrahmen", "German Qualifications Framework")),
    (
        "seqf",
        ("SeQF", "Swedish Qualifications Framework", "Sveriges referensram för kvalifikationer"),
    ),
    ("rqf", ("RQF", "Regulated Qualifications Framework")),
    ("fheq", ("FHEQ", "Framework for Higher Education Qualifications")),
    (
        "nzqf",
        (
            "NZQF",
            "NZQCF",
            "New Zealand Qualifications Framework",
            "New Zealand Qualifications and Credentials Framework",
        ),
    ),
    ("aqf", ("AQF", "Australian Qualifications Framework")),
    ("hkqf", ("HKQF", "Hong Kong Qualifications Framework")),
)
EQF_FRAMEWORK = (
    "EQF",
    "EQR",
    "European Qualifications Framework",
    "Europaischer Qualifikationsrahmen",
)
LEVEL_WORDS = ("level", "niveau", "nivel", "stufe", "livello", "nivå", "poziom", "taso", "lvl")
QUALITY_NAMES = ("quality assurance", "qualityassurance", "accredit", "akkredit", "acredit", "eqar")
REGISTER_NAMES = ("eqar", "deqar", "qualityassurance", "accreditation", "qa")

# Properties the formats define: anything else on these objects is an extension term.
OB3_ACHIEVEMENT = frozenset(
    (
        "id", "type", "achievementType", "alignment", "creator", "creditsAvailable", "criteria",
        "description", "endorsement", "endorsementJwt", "fieldOfStudy", "humanCode", "image",
        "inLanguage", "name", "otherIdentifier", "related", "resultDescription", "specialization",
        "tag", "version",
    )
)  # fmt: skip
OB3_SUBJECT = frozenset(
    (
        "id", "type", "achievement", "activityEndDate", "activityStartDate", "creditsEarned",
        "identifier", "image", "licenseNumber", "narrative", "result", "role", "source", "term",
    )
)  # fmt: skip
OB2_BADGE_CLASS = frozenset(
    (
        "id", "type", "name", "description", "image", "criteria", "issuer", "alignment", "tags",
        "endorsement", "related", "version",
    )
)  # fmt: skip
# Name parts of a credential subject's own properties that may carry personal data: such a term
# is not kept (the learner is known only by a pseudonymous key), only named in a warning.
PERSONAL = (
    "name", "mail", "birth", "address", "phone", "mobile", "national", "passport", "gender",
    "sex", "photo", "portrait", "image", "recipient", "person", "identity", "identifier",
    "student", "learner", "citizen", "social", "profile",
)  # fmt: skip
