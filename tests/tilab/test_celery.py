"""Celery: eager in the embedded default, a real worker on a real broker otherwise, and a dead
broker never hangs the caller."""

import os
import subprocess
import sys
import time

import pytest

from tilab.tasks import probe


def test_without_a_broker_tasks_run_in_process(tmp_path):
    """The embedded default: no CELERY_BROKER_URL means tasks run eagerly, in the caller,
    against the caller's database (a fresh SQLite file here, as on a newcomer's laptop)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_URL")
    }
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'embedded.sqlite3'}"
    script = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "from config.celery import app\n"
        "from tilab.tasks import probe\n"
        "print(app.conf.task_always_eager, probe.delay().get(timeout=5)['departments'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.split() == ["True", "4"], result.stderr


def test_a_dead_broker_fails_fast_instead_of_hanging_the_request():
    """Publishing to a broker nobody answers gives up within seconds, with an error the caller
    can catch; it must never block a web request."""
    env = {
        **os.environ,
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
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
