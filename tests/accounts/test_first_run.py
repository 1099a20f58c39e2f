"""A new server without the admin (README, "First run"): `network_setup` loads the real network,
`staff_invite` creates staff accounts and e-mails a one-time link (or prints it, for the first
administrator of a server without a mail server yet)."""

import io
import re

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.test import Client

from fablabs.models import Organisation, Relay, RelayCoverage
from makers.models import ItemType
from tests.factories import make_organisation
from tilab import roles
from tilab.models import Decision, OutboxEmail, User

pytestmark = pytest.mark.django_db
PASSWORD = "un-mot-de-passe-assez-long-2020"


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def coverage() -> dict[str, str]:
    return dict(RelayCoverage.objects.values_list("department_id", "relay__organisation__name"))


def test_network_setup_loads_the_three_relays_of_2020_once(reference_data):
    RelayCoverage.objects.all().delete()
    Relay.objects.all().delete()
    assert "3 relais créés, 4 départements attribués" in run("network_setup")
    assert coverage() == {"35": "LabFab de Rennes", "22": "LabFab de Rennes",
                          "56": "La Fabrique du Loch", "29": "ENSTA Bretagne"}  # fmt: skip
    assert ItemType.objects.filter(slug="visor").exists()
    assert "0 relais créés, 0 départements attribués" in run("network_setup")
    assert Organisation.objects.filter(slug="labfab-rennes").count() == 1


def test_network_setup_never_moves_a_department_staff_reassigned(reference_data):
    RelayCoverage.objects.all().delete()
    Relay.objects.all().delete()
    run("network_setup")
    lannion = Relay.objects.create(organisation=make_organisation(name="FabLab Lannion"))
    RelayCoverage.objects.filter(department_id="22").update(relay=lannion)
    run("network_setup")
    assert coverage()["22"] == "FabLab Lannion"


def _link_in(body: str) -> str:
    return re.search(r"https?://\S+/accounts/password/reset/key/\S+", body).group(0)


def _choose_password(link: str) -> Client:
    person = Client()
    path = link.split("://", 1)[1].split("/", 1)[1]
    form = person.get("/" + path)
    assert form.status_code == 302
    response = person.post(form["Location"], {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    return person


def test_a_relay_staff_member_is_invited_by_email_and_chooses_a_password(reference_data):
    run("network_setup")
    out = run("staff_invite", "Camille.R@Labfab.example.org", "--role", "relay_staff",
              "--relay", "LabFab de Rennes", "--name", "Camille Rault")  # fmt: skip
    assert "Invitation envoyée à camille.r@labfab.example.org" in out
    user = User.objects.get(email="camille.r@labfab.example.org")
    assert roles.RELAY_STAFF in roles.roles_of(user)
    assert list(user.relays.values_list("organisation__name", flat=True)) == ["LabFab de Rennes"]
    assert not user.has_usable_password()
    [email] = OutboxEmail.objects.filter(to=user.email)
    assert "LabFab de Rennes" in email.body
    assert Decision.objects.filter(action="staff_invite", object_id=str(user.pk)).exists()

    _choose_password(_link_in(email.body))
    assert EmailAddress.objects.get(email=user.email).verified
    person = Client()
    response = person.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert person.get("/accounts/tokens/").status_code == 200
    # The link opens once.
    used = Client().get("/" + _link_in(email.body).split("://", 1)[1].split("/", 1)[1])
    assert used.status_code in (200, 302)
    assert "password/reset/key/done" not in used.get("Location", "")
    assert b'name="password1"' not in used.content


def test_the_first_administrator_gets_a_printed_link_and_opens_the_admin(reference_data):
    out = run("staff_invite", "admin@region.example.org", "--role", "admin", "--print-link")
    assert not OutboxEmail.objects.exists()  # no mail server needed
    _choose_password(_link_in(out))
    admin = Client()
    admin.post("/accounts/login/", {"login": "admin@region.example.org", "password": PASSWORD})
    assert admin.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "relay_staff"], "son relais"),
        (["--role", "region_staff", "--relay", "ensta-bretagne"], "son relais"),
        (["--role", "relay_staff", "--relay", "Nulle Part"], "Aucun relais « Nulle Part »"),
    ],
)
def test_an_invitation_that_does_not_fit_is_refused_with_a_reason(reference_data, args, message):
    run("network_setup")
    with pytest.raises(CommandError, match=message):
        run("staff_invite", "x@example.org", *args)
    assert not User.objects.filter(email="x@example.org").exists()
