"""The JSON API under /api/v1: routes for policies and evaluation (`policies`) and for cases,
evaluations and decisions (`cases`); `support` holds the blueprint, bearer-token authentication
and strict loaders, `schemas` the API's own marshmallow schemas, `docs` the OpenAPI document and
Swagger UI; `blueprints` registers them.

May import `models`, `engine`, `rules`, `views.context` and Flask; not the CLI or the pages.
"""
