"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest

from models.store import database as store


@pytest.fixture
def db():
    """A fresh, migrated in-memory database, closed afterwards."""
    database = store.open_db(":memory:")
    yield database
    database.close()
