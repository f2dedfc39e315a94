"""Evaluating a population of learners against one policy: reading wallets as a stream
(`sources`: a folder of JSON wallets, a JSON Lines file, a CSV wallet sheet), evaluating them in
chunks in the worker processes (`work` runs there), writing the results in input order and
resuming an interrupted run (`outputs`, `workbook`), on this machine's cores (`runner`) or on a
Dask cluster (`dask_runner`).

May import `rules`, `engine` and `models.credentials` (to read wallets) and `models.errors`; never
`views`, Flask, `models.desk` or `models.store` (a batch needs no database). Learner ids and
grades go only into the output file: nothing here logs or prints them.
"""
