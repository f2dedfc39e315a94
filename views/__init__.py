"""The three fronts, each thin: the command line (`cli/`), server-rendered pages (`pages/`) and
the JSON API with its OpenAPI document (`api/`). `context` holds what a request shares (the
database connection, the contained evaluator, the learner-key secret).

May import `models`, `engine`, `rules`, Flask and click; never `app`. A front does not import
another front: what two of them need lives in `models`, `engine` or `views.context`.
"""
