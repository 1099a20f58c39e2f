"""PostgreSQL restarted under a running platform: requests during the outage fail cleanly, the
same web and worker processes serve again right after, and a money decision caught by the
restart is either all there (decision, ledger entries, payments) or not at all; retried, it
happens exactly once and the ledger checks out."""

import threading
import time

import pytest
import requests

from tests.faults.conftest import QUICK, backend_waiting_on_lock, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.worker]

DRAIN = "figures.production_totals_drain"


def connections(stack, application: str) -> int:
    return stack.count(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", application
    )


class Validations(threading.Thread):
    """A relay validating one report after another through the restarts, as a person would
    (an error is tried again, a 409 means an earlier try went through), then reading the
    list until told to stop."""

    def __init__(self, api, report_ids):
        super().__init__(daemon=True)
        self.api, self.report_ids, self.answers = api, report_ids, []
        self.failures, self.done = 0, threading.Event()

    def ask(self, send) -> bool:
        try:
            status = send().status_code
        except requests.RequestException:
            status = "no answer"
        self.answers.append(status)
        if status in (200, 409):
            return True
        self.failures += 1
        time.sleep(0.2)
        return False

    def run(self):
        for report_id in self.report_ids:
            while not self.ask(lambda report_id=report_id: self.api.validate(report_id)):
                pass
            time.sleep(0.2)
        while not self.done.is_set():
            self.ask(lambda: self.api.get("/api/v1/production-reports/"))
            time.sleep(0.2)


def money_in_flight(stack, send, validations) -> requests.Response:
    """Send a money request while the test holds the ledger head's lock, so that it waits
    there with its decision half written, restart PostgreSQL (fast shutdown; started again
    once the relay validating meanwhile has met the outage), and return the answer."""
    answer = {}
    holder = stack.db()
    holder.execute("BEGIN")
    holder.execute("SELECT seq FROM subsidies_ledgerhead WHERE id = 1 FOR UPDATE")
    thread = threading.Thread(target=lambda: answer.update(response=send()), daemon=True)
    thread.start()
    try:
        wait_until(
            lambda: backend_waiting_on_lock(stack, "faults-web", "subsidies_ledgerhead"),
            timeout=30,
            what="the money request to wait on the ledger",
        )
        failed = validations.failures
        stack.postgres.stop()
        wait_until(
            lambda: validations.failures > failed, timeout=20, what="a validation in the outage"
        )
        stack.postgres.start()
    finally:
        holder.close()
    thread.join(timeout=60)
    return answer["response"]


def every_process_connected(stack, api) -> None:
    """Ask (read the reports, drain the totals) until both web workers and both pool children
    hold a database connection again, every answer a success."""

    def connected():
        assert api.get("/api/v1/production-reports/").status_code == 200
        for _burst in range(4):  # several at once: the other child gets some
            stack.send(DRAIN)
        return connections(stack, "faults-web") == connections(stack, "faults-worker") == 2

    wait_until(connected, timeout=30, what="every process to connect", every=0.3)


def statuses(stack, report_ids) -> set[str]:
    return set(
        stack.column(
            "SELECT status FROM makers_productionreport WHERE id = ANY(%s)", list(report_ids)
        )
    )


def decided(stack, report_ids) -> list[int]:
    """How many validation decisions each report has, in id order."""
    return stack.column(
        "SELECT count(d.id) FROM makers_productionreport r LEFT JOIN tilab_decision d "
        "ON d.object_id = r.id::text AND d.action = 'validate' "
        "WHERE r.id = ANY(%s) GROUP BY r.id ORDER BY r.id",
        list(report_ids),
    )


def money_counts(stack, redistribution: int) -> dict:
    with stack.db() as conn:
        rows = conn.execute(
            "SELECT 'ledger ' || kind, count(*) FROM subsidies_ledgerentry GROUP BY kind "
            "UNION ALL SELECT 'decision ' || action, count(*) FROM tilab_decision "
            "WHERE action IN ('redistribution_approve', 'payment_record', 'own_use_settle') "
            "GROUP BY action "
            "UNION ALL SELECT 'payments', count(*) FROM subsidies_payment "
            "UNION ALL SELECT 'status ' || status, 1 FROM subsidies_redistribution WHERE id = %s",
            (redistribution,),
        ).fetchall()
    return {name: n for name, n in rows if n}


def test_a_postgres_restart_fails_requests_cleanly_and_the_same_processes_serve_after(stack):
    web, worker = stack.start_web(), stack.start_worker("w1")  # they boot while the world is built
    world = stack.world("money")
    reports, redistribution = world["reports"], world["redistribution"]
    stack.wait_web()
    stack.wait_worker(worker)
    api = stack.api(world["token"])  # the Région validates what the relay imported
    relay_api = stack.api(world["relay_token"])  # the relay approves and pays
    for report_id in reports[:4]:
        assert api.validate(report_id).status_code == 200
    wait_until(stack.settled, timeout=30, what="the first drains")
    # Every gunicorn worker and pool child keeps a connection (CONN_MAX_AGE), as in production.
    every_process_connected(stack, api)
    processes = {"web": web.children(), "worker": worker.children()}

    # A restart with nobody asking: every kept connection is now dead. The very first requests
    # and tasks after it succeed all the same, on every web worker and pool child.
    stack.postgres.restart()
    back = len(worker.output())
    for report_id in reports[4:8]:
        assert api.validate(report_id).status_code == 200
    wait_until(stack.settled, timeout=30, what="the drains after the restart, without beat")
    every_process_connected(stack, api)
    after = worker.output()[back:]
    assert "Traceback" not in after and "raised unexpected" not in after, after

    # Down for a while: requests fail at once and write nothing; once it is up, they pass.
    stack.postgres.stop()
    for report_id in reports[8:10]:
        started = time.monotonic()
        status = api.validate(report_id).status_code
        assert status == 503 and time.monotonic() - started < QUICK
    stack.postgres.start()
    assert statuses(stack, reports[8:10]) == {"submitted"}
    for report_id in reports[8:10]:
        assert api.validate(report_id).status_code == 200
    assert decided(stack, reports[:10]) == [1] * 10

    # Money decisions caught by a restart, while a relay keeps validating.
    validations = Validations(api, reports[10:])
    validations.start()
    approve = f"/api/v1/redistributions/{redistribution}/approve/"
    # What the program read on the recap, confirmed with the approval (the reports validated
    # meanwhile are of the autumn, outside the programme's period: the figures stay fresh).
    recap = relay_api.get(f"/api/v1/redistributions/{redistribution}/recap/").json()
    seen = {"computed_at": recap["computed_at"], "fingerprint": recap["fingerprint"]}
    if recap["flags"]:  # acknowledged, as a program must, with a motivation
        seen.update(
            acknowledged_flags=[flag["code"] for flag in recap["flags"]],
            motivation="Production attestée par le relais",
        )
    assert money_counts(stack, redistribution) == {
        "ledger allocation": 1,
        "status proposed": 1,
    }
    assert (
        money_in_flight(stack, lambda: relay_api.post(approve, seen), validations).status_code
        == 503
    )
    assert money_counts(stack, redistribution) == {"ledger allocation": 1, "status proposed": 1}
    assert relay_api.post(approve, seen).status_code == 200
    assert relay_api.post(approve, seen).status_code == 409
    lines = len(world["lines"])
    approved = {
        "ledger allocation": 1,
        "ledger redistribution": lines,
        "decision redistribution_approve": 1,
        "status approved": 1,
    }
    assert money_counts(stack, redistribution) == approved

    # The relay's own-use line is settled as its own spending (payees are paid through
    # payment batches): a payment, a decision and a ledger entry, all or nothing.
    settle = f"/api/v1/redistributions/{redistribution}/settle-own-use/"
    assert money_in_flight(stack, lambda: relay_api.post(settle), validations).status_code == 503
    assert money_counts(stack, redistribution) == approved
    assert relay_api.post(settle).status_code == 201
    assert relay_api.post(settle).status_code == 409
    assert money_counts(stack, redistribution) == {
        **approved,
        "ledger payment": 1,
        "decision own_use_settle": 1,
        "payments": 1,
    }
    verified = stack.run("manage.py", "ledger_verify")
    assert f"{1 + lines + 1} écritures" in verified.stdout

    validations.done.set()
    validations.join(timeout=120)
    assert not validations.is_alive()
    print(f"\nvalidations through the restarts: {validations.answers}")
    # Each report decided once, whatever the answers the relay saw on the way.
    assert statuses(stack, reports) == {"validated"}
    assert decided(stack, reports) == [1] * len(reports)
    stack.beat_until_settled()
    assert stack.rebuild_drift(worker) == (0, 0, 0)
    assert {"web": web.children(), "worker": worker.children()} == processes
