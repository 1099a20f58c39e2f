"""Fixtures of the figures tests (the cast is in tests/conftest.py)."""

import pytest


@pytest.fixture
def eager_tasks():
    """Tasks run in the caller, as in the embedded default, even when the environment names a
    broker (CI does): these tests check the figures, not the transport. tests/conftest.py
    runs every test not marked `worker` so, and puts the configuration back after each test;
    the tests that rely on it say so with this fixture."""
    from config.celery import app

    # The app reads Django's CELERY_* settings under their prefixed names.
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = True
