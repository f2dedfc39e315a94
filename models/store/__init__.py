"""SQLite storage through sqlite-utils: the connection, the write transaction (`BEGIN IMMEDIATE`),
the audit trail and organisations (`database`), which row each audit entry binds and the check of
every audited row (`bindings`), the migrations (`schema`), one module per aggregate (`users`,
`policies`, `cases`, `decisions`) and the login throttle's state (`throttle`).

The only room that imports sqlite-utils. May import `models.desk.records` (the record types it
returns), `models.desk.audit` (the chain's hashing) and `models.errors`; nothing above it.
"""
