"""Policy drafts: writing a policy on the desk, checking it as it is written, publishing it.

A draft belongs to an organisation and holds the text exactly as the admin wrote it (comments
included); the policy id and version it declares are read from the text whenever it is saved,
as far as the text can be read. Admins create (empty template, copy of a published version, an
uploaded file), save, delete and publish drafts; every role may read them (officers see what is
coming). Publishing goes through `models.desk.publishing.publish`, the gates every front uses,
with the draft's text kept as the version's text as written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import yaml

from engine.inputs import wallet_from_plain
from models.desk import impact as desk_impact
from models.desk import publishing
from models.desk.access import ANY_ROLE, Evaluator, require, validated_policy
from models.desk.draft_check import DraftCheck, check_text
from models.desk.draft_records import PolicyDraft
from models.desk.publishing import Supersedes
from models.desk.records import PolicyVersion, User
from models.errors import InvalidInput
from models.messages import N_
from models.store import drafts as store_drafts
from models.store import policies as store_policies
from models.store.database import DB
from rules.diff import Change, diff_policies
from rules.document import MAX_POLICY_BYTES
from rules.errors import PolicyError, Problem
from rules.loader import load_policy, parse_document

TEMPLATE = """\
# A new policy. Write it here, press Check to see its problems beside the lines they point at,
# and publish it once every attached example passes and no check reports an error.
id: my-policy
title: "Title of the policy"
organisation: "Name of the organisation"
purpose: credit  # admission, credit or employment
version: "1"
effective_from: 2027-01-01
recognition:
  - id: elective-credit
    title: "Elective credit for a micro-credential"
    checks:
      level:
        - {element: eqf_level, op: gte, value: 6}
      workload:
        - {element: ects, op: gte, value: 5}
"""


def declared(text: str) -> tuple[str | None, str | None]:
    """The policy id and version the text declares, as far as it can be read."""
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    pid, version = data.get("id"), data.get("version")
    return (pid if isinstance(pid, str) else None), (
        str(version) if isinstance(version, (str, int, float)) else None
    )


def _checked_text(text: str) -> str:
    text = text.replace("\r\n", "\n")  # a browser's textarea sends CRLF; the file had LF
    if not text.strip():
        raise InvalidInput({"text": N_("the draft is empty; write the policy or start from one")})
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise InvalidInput(
            {"text": N_("at most %(most)s bytes are accepted", most=MAX_POLICY_BYTES)}
        )
    return text


def list_drafts(db: DB, user: User) -> list[PolicyDraft]:
    require(user, *ANY_ROLE)
    return store_drafts.list_drafts(db, user.organisation_id)


def get_draft(db: DB, user: User, draft_id: int) -> PolicyDraft:
    require(user, *ANY_ROLE)
    return store_drafts.get_draft(db, user.organisation_id, draft_id)


def written_text(version: PolicyVersion) -> str:
    """A published version's text as written, or its document as YAML for versions published
    before texts were kept."""
    if version.source_text is not None:
        return version.source_text
    return yaml.safe_dump(dict(version.document), sort_keys=False, allow_unicode=True)


def new_draft(
    db: DB, user: User, text: str | None = None, *, based_on: tuple[str, str] | None = None
) -> PolicyDraft:
    """A draft from `text` (an upload, a pasted policy), else a copy of the published version
    `based_on` (policy id, version), else the empty template."""
    require(user, "admin")
    row = None
    if based_on is not None:
        source = store_policies.get_policy(db, user.organisation_id, *based_on)
        row = source.id
        text = written_text(source) if text is None else text
    text = _checked_text(TEMPLATE if text is None else text)
    return store_drafts.create_draft(db, user, text, *declared(text), based_on=row)


def save_draft(
    db: DB, user: User, draft_id: int, text: str, supersedes: Supersedes | None = None
) -> PolicyDraft:
    require(user, "admin")
    text = _checked_text(text)
    pair = (supersedes.version, supersedes.start) if supersedes else None
    return store_drafts.save_draft(db, user, draft_id, text, *declared(text), pair)


def delete_draft(db: DB, user: User, draft_id: int) -> None:
    require(user, "admin")
    store_drafts.delete_draft(db, user, draft_id)


def supersedes_of(draft: PolicyDraft) -> Supersedes | None:
    if draft.supersedes_version is None or draft.supersedes_from is None:
        return None
    return Supersedes(draft.supersedes_version, draft.supersedes_from)


def on_file(db: DB, user: User) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(credentials, applicant facts) of the organisation's stored cases, as plain dicts
    (element → value, declared elements under `extensions`), for the coverage check."""
    credentials, applicants = [], []
    for plain in store_drafts.credentials_on_file(db, user.organisation_id):
        wallet = wallet_from_plain(dict(plain))
        applicants.append(dict(wallet.applicant))
        for c in wallet.credentials:
            record: dict[str, Any] = dict(c.values)
            if c.extensions:
                record["extensions"] = dict(c.extensions)
            credentials.append(record)
    return credentials, applicants


def check_draft(db: DB, user: User, text: str) -> DraftCheck:
    """`policy check` of a text (saved or not), with coverage over the cases on file."""
    require(user, *ANY_ROLE)
    credentials, applicants = on_file(db, user)
    return check_text(text, credentials or None, applicants or None)


def publish_draft(
    db: DB,
    user: User,
    draft_id: int,
    *,
    evaluator: Evaluator | None = None,
    impact_summary: dict[str, Any] | None = None,
) -> PolicyVersion:
    """Publish the draft as saved through the gates; the draft is then closed. Without an
    `impact_summary`, the trail entry gets the summary of the newest finished impact report of
    this draft's exact text, if one was run."""
    require(user, "admin")
    draft = store_drafts.get_draft(db, user.organisation_id, draft_id)
    if not draft.open:
        raise InvalidInput({"draft": N_("this draft is published already")})
    document = parse_document(draft.text.encode("utf-8"), f"draft-{draft_id}.yaml")
    if not isinstance(document, dict):
        raise PolicyError([Problem("", "expected a mapping at the top level")], "draft")
    if impact_summary is None:
        digest = load_policy(document, source="draft").digest  # `PolicyError` lists problems
        impact_summary = desk_impact.latest_summary(db, user, f"draft:{draft_id}", digest)
    return publishing.publish(
        db,
        user,
        document,
        evaluator=evaluator,
        source_text=draft.text,
        supersedes=supersedes_of(draft),
        impact_summary=impact_summary,
        draft_id=draft_id,
    )


def in_force(db: DB, user: User, policy_id: str, on: dt.date) -> PolicyVersion | None:
    """The published version of a policy id in force on a date (superseding counted)."""
    versions = store_policies.versions_of(db, user.organisation_id, policy_id)
    found = [
        v
        for v in versions
        if v.effective_from <= on
        and ((end := publishing.period_end(v, versions)) is None or on <= end)
    ]
    return found[-1] if found else None


def version_diff(db: DB, user: User, policy_id: str, old: str, new: str) -> list[Change]:
    """What changed from one published version to another, in words."""
    require(user, *ANY_ROLE)
    a = store_policies.get_policy(db, user.organisation_id, policy_id, old)
    b = store_policies.get_policy(db, user.organisation_id, policy_id, new)
    return diff_policies(validated_policy(a), validated_policy(b), a.document, b.document)


def draft_diff(
    db: DB, user: User, draft: PolicyDraft, check: DraftCheck, today: dt.date
) -> tuple[PolicyVersion | None, list[Change]]:
    """The draft against the version it was started from, else the version of its policy id
    in force today (else the newest published); no changes while the draft is not valid."""
    base = None
    if draft.based_on is not None:
        base = store_policies.get_policy_row(db, user.organisation_id, draft.based_on)
    elif draft.policy_id is not None:
        base = in_force(db, user, draft.policy_id, today)
        if base is None:
            versions = store_policies.versions_of(db, user.organisation_id, draft.policy_id)
            base = versions[-1] if versions else None
    if base is None or check.policy is None:
        return base, []
    document: Mapping[str, Any] | None = check.document
    return base, diff_policies(validated_policy(base), check.policy, base.document, document)
