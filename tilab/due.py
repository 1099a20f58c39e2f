"""Work written down in rows and done by the worker when it is due (the e-mail outbox, webhook
deliveries): claiming a due row so that one run alone does it, and backing off after a failure.

A row carries `due_at` (when to try, or None once done or given up) and `attempts`. A run
claims it with a conditional UPDATE that pushes `due_at` a lease ahead: two runs never work on
the same row at once, and a worker killed mid-way leaves the row due again when the lease ends
(at least once, never lost).
"""

from datetime import datetime, timedelta

from django.db.models import F, QuerySet


def claim(rows: QuerySet, *, pk: int, now: datetime, lease: timedelta) -> bool:
    """Claim the row `pk` among `rows` (the caller's filter of what may be worked on) if it is
    due at `now`: push its `due_at` a lease ahead and count the attempt. True if this run has
    it; False if it is not due, gone, or another run has it."""
    return (
        rows.filter(pk=pk, due_at__lte=now).update(due_at=now + lease, attempts=F("attempts") + 1)
        == 1
    )


def retry_delay(attempts: int, *, first: timedelta, last: timedelta) -> timedelta:
    """How long after its `attempts`-th failure a row is tried again: `first`, doubled after
    each failure, never more than `last`."""
    return min(first * 2 ** max(attempts - 1, 0), last)
