"""SQLite storage through sqlite-utils: the connection, the write transaction (`BEGIN IMMEDIATE`),
the audit trail and organisations (`database`), the migrations (`schema`), and one module per
aggregate (`users`, `policies`, `cases`, `decisions`).

The only room that imports sqlite-utils. May import `models.desk.records` (the record types it
returns), `models.desk.audit` (the chain's hashing) and `models.errors`; nothing above it.
"""
