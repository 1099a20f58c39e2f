"""Redis stopped or frozen while relays validate: every validation still answers, quickly, and
counts; once Redis is back (empty after a stop: its queued messages are lost) the drains bring
the totals to exactly the full recompute, through the same web and worker processes."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults.conftest import QUICK, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.worker]


def validate_all(api, report_ids: list[int], *, threads: int) -> list[tuple[int, int, float]]:
    """Validate each report once, `threads` at a time: (report, HTTP status, seconds)."""

    def one(report_id):
        started = time.monotonic()
        status = api.validate(report_id).status_code
        return report_id, status, time.monotonic() - started

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, report_ids))


def test_validations_answer_quickly_while_redis_is_down_and_the_drains_catch_up_after(stack):
    web, worker = stack.start_web(), stack.start_worker("w1")  # they boot while the world is built
    world = stack.world("reports", 60)
    ids = world["reports"]
    stack.wait_web()
    stack.wait_worker(worker)
    api = stack.api(world["token"])

    # Before the fault: each validation's drain goes through Redis to the worker.
    assert all(status == 200 for _id, status, _s in validate_all(api, ids[:10], threads=2))
    wait_until(stack.settled, timeout=30, what="the worker to drain the first validations")

    stack.redis.stop()
    started = time.monotonic()
    answers = validate_all(api, ids[10:50], threads=4)
    outage = time.monotonic() - started

    slowest = max(seconds for _id, _status, seconds in answers)
    print(f"\n40 validations with Redis down: {outage:.1f} s, slowest {slowest:.2f} s")
    assert [status for _id, status, _s in answers] == [200] * 40
    assert slowest < QUICK, f"a validation took {slowest:.1f} s with Redis down"
    # Every decision counted in the database; the work waits, recorded by the dirty marks
    # and their journal, not by a message.
    validated = "SELECT count(*) FROM makers_productionreport WHERE status = 'validated'"
    assert stack.count(validated) == 50
    dirty, journal = stack.pending()
    assert dirty > 0 and journal > 0
    assert stack.stored_totals() != stack.expected_totals()

    stack.redis.start()  # same port, nothing in it: every message queued before is gone
    stack.wait_worker(worker)
    assert stack.redis.queued() == 0
    assert stack.pending() == (dirty, journal)  # nothing drained them: no message survived
    # Beat's next run (every minute in production) drains what the outage left.
    assert stack.beat_until_settled() == 1
    assert stack.stored_totals() == stack.expected_totals()

    # The same web processes queue their drains again, without a restart and without beat.
    assert all(status == 200 for _id, status, _s in validate_all(api, ids[50:], threads=2))
    wait_until(stack.settled, timeout=30, what="the validations' own drains after the outage")
    assert stack.rebuild_drift(worker) == (0, 0, 0)
    assert web.alive() and worker.alive()


def test_a_frozen_redis_slows_at_most_the_first_validation_of_each_client_and_loses_nothing(
    stack,
):
    web, worker = stack.start_web(), stack.start_worker("w1")
    world = stack.world("reports", 30)
    ids = world["reports"]
    stack.wait_web()
    stack.wait_worker(worker)
    api = stack.api(world["token"])
    assert all(status == 200 for _id, status, _s in validate_all(api, ids[:4], threads=2))
    wait_until(stack.settled, timeout=30, what="the worker to drain the first validations")

    stack.redis.freeze()
    answers = validate_all(api, ids[4:], threads=2)
    seconds = sorted(seconds for _id, _status, seconds in answers)
    print(f"\n26 validations with Redis frozen, slowest: {seconds[-3:]}")
    assert [status for _id, status, _s in answers] == [200] * 26
    # A web process waits out the cache's and the broker's timeouts once (2 s, then 3 × 5 s
    # with the broker's reconnection and retry), then leaves them alone for a while: one slow
    # answer per client thread at most, where each answer took 9 to 19 s before.
    assert seconds[-3] < 1 and seconds[-1] < 30, seconds

    stack.redis.thaw()
    stack.wait_worker(worker)
    stack.beat_until_settled()
    assert stack.stored_totals() == stack.expected_totals()
    assert stack.rebuild_drift(worker) == (0, 0, 0)
    assert web.alive() and worker.alive()
