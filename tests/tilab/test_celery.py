"""Celery: eager in the embedded default, a real worker on a real broker otherwise, and a dead
broker never hangs the caller."""

import os
import subprocess
import sys
import time

import pytest

from tilab.tasks import probe


def test_without_a_broker_tasks_run_in_process(reference_data):
    """The embedded default: no CELERY_BROKER_URL means tasks run eagerly, in the caller."""
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "tilab.settings"
    script = (
        "import django; django.setup()\n"
        "from tilab.celery import app\n"
        "print(app.conf.task_always_eager, app.conf.task_eager_propagates)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["True", "True"]

    from tilab.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        assert probe.delay().get(timeout=5)["departments"] == 4
    finally:
        app.conf.task_always_eager = eager


def test_a_dead_broker_fails_fast_instead_of_hanging_the_request():
    """Publishing to a broker nobody answers gives up within seconds, with an error the caller
    can catch; it must never block a web request."""
    env = {
        **os.environ,
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        "DJANGO_SETTINGS_MODULE": "tilab.settings",
    }
    script = (
        "import django; django.setup()\n"
        "from kombu.exceptions import OperationalError\n"
        "from tilab.tasks import probe\n"
        "try:\n"
        "    probe.delay()\n"
        "except OperationalError:\n"
        "    print('refused')\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    elapsed = time.monotonic() - started
    assert result.stdout.strip() == "refused", result.stderr
    assert elapsed < 15, f"publishing to a dead broker took {elapsed:.1f}s"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_sent_through_the_broker_is_run_by_a_real_worker(celery_worker):
    from tilab.reference import reference_data_ensure

    reference_data_ensure()
    result = probe.delay()
    answer = result.get(timeout=30)
    assert answer["pong"] is True
    assert answer["departments"] == 4  # the worker reads the same database as the test
