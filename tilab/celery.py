"""Publishing a Celery task from the apps without ever failing the caller (`publish`).

The Celery application itself is the composition root's (config/celery.py); this reaches it
through the task (`task.app`), so the core imports nothing above it.
"""

# A broker that hangs (paused, or its packets dropped) costs every publish its whole socket
# timeout: seconds added to the answer of whoever triggered the task. After one such slow
# failure this process stops publishing for a while; every task we publish has its work
# recorded in the database and a beat run that picks it up. A quick failure (connection
# refused) pauses nothing: the next publish tries again, so work flows as soon as it is back.
SLOW_PUBLISH = 3.0  # seconds: a refused connection fails well within it
PUBLISH_PAUSE = 30.0  # seconds
_publish_paused_until = 0.0


def publish(task, **kwargs) -> bool:
    """Send `task` with keyword arguments; True once the broker took it.

    Never raises for the transport: a dead or hanging broker is logged and the caller's
    database record of the work stands (beat or a person retries). In the embedded mode the
    task runs here, and its own exceptions are logged the same way.
    """
    import logging
    import time

    global _publish_paused_until
    log = logging.getLogger(__name__)
    if time.monotonic() < _publish_paused_until:
        log.warning("%s not queued: the broker hung just before; beat picks it up", task.name)
        return False
    started = time.monotonic()
    try:
        task.delay(**kwargs)
    except Exception:
        log.warning("%s not queued (%s); beat picks it up", task.name, kwargs, exc_info=True)
        if not task.app.conf.task_always_eager and time.monotonic() - started > SLOW_PUBLISH:
            _publish_paused_until = time.monotonic() + PUBLISH_PAUSE
        return False
    return True
