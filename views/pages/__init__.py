"""Server-rendered pages, one blueprint per area (`auth`, `cases`, `decisions`, `policies`,
`audit`, `health`), registered by `blueprints`; `web` holds what they share (the logged-in user,
CSRF, cookies), `forms` the form schemas and `present` the words the templates use.

May import `models`, `engine`, `rules`, `views.context` and Flask; not the CLI or the API.
"""
