"""The README is the policy reference: a construct the language accepts but the README does not
name fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rules import computed, declarations, requests, schema, tables
from rules.examples import LIKE_KEYS
from rules.scales import built_in
from views.cli.vocabulary_doc import TYPES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")

CONSTRUCTS = sorted(
    set(schema.PolicySchema._declared_fields)
    | set(schema.TargetSchema._declared_fields)
    | set(schema.SlotSchema._declared_fields)
    | set(schema.SettingsSchema._declared_fields)
    | set(schema.RecognitionSchema._declared_fields)
    | set(schema.TierSchema._declared_fields)
    | set(declarations.DECLARABLE)
    | set(declarations._KEYS)
    | set(requests.ABOUT)
    | {"per_credential", "considers", "for", "choices", "decision", "otherwise", "options",
       "next_best", "rows", "disposition", "reasons"}
    | {d.code for d in requests.BUILT_IN_DISPOSITIONS}
    | {"first", "priority", "hit", "status", "level", "criterion", "target", "rule"}
    | {"fact", "choice"}
    | set(tables._TABLE_KEYS) | {"match", "where", "on", "matches", "no_match", "column"}
    | set(computed.OPERATIONS) | {"range", "classes", "default"}
    | (LIKE_KEYS | {"applicant", "request", "expect", "set_aside"})
    | {"system", "framework", "scheme", "warning", "if_absent", "hours_per_ects"}
)  # fmt: skip


@pytest.mark.parametrize("construct", CONSTRUCTS)
def test_every_construct_of_the_language_is_in_the_readme(construct):
    assert re.search(rf"(?<![\w-]){re.escape(construct)}(?![\w-])", README), construct


@pytest.mark.parametrize("value_type", sorted(TYPES))
def test_every_value_type_is_documented(value_type):
    assert f"`{value_type}`" in README


@pytest.mark.parametrize(
    "scale",
    [
        f"`{k}`"
        for kind in ("frameworks", "credit_systems", "grade_schemes")
        for k in built_in(kind)
    ],
)
def test_every_built_in_scale_is_listed(scale):
    assert scale in README


def test_the_value_types_table_covers_every_type_the_vocabulary_knows():
    from rules.vocabulary import VALUE_TYPES

    assert sorted(TYPES) == sorted(VALUE_TYPES)
