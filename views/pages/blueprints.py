"""Server-rendered pages (login, case queue, case page, decisions, policies, audit, login
throttles).

Each area is a blueprint in its own module; `views.pages.web` holds what they share (the logged-in
user, CSRF, cookies) and `views.pages.present` the words the templates use.
"""

from __future__ import annotations

from flask import Flask

from models.desk import logins as desk_logins
from views.pages import (
    account,
    auth,
    cases,
    decisions,
    drafts,
    erasure,
    health,
    impact,
    intake,
    language,
    letters,
    logins,
    organisation,
    policies,
    policy_texts,
    present,
    staff,
    web,
    where_else,
)
from views.pages import audit as audit_pages
from views.pages import labels as vocabulary_labels

BLUEPRINTS = (
    auth.bp,
    cases.bp,
    decisions.bp,
    policies.bp,
    drafts.bp,
    audit_pages.bp,
    intake.bp,
    logins.bp,
    health.bp,
    language.bp,
    account.bp,
    staff.bp,
    erasure.bp,
    letters.bp,
    organisation.bp,
    impact.bp,
    where_else.bp,
)


def register(app: Flask) -> None:
    """Add the page blueprints to the app."""
    desk_logins.ThrottleSettings.from_config(app.config)  # a bad number fails at start
    web.init_app(app)
    present.init_app(app)
    policy_texts.init_app(app)
    vocabulary_labels.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
