"""The `credstack` command line (`main` holds the group): policy check/test, evaluate, import,
vocabulary, bench (`main`), the desk's commands (`desk`), `import` (`imports`), `serve`, `batch`
(`batch`), what the commands share (`common`), and the plain-text rendering of a result
(`text_report`, `vocabulary_doc`).

May import `models`, `engine`, `rules`, `views.context` and click; not the pages or the API.
"""
