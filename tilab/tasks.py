"""Background tasks of the core app."""

from celery import shared_task

from .models import Department


@shared_task(name="tilab.probe", ignore_result=False)
def probe() -> dict:
    """Answer from wherever the task runs, reading the database it is configured with.

    Used by the readiness tooling and the tests to prove that a worker receives work through
    the broker and sees the same database as the web process. Read-only, so safe to run twice.
    """
    import socket

    return {"pong": True, "host": socket.gethostname(), "departments": Department.objects.count()}
