"""The database schema as sqlite-utils migrations: STRICT tables and the append-only triggers.

Written as SQL rather than through `table.create` because the rules that keep the records legal
live in the schema itself: CHECK constraints on closed vocabularies, composite foreign keys that
keep a case inside its organisation, and triggers that abort any UPDATE or DELETE on the records
that must never change (so neither a bug nor a hand-typed query can rewrite them).
`store.migrate` applies the pending migrations inside one `BEGIN IMMEDIATE` transaction.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("credstack")

# Tables whose rows are never updated or deleted once written.
APPEND_ONLY = ("policies", "case_snapshots", "case_events", "evaluations", "decisions", "audit")

_TABLES = """
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE
        CHECK (slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*' AND length(slug) <= 40),
    name TEXT NOT NULL,
    four_eyes INTEGER NOT NULL DEFAULT 0 CHECK (four_eyes IN (0, 1)),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'officer', 'viewer')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
) STRICT;

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

CREATE TABLE policies (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    policy_id TEXT NOT NULL,
    version TEXT NOT NULL,
    digest TEXT NOT NULL,
    document TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('admission', 'credit', 'employment')),
    title TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    effective_to TEXT,
    published_at TEXT NOT NULL,
    published_by INTEGER NOT NULL REFERENCES users(id),
    UNIQUE (organisation_id, policy_id, version)
) STRICT;

CREATE TABLE learners (
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    key TEXT NOT NULL,
    display_name TEXT,
    external_id TEXT,
    created_at TEXT NOT NULL,
    erased_at TEXT,
    PRIMARY KEY (organisation_id, key)
) STRICT;

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    learner_key TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('admission', 'credit', 'employment')),
    policy_id TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    application_date TEXT NOT NULL,
    received_on TEXT NOT NULL,
    complete_on TEXT,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    FOREIGN KEY (organisation_id, learner_key) REFERENCES learners(organisation_id, key),
    FOREIGN KEY (organisation_id, policy_id, policy_version)
        REFERENCES policies(organisation_id, policy_id, version)
) STRICT;

CREATE TABLE case_snapshots (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    credentials TEXT NOT NULL,
    digest TEXT NOT NULL,
    added_by INTEGER NOT NULL REFERENCES users(id),
    added_at TEXT NOT NULL
) STRICT;

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    status TEXT NOT NULL CHECK (status IN ('open', 'evaluated', 'waiting_for_applicant',
        'awaiting_confirmation', 'decided', 'reopened', 'appealed')),
    note TEXT NOT NULL DEFAULT '',
    actor_id INTEGER NOT NULL REFERENCES users(id),
    at TEXT NOT NULL
) STRICT;

CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    snapshot_id INTEGER NOT NULL REFERENCES case_snapshots(id),
    fingerprint TEXT NOT NULL,
    policy_digest TEXT NOT NULL,
    engine TEXT NOT NULL,
    as_of TEXT NOT NULL,
    result TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    action TEXT NOT NULL CHECK (action IN ('accept', 'override', 'request_evidence', 'confirm')),
    kind TEXT NOT NULL CHECK (kind IN ('initial', 'correction', 'appeal', 'reopening')),
    outcomes TEXT NOT NULL DEFAULT '{}',
    exception_type TEXT CHECK (exception_type IS NULL OR exception_type IN ('substitute',
        'waive_condition', 'accept_with_condition', 'partial', 'alternative', 'refuse')),
    justification TEXT NOT NULL DEFAULT '',
    officer_id INTEGER NOT NULL REFERENCES users(id),
    decided_at TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    evaluation_id INTEGER REFERENCES evaluations(id),
    fingerprint TEXT,
    previous_decision_id INTEGER REFERENCES decisions(id),
    idempotency_key TEXT,
    request_digest TEXT NOT NULL,
    requires_confirmation INTEGER NOT NULL DEFAULT 0 CHECK (requires_confirmation IN (0, 1)),
    UNIQUE (organisation_id, idempotency_key),
    CHECK (action != 'override' OR exception_type IS NOT NULL),
    CHECK (action != 'confirm' OR previous_decision_id IS NOT NULL)
) STRICT;

CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    organisation_id INTEGER REFERENCES organisations(id),
    actor_id INTEGER REFERENCES users(id),
    event TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
) STRICT;

CREATE INDEX users_organisation ON users(organisation_id);
CREATE INDEX cases_organisation ON cases(organisation_id, id);
CREATE INDEX snapshots_case ON case_snapshots(case_id, id);
CREATE INDEX events_case ON case_events(case_id, id);
CREATE INDEX evaluations_case ON evaluations(case_id, id);
CREATE INDEX decisions_case ON decisions(case_id, id);
CREATE INDEX decisions_previous ON decisions(previous_decision_id);
CREATE INDEX audit_chain ON audit(organisation_id, seq);
"""


def _append_only(table: str) -> str:
    message = f"{table} is append-only: rows are never updated or deleted"
    return "\n".join(
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END;"
        for verb in ("UPDATE", "DELETE")
    )


# A case keeps who, what and under which rules for ever; only the date the file became complete
# may be set later. A learner row is never deleted: erasure blanks the personal fields.
_GUARDS = """
CREATE TRIGGER cases_fixed BEFORE UPDATE OF id, organisation_id, learner_key, purpose, policy_id,
    policy_version, application_date, received_on, created_by, created_at ON cases
BEGIN SELECT RAISE(ABORT, 'a case keeps its learner, purpose, policy and dates'); END;
CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
BEGIN SELECT RAISE(ABORT, 'cases are never deleted'); END;
CREATE TRIGGER learners_fixed BEFORE UPDATE OF organisation_id, key, created_at ON learners
BEGIN SELECT RAISE(ABORT, 'a learner keeps their key'); END;
CREATE TRIGGER learners_no_delete BEFORE DELETE ON learners
BEGIN SELECT RAISE(ABORT, 'learners are erased (personal fields blanked), never deleted'); END;
"""


def _run_script(db: Database, script: str) -> None:
    # One statement at a time through the open transaction: executescript() would COMMIT it.
    for statement in _statements(script):
        db.execute(statement)


def _statements(script: str) -> list[str]:
    out, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if buffer.strip() and sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        out.append(buffer.strip())
    return out


@MIGRATIONS(name="0001_initial")
def _initial(db: Database) -> None:
    _run_script(db, _TABLES)
    _run_script(db, "\n".join(_append_only(t) for t in APPEND_ONLY))
    _run_script(db, _GUARDS)


# The date each snapshot's credentials arrived: the decision clock starts on the date the last
# item the file needed arrived, which may be months after the case was received.
@MIGRATIONS(name="0002_snapshot_received_on")
def _snapshot_received_on(db: Database) -> None:
    _run_script(db, "ALTER TABLE case_snapshots ADD COLUMN received_on TEXT;")


# Each audit entry commits to the row it records: the row's reference ("decisions:12") and the
# sha256 of its bound columns (`bindings`), both inside the entry's hash. Entries written before
# keep NULL in both and their hashes; `audit verify` reports them as not bound.
@MIGRATIONS(name="0003_audit_binds_records")
def _audit_binds_records(db: Database) -> None:
    _run_script(db, "ALTER TABLE audit ADD COLUMN row_ref TEXT;")
    _run_script(db, "ALTER TABLE audit ADD COLUMN row_hash TEXT;")


# Login throttling: failed log-ins counted in the database (shared by every worker, kept across
# restarts) and the waits announced to addresses trying an account under attack. State, not
# records: rows expire, are forgotten after a successful log-in and are cleared by admins, so
# these tables are neither append-only nor bound by audit entries. A delay column is NULL when
# the failure no longer counts for that throttle (cleared, or the pair logged in since). The
# account of an e-mail address that is no user's is a keyed hash of it, never the address.
_LOGIN_THROTTLE = """
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    account TEXT NOT NULL CHECK (account GLOB 'user:*' OR account GLOB 'email:*'),
    user_id INTEGER REFERENCES users(id),
    address TEXT NOT NULL,
    address_hash TEXT NOT NULL,
    pair_delay REAL CHECK (pair_delay IS NULL OR pair_delay >= 0),
    address_delay REAL CHECK (address_delay IS NULL OR address_delay >= 0),
    account_delay REAL CHECK (account_delay IS NULL OR account_delay >= 0),
    pair_until TEXT,
    address_until TEXT
) STRICT;

CREATE TABLE login_waits (
    account TEXT NOT NULL,
    address_hash TEXT NOT NULL,
    ready_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (account, address_hash)
) STRICT;

CREATE INDEX login_failures_pair ON login_failures(account, address_hash);
CREATE INDEX login_failures_address ON login_failures(address_hash);
CREATE INDEX login_failures_expiry ON login_failures(expires_at);
CREATE INDEX login_waits_expiry ON login_waits(expires_at);
"""


@MIGRATIONS(name="0004_login_throttle")
def _login_throttle(db: Database) -> None:
    _run_script(db, _LOGIN_THROTTLE)


# Batches: jobs evaluating a population of learners against one policy version (the API's
# /batches). A row is the job's state (queued, running, done, failed) and its counts; the
# learners' wallets and results are files beside the database, never rows. State, not records:
# the audit trail says who started a batch and how it ended, without personal data.
_BATCHES = """
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    as_of TEXT NOT NULL,
    detail TEXT NOT NULL CHECK (detail IN ('compact', 'full')),
    learners INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    evaluated INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    started_at TEXT,
    heartbeat_at TEXT,
    finished_at TEXT,
    failure TEXT,
    results_sha256 TEXT,
    summary TEXT
) STRICT;
CREATE INDEX batches_by_organisation ON batches (organisation_id, id);
CREATE INDEX batches_by_status ON batches (status, heartbeat_at);
"""


@MIGRATIONS(name="0005_batches")
def _batches(db: Database) -> None:
    _run_script(db, _BATCHES)


# Later migrations live in modules of their own (`schema_NNNN_<what>.py`, each registering one
# migration on MIGRATIONS with `@MIGRATIONS(name="NNNN_<what>")`); importing them here, in number
# order, registers them in that order.
from models.store import schema_changes  # noqa: E402,F401
