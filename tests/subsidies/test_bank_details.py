"""Bank details under control: a change is a money decision, e-mailed at once to the payee and
the relay, held out of transfer files until a second person confirms it or the waiting period
passes, kept in a history; the relay's own paying account changes only with the Région; an
IBAN shared or equal to the relay's is flagged. Pages and API alike."""

import datetime

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.utils import timezone

from subsidies import bank, selectors, services
from subsidies.models import BankAccount, BankAccountChange
from subsidies.transfers import unpaid_transfers
from tests.conftest import as_user, post, text
from tests.factories import make_maker, make_user, step_up
from tests.refusals import answered, refused
from tilab import roles
from tilab.errors import NotAllowed, WrongState
from tilab.models import Decision

NOW = timezone.make_aware(datetime.datetime(2020, 6, 10, 9, 30))
IBAN_ANNE = "FR76 3000 6000 0112 3456 7890 189"
IBAN_THIEF = "DE89 3704 0044 0532 0130 00"
IBAN_RELAY = "FR76 3000 4000 0100 0123 4567 830"
CHANGES = "/api/v1/bank-changes/"


def bank_page(owner, kind="maker"):
    return f"/subventions/coordonnees-bancaires/{kind}/{owner.pk}/"


@pytest.fixture
def rennes(relay_staff):
    return relay_staff.relays.get()


@pytest.fixture
def colleague(rennes):
    """Gaël, a second staffer of LabFab de Rennes."""
    user = make_user(role=roles.RELAY_STAFF, email="gael@labfab.example.org", full_name="Gaël")
    rennes.staff.add(user)
    return user


@pytest.fixture
def anne_maker(maker):
    return maker.maker


def set_iban(owner, iban, *, by, now=NOW, holder="Anne Le Goff"):
    return services.bank_account_set(owner=owner, holder=holder, iban=iban, by=by, now=now)


def latest_change(owner) -> BankAccountChange:
    return BankAccountChange.objects.filter(account__in=BankAccount.objects.filter(
        **{"maker" if hasattr(owner, "display_name") else "organisation": owner}
    )).latest("pk")  # fmt: skip


# --- Scenario 2: a relay staffer changes a maker's IBAN and the relay's own -------------------


def test_a_change_of_a_makers_iban_is_mailed_at_once_to_the_maker_and_the_relay(
    relay_staff, colleague, anne_maker, django_capture_on_commit_callbacks
):
    set_iban(anne_maker, IBAN_ANNE, by=anne_maker.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        set_iban(anne_maker, IBAN_THIEF, by=relay_staff, now=NOW + datetime.timedelta(days=10))
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted(
        ["anne@example.org", "camille@labfab.example.org", "gael@labfab.example.org"]
    )
    body = mail.outbox[0].body
    # What changed, by its last four characters only, and how to report it.
    assert "0189" in body and "3000" in body
    assert "DE89370400440532013000" not in body and "FR7630006000011234567890189" not in body
    assert "signalez-le" in body
    assert "/subventions/coordonnees-bancaires/maker/" in body


def test_a_changed_iban_is_held_out_of_the_next_batch_until_confirmed(
    relay_staff, colleague, allocation, anne
):
    redistribution = services.redistribution_propose(allocation=allocation, by=relay_staff, now=NOW)
    redistribution = services.redistribution_approve(
        redistribution=redistribution, by=colleague, now=NOW
    )  # four eyes: not who proposed it
    set_iban(anne, IBAN_ANNE, by=relay_staff)
    plan = unpaid_transfers(redistribution, now=NOW + datetime.timedelta(hours=1))
    assert [line.payee_name for line, _account in plan.held] == ["Anne Le Goff"]
    assert plan.payable == []
    # A second staffer confirms: it may go into the next file.
    bank.bank_change_confirm(change=latest_change(anne), by=colleague, now=NOW)
    plan = unpaid_transfers(redistribution, now=NOW + datetime.timedelta(hours=1))
    assert [line.payee_name for line, _account in plan.payable] == ["Anne Le Goff"]


def test_without_a_confirmation_the_iban_waits_the_holding_period(relay_staff, anne, settings):
    account = set_iban(anne, IBAN_ANNE, by=relay_staff)
    assert not account.usable_at(NOW + datetime.timedelta(days=2, hours=23))
    assert account.usable_at(NOW + datetime.timedelta(days=3))
    settings.TILAB_IBAN_HOLD_DAYS = 7
    account = set_iban(anne, IBAN_THIEF, by=relay_staff)
    assert not account.usable_at(NOW + datetime.timedelta(days=6))


def test_whoever_made_a_change_cannot_confirm_it(relay_staff, anne):
    set_iban(anne, IBAN_ANNE, by=relay_staff)
    with refused("bank_change_own", kind=NotAllowed):
        bank.bank_change_confirm(change=latest_change(anne), by=relay_staff, now=NOW)
    assert not BankAccount.objects.get(maker=anne).usable_at(NOW)


def test_the_relays_own_paying_account_changes_only_with_the_region(
    relay_staff, colleague, region_staff, rennes, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        account = set_iban(rennes.organisation, IBAN_RELAY, by=relay_staff, holder="LabFab")
    # Never released by time alone.
    assert account.usable_from is None
    assert not account.usable_at(NOW + datetime.timedelta(days=365))
    # The Région is told, as it confirms.
    assert "helene@region.example.org" in {a for m in mail.outbox for a in m.to}
    change = latest_change(rennes.organisation)
    with refused("bank_change_needs_region", kind=NotAllowed):
        bank.bank_change_confirm(change=change, by=colleague, now=NOW)
    bank.bank_change_confirm(change=change, by=region_staff, now=NOW)
    assert BankAccount.objects.get(pk=account.pk).usable_at(NOW)


def test_without_the_second_factor_nobody_changes_an_iban(mfa_required, relay_staff, anne):
    with refused("two_factor_required", kind=NotAllowed):
        set_iban(anne, IBAN_THIEF, by=relay_staff)
    assert not BankAccount.objects.exists()
    # An authenticator app on the account is not enough: this request presents the code.
    TOTP.activate(relay_staff, generate_totp_secret())
    with refused("two_factor_required", kind=NotAllowed):
        set_iban(anne, IBAN_THIEF, by=relay_staff)
    step_up(relay_staff)
    set_iban(anne, IBAN_THIEF, by=relay_staff)


def test_every_change_is_kept_with_who_when_and_the_last_four_characters(
    relay_staff, colleague, anne
):
    set_iban(anne, IBAN_ANNE, by=relay_staff)
    bank.bank_change_confirm(change=latest_change(anne), by=colleague, now=NOW)
    set_iban(anne, IBAN_THIEF, by=relay_staff, now=NOW + datetime.timedelta(days=1))
    history = list(
        BankAccountChange.objects.order_by("pk").values_list(
            "old_iban_end", "new_iban_end", "changed_by", "confirmed_by"
        )
    )
    assert history == [
        ("", "0189", relay_staff.pk, colleague.pk),
        ("0189", "3000", relay_staff.pk, None),
    ]
    decisions = list(
        Decision.objects.filter(action__in=["bank_account_set", "bank_change_confirm"])
        .order_by("pk")
        .values_list("action", "actor")
    )
    assert decisions == [
        ("bank_account_set", relay_staff.pk),
        ("bank_change_confirm", colleague.pk),
        ("bank_account_set", relay_staff.pk),
    ]
    for decision in Decision.objects.all():
        assert "DE89370400440532013000" not in str(decision.data)


def test_a_later_change_supersedes_the_pending_one(relay_staff, colleague, anne):
    set_iban(anne, IBAN_ANNE, by=relay_staff)
    first = latest_change(anne)
    set_iban(anne, IBAN_THIEF, by=relay_staff)
    with refused("bank_change_superseded", kind=WrongState):
        bank.bank_change_confirm(change=first, by=colleague, now=NOW)
    assert not BankAccount.objects.get(maker=anne).usable_at(NOW)


def test_a_change_is_confirmed_once(relay_staff, colleague, region_staff, anne):
    set_iban(anne, IBAN_ANNE, by=relay_staff)
    change = latest_change(anne)
    bank.bank_change_confirm(change=change, by=colleague, now=NOW)
    with refused("bank_change_already_confirmed", kind=WrongState):
        bank.bank_change_confirm(change=change, by=region_staff, now=NOW)
    assert Decision.objects.filter(action="bank_change_confirm").count() == 1


# --- Scenario 3, its IBAN part: an invented maker given the relay's IBAN ----------------------


def test_an_invented_maker_given_the_relays_iban_is_flagged_and_held(
    relay_staff, region_staff, rennes
):
    set_iban(rennes.organisation, IBAN_RELAY, by=relay_staff, holder="LabFab de Rennes")
    bank.bank_change_confirm(change=latest_change(rennes.organisation), by=region_staff, now=NOW)
    ghost = make_maker(display_name="Jean Fantôme", department="35")
    account = set_iban(ghost, IBAN_RELAY, by=relay_staff, holder="Jean Fantôme")
    flags = selectors.iban_flags(accounts=[account], now=NOW)
    assert flags[account.pk] == [
        selectors.IBAN_RELAY,
        selectors.IBAN_SHARED,
        selectors.IBAN_PENDING,
    ]
    assert not account.usable_at(NOW)


def test_an_iban_shared_by_two_payees_is_flagged_on_both(relay_staff, anne):
    bertrand = make_maker(display_name="Bertrand Guillou", department="22")
    first = set_iban(anne, IBAN_ANNE, by=relay_staff)
    second = set_iban(bertrand, IBAN_ANNE, by=relay_staff, holder="Bertrand")
    flags = selectors.iban_flags(accounts=[first, second])
    assert flags == {first.pk: [selectors.IBAN_SHARED], second.pk: [selectors.IBAN_SHARED]}


def test_the_payee_page_flags_the_relays_iban(client, relay_staff, region_staff, rennes):
    set_iban(rennes.organisation, IBAN_RELAY, by=relay_staff, holder="LabFab de Rennes")
    ghost = make_maker(display_name="Jean Fantôme", department="35")
    set_iban(ghost, IBAN_RELAY, by=relay_staff, holder="Jean Fantôme", now=timezone.now())
    html = text(as_user(client, relay_staff).get(bank_page(ghost)))
    assert "IBAN du relais lui-même" in html
    assert "en attente" in html


# --- Pages ----------------------------------------------------------------------------------


def test_relay_staff_change_an_iban_on_the_page_and_a_colleague_confirms_it(
    client, relay_staff, colleague, anne, django_capture_on_commit_callbacks
):
    as_user(client, relay_staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            bank_page(anne), {"holder": "Anne Le Goff", "iban": IBAN_THIEF, "bic": ""}
        )
    assert response.status_code == 302
    assert "anne@example.org" in {a for m in mail.outbox for a in m.to}
    page = client.get(bank_page(anne))
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    html = text(page)
    assert "en attente" in html and "Confirmer ce changement" not in html
    change = latest_change(anne)

    as_user(client, colleague)
    assert "Confirmer ce changement" in text(client.get(bank_page(anne)))
    response = client.post(f"/subventions/coordonnees-bancaires/changements/{change.pk}/confirmer/")
    assert response.status_code == 302
    assert BankAccount.objects.get(maker=anne).usable_at(timezone.now())
    assert "Historique des changements" in text(client.get(bank_page(anne)))


def test_without_the_second_factor_the_page_changes_nothing(
    client, mfa_required, relay_staff, anne
):
    as_user(client, relay_staff)
    response = client.post(bank_page(anne), {"holder": "X", "iban": IBAN_THIEF, "bic": ""})
    assert response.status_code == 200
    assert "double authentification" in text(response)
    assert not BankAccount.objects.exists()


def test_the_author_of_a_change_cannot_confirm_it_on_the_page(client, relay_staff, anne):
    set_iban(anne, IBAN_ANNE, by=relay_staff)
    as_user(client, relay_staff)
    change = latest_change(anne)
    response = client.post(f"/subventions/coordonnees-bancaires/changements/{change.pk}/confirmer/")
    assert response.status_code == 302
    assert not BankAccountChange.objects.get(pk=change.pk).confirmed_at


def test_a_stranger_cannot_confirm_a_change_they_may_not_see(
    client, relay_staff, other_relay_staff, anne
):
    set_iban(anne, IBAN_ANNE, by=relay_staff)
    change = latest_change(anne)
    as_user(client, other_relay_staff)
    url = f"/subventions/coordonnees-bancaires/changements/{change.pk}/confirmer/"
    assert client.post(url).status_code == 404


# --- API ------------------------------------------------------------------------------------


def test_relay_staff_change_an_iban_through_the_api_and_a_colleague_confirms(
    client, relay_staff, colleague, anne, django_capture_on_commit_callbacks
):
    body = {"payee_kind": "maker", "payee_id": anne.pk, "holder": "Anne", "iban": IBAN_THIEF}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(as_user(client, relay_staff), CHANGES, body)
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    change = response.json()
    assert (change["new_iban_end"], change["confirmed_at"]) == ("3000", None)
    assert "DE89" not in response.content.decode()
    assert "anne@example.org" in {a for m in mail.outbox for a in m.to}

    answered(post(client, f"{CHANGES}{change['id']}/confirm/"), 403, "bank_change_own")
    confirmed = post(as_user(client, colleague), f"{CHANGES}{change['id']}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_by"]["id"] == colleague.pk
    answered(
        post(client, f"{CHANGES}{change['id']}/confirm/"), 409, "bank_change_already_confirmed"
    )


def test_the_api_asks_the_region_for_the_relays_account(
    client, relay_staff, colleague, region_staff, rennes
):
    body = {
        "payee_kind": "organisation", "payee_id": rennes.organisation.pk, "holder": "LabFab",
        "iban": IBAN_RELAY,
    }  # fmt: skip
    change = post(as_user(client, relay_staff), CHANGES, body).json()
    assert change["needs_region"] is True and change["usable_from"] is None
    url = f"{CHANGES}{change['id']}/confirm/"
    answered(post(as_user(client, colleague), url), 403, "bank_change_needs_region")
    assert post(as_user(client, region_staff), url).status_code == 200


def test_the_api_refuses_an_iban_change_without_the_second_factor(
    client, mfa_required, relay_staff, anne
):
    body = {"payee_kind": "maker", "payee_id": anne.pk, "holder": "Anne", "iban": IBAN_THIEF}
    answered(post(as_user(client, relay_staff), CHANGES, body), 403, "two_factor_required")
    assert not BankAccount.objects.exists()


@pytest.mark.parametrize("who", ["other_relay_staff", "facilitator", "other_maker"])
def test_nobody_else_changes_or_sees_a_payees_bank_changes(client, request, relay_staff, anne, who):
    set_iban(anne, IBAN_ANNE, by=relay_staff)
    as_user(client, request.getfixturevalue(who))
    body = {"payee_kind": "maker", "payee_id": anne.pk, "holder": "X", "iban": IBAN_THIEF}
    answered(post(client, CHANGES, body), 404, "payee_not_found")
    assert client.get(CHANGES).json()["results"] == []
    assert BankAccount.objects.get().iban == "FR7630006000011234567890189"
