"""Rule predicates shared by every app: roles, and the two-factor gate on money decisions."""

import rules
from django.conf import settings

from . import roles


def _role(name):
    @rules.predicate(name=f"is_{name}")
    def has_role(user):
        return name in roles.roles_of(user)

    return has_role


is_maker = _role(roles.MAKER)
is_relay_staff = _role(roles.RELAY_STAFF)
is_region_staff = _role(roles.REGION_STAFF)
is_facilitator = _role(roles.FACILITATOR)
is_auditor = _role(roles.AUDITOR)


@rules.predicate
def has_totp(user):
    """The user has activated an authenticator app (TOTP) on their account."""
    if not user.is_authenticated:
        return False
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


@rules.predicate
def mfa_gate_open(user):
    """Two-factor is either not required by this deployment, or the user has it."""
    return not settings.TILAB_MFA_REQUIRED_FOR_MONEY or has_totp(user)


# Every money decision (approving an allocation or a redistribution, recording a payment)
# checks this permission before its own object-level rule.
may_decide_on_money = (is_region_staff | is_relay_staff) & mfa_gate_open
rules.add_perm("tilab.decide_on_money", may_decide_on_money)

# Staff whose role decides on money but who are held back only by the missing second factor.
must_activate_totp = (is_region_staff | is_relay_staff) & ~mfa_gate_open
