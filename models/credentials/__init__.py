"""Reading learners' credentials: the native wallet JSON and CSV intake (`intake`, `schema`,
`terms`), importers of Europass EDC, Open Badges and CLR documents with per-element provenance
(`formats/`), and offline verification of their seals and proofs (`verify/`).

May import `rules`, `engine` data types and `models.errors`; never `models.desk` or
`models.store`: a credential is read the same way whether or not a desk stores it.
"""
