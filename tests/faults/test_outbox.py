"""E-mails through a dead broker and a refusing mail server, with the real web and worker: a
guest registers for a workshop while Redis is stopped; the page answers at once and the link
to confirm the registration waits in the outbox. Once Redis is back, beat's run finds the
mail server refusing (the e-mail waits, with its error); once the server accepts, the e-mail
arrives, once."""

import re
import time

import pytest
import requests

from tests.faults.conftest import QUICK, wait_until
from tests.smtp import free_port, smtp_sink

pytestmark = [pytest.mark.postgres, pytest.mark.worker]
GUEST = "invite@example.org"


def register_guest(base: str, workshop_id: int) -> tuple[requests.Response, float]:
    """The workshop's page, then its guest form, as a browser posts it: (answer, seconds)."""
    browser = requests.Session()
    page = browser.get(f"{base}/workshops/{workshop_id}/", timeout=30)
    assert page.status_code == 200, page.text[:500]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    started = time.monotonic()
    answer = browser.post(
        f"{base}/workshops/{workshop_id}/inscription/",
        data={"csrfmiddlewaretoken": csrf, "name": "Invité", "email": GUEST},
        timeout=60,
    )
    return answer, time.monotonic() - started


def test_a_registration_with_the_broker_down_is_confirmed_and_its_e_mail_arrives_once(stack):
    smtp_port = free_port()  # nothing listens there yet: the mail server refuses
    stack.extra_env.update(EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}", EMAIL_TIMEOUT="2")
    web, worker = stack.start_web(), stack.start_worker("w1")
    workshop_id = stack.world("workshop")["workshop"]
    stack.wait_web()
    stack.wait_worker(worker)

    def outbox() -> tuple:
        with stack.db() as conn:
            return conn.execute(
                "SELECT count(*), max(attempts), bool_and(sent_at IS NOT NULL), "
                'max(last_error) FROM tilab_outboxemail WHERE "to" = %s',
                (GUEST,),
            ).fetchone()

    stack.redis.stop()
    answer, seconds = register_guest(stack.base, workshop_id)

    assert answer.status_code == 200 and seconds < QUICK, (answer.status_code, seconds)
    assert (
        stack.count(
            "SELECT count(*) FROM workshops_pendingregistration WHERE email = %s "
            "AND confirmed_at IS NULL",
            GUEST,
        )
        == 1
    )
    assert outbox() == (1, 0, False, "")  # written with the request, never tried

    stack.redis.start()  # empty: the send task message, had there been one, is gone
    stack.wait_worker(worker)
    stack.send("tilab.outbox_emails_send_due")  # beat's next minute
    count, attempts, sent, error = wait_until(
        lambda: (row := outbox())[1] and row, timeout=30, what="beat's run to try the e-mail"
    )
    assert (count, attempts, sent) == (1, 1, False) and "refused" in error.lower()

    with smtp_sink(smtp_port) as sink:
        with stack.db() as conn:  # its back-off over (a minute in real time)
            conn.execute("UPDATE tilab_outboxemail SET due_at = now()")
        stack.send("tilab.outbox_emails_send_due")
        wait_until(lambda: sink.received, timeout=30, what="the e-mail to reach the server")
        stack.send("tilab.outbox_emails_send_due")  # and again: nothing more leaves
        time.sleep(3)

    (message,) = sink.received
    assert message["To"] == GUEST
    assert "/inscription/confirmer/" in message.get_payload(decode=True).decode()
    assert outbox()[:3] == (1, 2, True)
    assert web.alive() and worker.alive()
