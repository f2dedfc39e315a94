"""Fixtures shared by the test modules, and the browser tests' patience."""

from __future__ import annotations

import pytest

from models.store import database as store

try:
    from playwright.sync_api import expect
except ImportError:  # the browser tests skip without Playwright
    pass
else:
    # A page that is ready passes at once; on a shared, loaded machine a page may take longer
    # than Playwright's 5 s to show what it will show, which is slowness, not a failure.
    expect.set_options(timeout=20_000)


@pytest.fixture
def db():
    """A fresh, migrated in-memory database, closed afterwards."""
    database = store.open_db(":memory:")
    yield database
    database.close()
