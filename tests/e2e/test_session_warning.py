"""A few minutes before the session ends, a dialog says so and the person extends it."""

from datetime import datetime

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_warning_shows_before_the_end_and_extending_keeps_the_person_in(
    desktop, maker, settings
):
    # The whole session is inside the warning window, so the dialog shows at once.
    settings.TILAB_SESSION_WARNING_SECONDS = settings.SESSION_COOKIE_AGE + 60
    e2e.log_in(desktop, maker.email)
    desktop.goto("/chiffres/")
    dialog = desktop.get_by_role("alertdialog", name="Votre session se termine bientôt")
    dialog.wait_for()
    assert_accessible(desktop, "the session warning")
    ends_before = dialog.get_attribute("data-session-ends-at")

    with desktop.expect_response("**/accounts/session/prolonger/") as answer:
        dialog.get_by_role("button", name="Prolonger ma session").click()

    assert answer.value.status == 200
    ends_after = answer.value.json()["ends_at"]
    assert datetime.fromisoformat(ends_after) > datetime.fromisoformat(ends_before)
    assert desktop.url.endswith("/chiffres/")  # the person stays on their page


def test_the_warning_can_be_closed(desktop, maker, settings):
    settings.TILAB_SESSION_WARNING_SECONDS = settings.SESSION_COOKIE_AGE + 60
    e2e.log_in(desktop, maker.email)
    dialog = desktop.get_by_role("alertdialog")
    dialog.wait_for()
    dialog.get_by_role("button", name="Fermer").click()
    assert not dialog.is_visible()


def test_no_warning_long_before_the_end(desktop, maker):
    e2e.log_in(desktop, maker.email)
    desktop.goto("/chiffres/")
    assert desktop.locator("#session-warning").count() == 1
    assert not desktop.get_by_role("alertdialog").is_visible()
