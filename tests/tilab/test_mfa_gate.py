"""Région and relay staff present their second factor, in this session and recently, before
any money decision (when required): the account having one is not enough."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import step_up, totp_enrol
from tilab import roles


def test_region_and_relay_staff_without_totp_may_not_decide_on_money(
    mfa_required, region_staff, relay_staff
):
    assert not region_staff.has_perm("tilab.decide_on_money")
    assert not relay_staff.has_perm("tilab.decide_on_money")


def test_totp_on_the_account_is_not_enough_without_presenting_it(
    mfa_required, region_staff, relay_staff
):
    for user in (region_staff, relay_staff):
        totp_enrol(user)
        assert not user.has_perm("tilab.decide_on_money")


def test_with_the_second_factor_presented_recently_they_may(
    mfa_required, region_staff, relay_staff
):
    for user in (region_staff, relay_staff):
        step_up(user)
        assert user.has_perm("tilab.decide_on_money")
        step_up(user, at=timezone.now() - timedelta(minutes=16))
        assert not user.has_perm("tilab.decide_on_money")


@pytest.mark.parametrize("role", [roles.MAKER, roles.FACILITATOR, roles.AUDITOR])
def test_other_roles_never_decide_on_money_even_with_the_second_factor(
    mfa_required, role_users, role
):
    user = step_up(role_users[role])
    assert not user.has_perm("tilab.decide_on_money")


def test_a_relaxed_deployment_lets_staff_decide_without_totp(settings, region_staff):
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = False
    assert region_staff.has_perm("tilab.decide_on_money")


def test_staff_without_totp_are_told_to_activate_it(client, mfa_required, relay_staff):
    client.force_login(relay_staff)
    html = client.get("/").content.decode()
    assert "/accounts/2fa/totp/activate/" in html

    # With an authenticator app they are not, even before presenting it in this session.
    totp_enrol(relay_staff)
    assert "/accounts/2fa/totp/activate/" not in client.get("/").content.decode()


def test_production_mode_requires_two_factor_by_default():
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.TILAB_MFA_REQUIRED_FOR_MONEY)",
        ],
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "False",
            "SECRET_KEY": "x" * 60,
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "True"
