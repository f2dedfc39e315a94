"""The decision desk's domain: cases and their operations (`cases`), what staff read (`reads`),
administration of staff and policies (`admin`), logging in with throttling (`logins`), the rules
a decision must obey (`decision_rules`), the records and their schemas (`records`,
`record_schemas`), the audit chain's hashing (`audit`), its signed checkpoints and the audit key
(`checkpoints`), background batch jobs (`batches`) and the demo seed (`seed`).

May import `rules`, `engine`, `models.credentials`, `models.population` (batches) and
`models.errors`; it reaches SQLite only through `models.store`, never through sqlite-utils or
sqlite3 itself.
"""
