"""The demo seed: one login per role, realistic data, idempotent, never in production."""

import pytest
from django.core.management import CommandError, call_command

from fablabs.models import Organisation
from makers.models import Maker
from subsidies.models import Relay
from tilab import roles
from tilab.models import User


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def test_it_creates_one_login_per_role_and_the_three_relays(debug_on, reference_data, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    for email in (
        "maker@demo.tilab.test",
        "relais.rennes@demo.tilab.test",
        "relais.loch@demo.tilab.test",
        "relais.ensta@demo.tilab.test",
        "region@demo.tilab.test",
        "facilitateur@demo.tilab.test",
        "audit@demo.tilab.test",
    ):
        assert email in out
        user = User.objects.get(email=email)
        assert user.check_password("demo-tilab-2020")
        assert user.emailaddress_set.get().verified
    coverage = {
        str(relay): sorted(relay.departments.values_list("code", flat=True))
        for relay in Relay.objects.all()
    }
    assert coverage == {
        "LabFab de Rennes": ["22", "35"],
        "La Fabrique du Loch": ["56"],
        "ENSTA Bretagne": ["29"],
    }
    assert (
        User.objects.get(email="relais.loch@demo.tilab.test").relays.get().organisation.name
        == "La Fabrique du Loch"
    )
    assert {g for u in User.objects.all() for g in u.groups.values_list("name", flat=True)} == set(
        roles.ROLES
    )
    assert "double authentification" in out


def test_it_is_idempotent(debug_on, reference_data):
    call_command("seed_demo", quiet_logins=True)
    counts = (User.objects.count(), Maker.objects.count(), Organisation.objects.count())
    call_command("seed_demo", quiet_logins=True)
    assert (User.objects.count(), Maker.objects.count(), Organisation.objects.count()) == counts


def test_scale_adds_makers_once(debug_on, reference_data):
    call_command("seed_demo", quiet_logins=True)
    base = Maker.objects.count()
    call_command("seed_demo", scale=300, quiet_logins=True)
    call_command("seed_demo", scale=300, quiet_logins=True)
    assert Maker.objects.count() == base + 300
    assert set(Maker.objects.values_list("department_id", flat=True)) == {"22", "29", "35", "56"}


def test_it_refuses_to_run_with_debug_off(settings, reference_data):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()
