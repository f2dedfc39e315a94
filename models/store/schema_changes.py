"""The migrations after 0005, one module each, imported in number order (the order matters: a
new database applies them in the order they were registered)."""

from __future__ import annotations

from models.store import (
    schema_0006_staff,  # noqa: F401
    schema_0007_queue,  # noqa: F401
    schema_0008_letters,  # noqa: F401
    schema_0009_policy_drafts,  # noqa: F401
    schema_0010_impact,  # noqa: F401
    schema_0011_impact_cohorts,  # noqa: F401
)
