"""Calls released together in threads, for the tests of what must hold under concurrency."""

import threading

from django.db import connections


def at_once(
    calls, *, expected: type[Exception] | tuple[type[Exception], ...] = ()
) -> tuple[list, list[str]]:
    """Run the calls in as many threads, released together, each on its own connection.
    Returns (results, messages of the `expected` refusals, if any are expected); any other
    error fails the test."""
    start = threading.Barrier(len(calls))
    results, refusals, errors = [], [], []

    def run(call):
        try:
            start.wait()
            results.append(call())
        except expected as refusal:
            refusals.append(str(refusal))
        except Exception as error:  # reported below with the others
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a call is stuck (deadlock?)"
    assert errors == []
    return results, refusals
