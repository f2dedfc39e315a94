"""The decision desk: intent-named operations on cases that the web pages, the API and the CLI call.

The engine proposes, a person decides. Every function takes the acting `User`: the organisation
comes from them (never from the caller's input), their role is checked, and ids of another
organisation's objects are `NotFound`. The operations live in modules named for what they do;
this module is the one place the fronts import them from:

- `access`: roles (`require`) and the exact policy version a case is judged under;
- `case_intake`: opening a case, adding evidence, evaluating;
- `deciding`: deciding, requesting evidence, confirming (four eyes), returning a decision to its
  author, reopening and appeals;
- `assignment`: which officer a case is assigned to.
"""

from __future__ import annotations

from models.desk.access import (
    ANY_ROLE,
    DECIDING,
    Evaluator,
    case_policy,
    require,
    validated_policy,
)
from models.desk.case_intake import add_evidence, evaluate_case, open_case
from models.desk.deciding import (
    answers_of,
    confirm,
    decide,
    reopen_case,
    request_evidence,
    return_decision,
)
from models.desk.queue import assign_case

__all__ = [
    "ANY_ROLE",
    "DECIDING",
    "Evaluator",
    "add_evidence",
    "answers_of",
    "assign_case",
    "case_policy",
    "confirm",
    "decide",
    "evaluate_case",
    "open_case",
    "reopen_case",
    "request_evidence",
    "return_decision",
    "require",
    "validated_policy",
]
