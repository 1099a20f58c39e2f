"""Access follows roles: a relay's powers (its queue and decisions, redistributions, payments,
payees' bank details and the files that carry them) need both the relay-staff role and the place
in the relay's team; removing either removes them at once, on pages and through the API."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from makers.models import ProductionReport
from subsidies import services
from subsidies.models import BankAccount
from tests.conftest import as_user, post, text
from tests.factories import make_report
from tests.refusals import refused
from tilab import roles
from tilab.errors import NotAllowed
from tilab.models import User

IBAN = "FR7630006000011234567890189"
OTHER_IBAN = "FR7610107001011234567890129"


@pytest.fixture
def world(allocation, relay_staff, relay_colleague, anne):
    """Camille's relay: Morgane proposed its redistribution (Camille would approve it); Anne
    has bank details on file; a report of Anne's waits for a decision."""
    services.bank_account_set(
        owner=anne, holder="Anne Le Goff", iban=IBAN, by=relay_colleague, now=timezone.now()
    )
    redistribution = services.redistribution_propose(
        allocation=allocation, by=relay_colleague, now=timezone.now()
    )
    waiting = make_report(maker=anne, quantity=12)
    return {"redistribution": redistribution, "report": waiting}


def remove(removal: str, user):
    """Take away the role or the place; the person as the next request reads them."""
    if removal == "role":
        user.groups.remove(Group.objects.get(name=roles.RELAY_STAFF))
    else:
        user.relays.get().staff.remove(user)
    return User.objects.get(pk=user.pk)


def test_a_staffer_with_role_and_place_holds_the_relays_powers(client, relay_staff, anne, world):
    as_user(client, relay_staff)
    bank_page = f"/subventions/coordonnees-bancaires/maker/{anne.pk}/"
    assert client.get(bank_page).status_code == 200
    assert client.get("/validation/").context["page"].paginator.count == 1
    redistribution = world["redistribution"]
    assert client.get(f"/api/v1/redistributions/{redistribution.pk}/").status_code == 200


@pytest.mark.parametrize("removal", ["role", "team"])
def test_removing_the_role_or_the_place_removes_the_relays_powers_at_once(
    client, relay_staff, anne, world, removal
):
    redistribution, report = world["redistribution"], world["report"]
    as_user(client, relay_staff)  # signed in before: the removal takes effect mid-session
    camille = remove(removal, relay_staff)

    # Bank details: neither read nor changed, page or service.
    bank_page = f"/subventions/coordonnees-bancaires/maker/{anne.pk}/"
    assert client.get(bank_page).status_code == 404
    response = client.post(bank_page, {"holder": "X", "iban": OTHER_IBAN, "bic": ""})
    assert response.status_code == 404
    with refused("role_not_allowed", kind=NotAllowed):
        services.bank_account_set(
            owner=anne, holder="X", iban=OTHER_IBAN, by=camille, now=timezone.now()
        )
    assert BankAccount.objects.get(maker=anne).iban == IBAN

    # The validation queue and its decisions, page and API.
    queue = client.get("/validation/")
    assert queue.status_code == 403 or queue.context["page"].paginator.count == 0
    client.post("/validation/decider/", {"ids": [report.pk], "action": "validate"})
    response = post(client, f"/api/v1/production-reports/{report.pk}/validate/")
    assert response.status_code in (403, 404)
    assert ProductionReport.objects.get(pk=report.pk).status == "submitted"

    # The redistribution, its approval, its payments and its transfer files, page and API.
    api = f"/api/v1/redistributions/{redistribution.pk}/"
    assert client.get(api).status_code == 404
    assert post(client, f"{api}approve/").status_code in (403, 404)
    page = f"/subventions/redistributions/{redistribution.pk}/"
    assert client.get(page).status_code in (403, 404)
    assert client.post(f"{page}approuver/").status_code in (403, 404)
    assert client.get(f"{page}virements.csv").status_code in (403, 404)
    redistribution.refresh_from_db()
    assert redistribution.status == "proposed"
    assert IBAN not in text(client.get(bank_page))


@pytest.mark.parametrize("removal", ["role", "team"])
def test_a_removed_staffer_records_no_payment(client, relay_staff, relay_colleague, world, removal):
    redistribution = world["redistribution"]
    services.redistribution_approve(
        redistribution=redistribution, by=relay_staff, now=timezone.now()
    )
    line = redistribution.lines.filter(maker__isnull=False).first()
    as_user(client, relay_staff)
    camille = remove(removal, relay_staff)
    body = {"lines": [line.pk], "paid_on": "2020-06-15", "reference": "VIR-1"}
    response = post(client, f"/api/v1/redistributions/{redistribution.pk}/payments/", body)
    assert response.status_code in (403, 404)
    page = f"/subventions/redistributions/{redistribution.pk}/"
    assert client.post(f"{page}paiements/", body).status_code in (403, 404)
    assert client.get(f"{page}virements-sepa.xml").status_code in (403, 404)
    with pytest.raises(NotAllowed):
        services.payments_record(
            lines=[line], paid_on=timezone.localdate(), reference="VIR-1", by=camille,
            now=timezone.now(),
        )  # fmt: skip
    assert not hasattr(line, "payment") or line.payment is None
