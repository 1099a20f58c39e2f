"""The Celery application (`celery -A config`), configured from Django settings (CELERY_* names);
tasks are found in every installed app's tasks.py. Apps publish with `tilab.celery.publish`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tilab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
