"""A transaction rolled back after its decision queued a drain: no message reaches the broker
and no total moves; the same decision committed sends exactly one, and a savepoint rolled back
inside a committed transaction leaves only what committed."""

import pytest

from tests.faults.conftest import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.worker]


def test_a_rolled_back_decision_sends_no_message_and_a_committed_one_sends_one(stack):
    ids = stack.world("reports", 6)["reports"]
    # No worker yet: whatever reaches the broker stays in its queue, to be counted.

    assert stack.world("rolled_back", *ids[:3]) == {"waiting": 1}  # queued, then undone
    assert stack.redis.queued() == 0
    assert stack.pending() == (0, 0)
    assert stack.column("SELECT DISTINCT status FROM makers_productionreport") == ["submitted"]
    assert stack.count("SELECT count(*) FROM tilab_decision") == 0

    stack.world("committed", ids[3])
    assert stack.redis.queued() == 1
    assert stack.pending() == (1, 1)

    # One transaction: ids[4] validated, ids[5] validated in a savepoint that fails.
    assert stack.world("savepoint", ids[4], ids[5]) == {"waiting": 1}
    assert stack.redis.queued() == 2
    assert stack.pending() == (2, 2)
    statuses = stack.column(
        "SELECT status FROM makers_productionreport WHERE id = ANY(%s) ORDER BY id", ids[3:]
    )
    assert statuses == ["validated", "validated", "submitted"]
    assert stack.stored_totals() == {}

    worker = stack.start_worker("w1")
    stack.wait_worker(worker)
    wait_until(stack.settled, timeout=30, what="the worker to drain the committed decisions")
    assert stack.redis.queued() == 0
    expected = stack.expected_totals()
    assert stack.stored_totals() == expected
    quantities = stack.column(
        "SELECT quantity FROM makers_productionreport WHERE id = ANY(%s)", ids[3:5]
    )
    assert sum(q for q, *_ in expected.values()) == sum(quantities)
    assert stack.rebuild_drift(worker) == (0, 0, 0)
