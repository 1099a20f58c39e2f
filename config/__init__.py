"""The composition root: settings, root URLs, the Celery app, WSGI/ASGI entry points.

Imports every app; no models, and no app imports it. The Celery app is created here so that
the apps' `shared_task`s bind to it as soon as Django loads the settings.
"""

from .celery import app as celery_app

__all__ = ["celery_app"]
