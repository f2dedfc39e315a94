"""Seeded synthetic policy documents and wallets for the benchmark.

The shapes follow what real recognition policies look like: every rule has a rule-specific
*profile* check (field of study, skills) and 1–3 further checks drawn from a small, shared
repertoire (EQF level, workload, assessment and supervision, recency, issuer country, learning
outcomes), so that identical checks recur across rules as they do in practice. Each check has
1–3 conditions, sometimes an `any` group. Small policies also carry stacking targets. Credential
values follow plausible distributions (most credentials are small, recent, level 5–7, from a few
large countries and fields), with some elements absent, so that roughly 10–40 % of the
conditions hold and some are unknown.

Everything is a pure function of (size, seed): `random.Random` seeded with a string is stable
across runs and interpreters (it does not depend on PYTHONHASHSEED).
"""

from __future__ import annotations

import datetime as dt
import random
from fractions import Fraction
from typing import Any

from engine.inputs import Credential, Wallet

AS_OF = dt.date(2026, 9, 1)

# EU member states, most frequent issuers first (weights decrease along the list).
COUNTRIES = (
    "DE FR IT ES NL PL SE BE AT IE PT DK FI CZ RO GR HU SK BG HR SI LT LV EE LU CY MT".split()
)
_COUNTRY_WEIGHTS = tuple(1.0 / (1 + i * 0.35) for i in range(len(COUNTRIES)))

# ISCED-F 2013 detailed fields (4 digits).
ISCED_DETAILED = tuple(
    (
        "0011 0111 0112 0114 0211 0212 0213 0231 0232 0311 0312 0313 0314 0321 0322 "
        "0411 0412 0413 0414 0415 0416 0417 0421 0511 0512 0521 0531 0532 0533 0541 0542 "
        "0611 0612 0613 0711 0712 0713 0714 0715 0716 0721 0722 0731 0732 0811 0821 0841 "
        "0911 0912 0913 0922 0923 1011 1013 1014 1015 1022 1031 1041"
    ).split()
)
# How often micro-credentials fall in each broad field: ICT, business, engineering lead.
_BROAD_WEIGHTS = {
    "00": 1,
    "01": 7,
    "02": 5,
    "03": 5,
    "04": 20,
    "05": 5,
    "06": 25,
    "07": 15,
    "08": 3,
    "09": 8,
    "10": 6,
}
BROAD = tuple(sorted(_BROAD_WEIGHTS))
NARROW = tuple(sorted({c[:3] for c in ISCED_DETAILED}))

# ESCO-like skill URIs in topical clusters; each broad field leans on some clusters.
SKILL_CLUSTERS = 12
SKILLS_PER_CLUSTER = 6


def _skill_uri(cluster: int, k: int) -> str:
    uid = random.Random(f"esco:{cluster}:{k}").getrandbits(128)
    h = f"{uid:032x}"
    return f"http://data.europa.eu/esco/skill/{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


SKILLS = tuple(
    tuple(_skill_uri(c, k) for k in range(SKILLS_PER_CLUSTER)) for c in range(SKILL_CLUSTERS)
)
_FIELD_CLUSTERS = {
    "06": (0, 1, 2),
    "04": (3, 4),
    "07": (5, 6),
    "09": (7,),
    "01": (8,),
    "02": (9,),
    "03": (10,),
    "05": (11,),
}

ASSESSMENT = (
    "written_exam",
    "oral_exam",
    "practical",
    "project",
    "online_quiz",
    "peer",
    "self",
    "none",
)
_ASSESSMENT_WEIGHTS = (25, 5, 12, 22, 22, 3, 5, 6)
SUPERVISION = ("none", "supervised_no_id", "supervised_online_id", "supervised_onsite_id")
_SUPERVISION_WEIGHTS = (35, 15, 25, 25)
ECTS_VALUES = (0.5, 1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 10.0, 15.0)
_ECTS_WEIGHTS = (4, 10, 14, 6, 16, 8, 14, 8, 6, 8, 6)
EQF_LEVELS = (3, 4, 5, 6, 7, 8)
_EQF_WEIGHTS = (3, 10, 20, 35, 25, 7)
BODIES = tuple(f"provider-{i:02d}" for i in range(40))
OUTCOMES = (
    "Analyse data with appropriate tools",
    "Design a small relational database",
    "Explain the principles of project management",
    "Apply quality management methods",
    "Communicate results to non-specialists",
    "Evaluate risks in a professional context",
)

# How many stacking targets a policy of each size carries (the larger ones are recognition-only).
DEFAULT_TARGETS = {10: 2, 50: 2, 200: 1}

# Share of credentials lacking each optional (or sometimes missing) element.
ABSENT = {
    "ects": 0.04,
    "eqf_level": 0.05,
    "assessment_type": 0.03,
    "supervision": 0.30,
    "field_of_study": 0.15,
    "skills": 0.25,
}


def _cond(element: str, op: str, value: Any = None, share: float | None = None) -> dict:
    out: dict[str, Any] = {"element": element, "op": op}
    if value is not None:
        out["value"] = value
    if share is not None:
        out["share"] = share
    return out


class _Pools:
    """Per-policy repertoires from which rules draw, which bounds the number of distinct
    derived engine fields (prefixes, skill sets) as the engine's fact-size limit requires."""

    def __init__(self, rng: random.Random):
        self.prefixes = list(BROAD) + list(NARROW)
        self.covers: list[dict] = []
        for _ in range(48):
            cluster = rng.randrange(SKILL_CLUSTERS)
            size = rng.choice((2, 3, 3, 4))
            skills = sorted(rng.sample(SKILLS[cluster], size))
            self.covers.append(_cond("skills", "covers", skills, rng.choice((0.5, 0.5, 1.0))))
        self.partners = [
            sorted(rng.sample(COUNTRIES, rng.randint(3, 9))) for _ in range(6)
        ]  # "partner country" lists
        self.assessments = [
            ["written_exam", "oral_exam", "practical"],
            ["written_exam", "project"],
            ["written_exam", "practical", "project"],
            ["online_quiz", "written_exam", "project", "practical"],
        ]
        self.supervision = [
            ["supervised_onsite_id", "supervised_online_id"],
            ["supervised_onsite_id"],
            ["supervised_online_id", "supervised_onsite_id", "supervised_no_id"],
        ]


def _prefix(rng: random.Random, pools: _Pools) -> str:
    # Narrow fields are what profiles usually name; broad ones appear too.
    if rng.random() < 0.65:
        return rng.choice(NARROW)
    return rng.choices(BROAD, [_BROAD_WEIGHTS[b] for b in BROAD])[0]


def _profile(rng: random.Random, pools: _Pools) -> list:
    first = _cond("field_of_study", "starts_with", _prefix(rng, pools))
    shape = rng.random()
    if shape < 0.3:
        return [first]
    if shape < 0.6:
        return [first, rng.choice(pools.covers)]
    if shape < 0.8:
        other = _cond("field_of_study", "starts_with", _prefix(rng, pools))
        return [{"any": [first, other]}, rng.choice(pools.covers)]
    return [first, _cond("eqf_level", "gte", rng.choice((4, 5, 6)))]


def _level(rng: random.Random, pools: _Pools) -> list:
    main = rng.choices(
        (
            _cond("eqf_level", "gte", 5),
            _cond("eqf_level", "gte", 6),
            _cond("eqf_level", "gte", 7),
            _cond("eqf_level", "in", [6, 7]),
            _cond("eqf_level", "eq", 6),
        ),
        (2, 4, 2, 1, 1),
    )[0]
    if rng.random() < 0.3:
        return [main, _cond("issued_on", "within_years", rng.choice((3, 5)))]
    return [main]


def _workload(rng: random.Random, pools: _Pools) -> list:
    low = rng.choice((2.0, 3.0, 4.0, 5.0, 6.0, 7.5, 10.0))
    out = [_cond("ects", "gte", low)]
    if rng.random() < 0.3:
        out.append(_cond("ects", "lte", rng.choice([x for x in (10.0, 15.0, 30.0) if x > low])))
    if rng.random() < 0.2:
        out.append(_cond("eqf_level", "gte", rng.choice((5, 6))))
    return out


def _quality(rng: random.Random, pools: _Pools) -> list:
    out = [_cond("assessment_type", "in", rng.choice(pools.assessments))]
    if rng.random() < 0.5:
        out.append(_cond("supervision", "in", rng.choice(pools.supervision)))
    if rng.random() < 0.3:
        out.append(_cond("issuer_country", "in", rng.choice(pools.partners)))
    return out


def _requirements(rng: random.Random, pools: _Pools) -> list:
    out = [_cond("issued_on", "within_years", rng.choice((2, 3, 5, 10)))]
    if rng.random() < 0.4:
        out.append(_cond("issuer_country", "in", rng.choice(pools.partners)))
    return out


def _learning_outcomes(rng: random.Random, pools: _Pools) -> list:
    shape = rng.random()
    if shape < 0.6:
        return [rng.choice(pools.covers)]
    a, b = rng.sample(pools.covers, 2)
    return [a, b] if shape < 0.8 else [{"any": [a, b]}]


_CHECKS = {
    "level": _level,
    "workload": _workload,
    "quality": _quality,
    "requirements": _requirements,
    "learning_outcomes": _learning_outcomes,
}


def _rule(rng: random.Random, i: int, pools: _Pools) -> dict:
    others = rng.sample(sorted(_CHECKS), rng.choice((1, 1, 2, 2, 3)))
    checks = {"profile": _profile(rng, pools)}
    for aspect in others:
        checks[aspect] = _CHECKS[aspect](rng, pools)
    rule: dict[str, Any] = {
        "id": f"r{i:04d}",
        "title": f"Recognition of micro-credentials towards module {i:04d}",
        "checks": checks,
    }
    if rng.random() < 0.2:
        rule["applies_to"] = rng.choice(
            (
                [_cond("eqf_level", "gte", 4)],
                [_cond("issuer_country", "in", pools.partners[0])],
                [_cond("assessment_type", "in", pools.assessments[3])],
            )
        )
    if len(checks) >= 3 and rng.random() < 0.4:
        named = list(checks)
        rule["outcomes"] = [
            {"level": "full", "requires": named, "recognised_as": f"Module {i:04d}", "credits": 5},
            {"level": "partial", "requires": named[:2], "credits": 2.5},
        ]
    return rule


def _target(rng: random.Random, k: int) -> dict:
    broad = rng.choice(("04", "06", "07"))
    target: dict[str, Any] = {
        "id": f"t{k}",
        "title": f"Stackable certificate {k}",
        "slots": [
            {
                "id": "core",
                "title": f"Core modules in field {broad}",
                "min": 2,
                "max": "any",
                "when": [
                    _cond("field_of_study", "starts_with", broad),
                    _cond("eqf_level", "gte", 5),
                ],
            },
            {
                "id": "elective",
                "title": "Elective",
                "min": 1,
                "max": 2,
                "when": [_cond("ects", "gte", 2.0), _cond("issued_on", "within_years", 5)],
            },
        ],
        "min_total_ects": rng.choice((15, 20, 30)),
        "awards": f"Certificate {k}",
        "credits": 30,
    }
    if rng.random() < 0.5:
        target["max_per_provider"] = 2
    return target


def policy_document(n_rules: int, seed: int = 0, targets: int | None = None) -> dict:
    """A policy document (as a policy file would be parsed) with `n_rules` recognition rules."""
    rng = random.Random(f"policy:{n_rules}:{seed}")
    pools = _Pools(rng)
    n_targets = DEFAULT_TARGETS.get(n_rules, 0) if targets is None else targets
    return {
        "id": f"synthetic-{n_rules}-{seed}",
        "title": f"Synthetic policy, {n_rules} rules (seed {seed})",
        "organisation": "Benchmark University",
        "purpose": "credit",
        "version": f"{seed}",
        "effective_from": "2024-01-01",
        "exclusions": [
            {
                "id": "participation-only",
                "reason": "participation without assessment is not recognised",
                "when": [_cond("assessment_type", "in", ["none", "self"])],
            }
        ],
        "recognition": [_rule(rng, i, pools) for i in range(n_rules)],
        "targets": [_target(rng, k) for k in range(n_targets)],
    }


def credential_values(rng: random.Random, as_of: dt.date = AS_OF) -> dict[str, Any]:
    """Element values of one plausible credential (Python types, as `Credential.of` expects)."""
    broad = rng.choices(BROAD, [_BROAD_WEIGHTS[b] for b in BROAD])[0]
    detailed = rng.choice([c for c in ISCED_DETAILED if c.startswith(broad)])
    values: dict[str, Any] = {
        "title": f"Micro-credential in {detailed}",
        "awarding_body": rng.choice(BODIES),
        "issuer_country": rng.choices(COUNTRIES, _COUNTRY_WEIGHTS)[0],
        # Mostly the last ten years; a few dated after the application date.
        "issued_on": as_of - dt.timedelta(days=rng.randint(-30, 3650)),
        "participation_form": rng.choice(("online", "onsite", "blended")),
        "quality_assurance": rng.choice(
            ("external_accreditation", "institutional_internal", "industry_certification")
        ),
        "learning_outcomes": tuple(rng.sample(OUTCOMES, rng.randint(1, 3))),
    }
    if rng.random() >= ABSENT["ects"]:
        values["ects"] = rng.choices(ECTS_VALUES, _ECTS_WEIGHTS)[0]
    elif rng.random() < 0.5:
        values["workload_hours"] = float(rng.choice((15, 30, 60, 90, 150)))
    if rng.random() >= ABSENT["eqf_level"]:
        values["eqf_level"] = rng.choices(EQF_LEVELS, _EQF_WEIGHTS)[0]
    if rng.random() >= ABSENT["assessment_type"]:
        values["assessment_type"] = rng.choices(ASSESSMENT, _ASSESSMENT_WEIGHTS)[0]
    if rng.random() >= ABSENT["supervision"]:
        values["supervision"] = rng.choices(SUPERVISION, _SUPERVISION_WEIGHTS)[0]
    if rng.random() >= ABSENT["field_of_study"]:
        roll = rng.random()
        values["field_of_study"] = (
            detailed if roll < 0.8 else detailed[:3] if roll < 0.95 else detailed[:2]
        )
    if rng.random() >= ABSENT["skills"]:
        clusters = _FIELD_CLUSTERS.get(broad) or tuple(range(SKILL_CLUSTERS))
        own = SKILLS[rng.choice(clusters)]
        picked = set(rng.sample(own, rng.randint(1, 5)))
        for _ in range(rng.randint(0, 2)):
            picked.add(rng.choice(rng.choice(SKILLS)))
        values["skills"] = tuple(sorted(picked))
    return values


def wallet(n_credentials: int, seed: int = 0, as_of: dt.date = AS_OF) -> Wallet:
    """A learner's wallet of `n_credentials` credentials with ids c000, c001, ..."""
    rng = random.Random(f"wallet:{n_credentials}:{seed}")
    creds = tuple(
        Credential.of(f"c{i:03d}", credential_values(rng, as_of)) for i in range(n_credentials)
    )
    return Wallet(f"learner-{n_credentials}-{seed}", creds)


def wallet_document(n_credentials: int, seed: int = 0, as_of: dt.date = AS_OF) -> dict[str, Any]:
    """`wallet(...)` as the wallet document a learner's file (or an API request) holds."""
    learner = wallet(n_credentials, seed, as_of)
    credentials = []
    for c in learner.credentials:
        doc: dict[str, Any] = {"id": c.id}
        for name, value in c.values.items():
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Fraction):
                value = float(value)
            doc[name] = value
        credentials.append(doc)
    return {"learner": {"id": learner.learner_key}, "credentials": credentials}
