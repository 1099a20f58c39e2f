"""Rule predicates shared by every app: roles, and the two-factor gate on money decisions
(`add_money_perm`, `held_back_by_second_factor`)."""

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


# The two-factor gate on money decisions, written once. A decision on public money (approving
# an allocation or a redistribution, recording a payment) is declared with `add_money_perm`:
# its own rule, and the gate. Pages, the API and the services ask `has_perm` as for any other
# rule; `held_back_by_second_factor` tells a refusal the second factor alone would lift (the
# page then says how to activate it, the API answers `two_factor_required`).
_MONEY_RULES: dict[str, rules.Predicate] = {}


def add_money_perm(name: str, rule: rules.Predicate) -> None:
    _MONEY_RULES[name] = rule
    rules.add_perm(name, rule & mfa_gate_open)


def held_back_by_second_factor(user, perm: str, obj=None) -> bool:
    """`user` would hold the money permission `perm` (on `obj`) but for the second factor."""
    rule = _MONEY_RULES.get(perm)
    return rule is not None and user.is_active and not mfa_gate_open(user) and rule.test(user, obj)


# The roles that decide on money; each decision adds its own rule (subsidies/permissions.py).
may_decide_on_money = is_region_staff | is_relay_staff
add_money_perm("tilab.decide_on_money", may_decide_on_money)

# Staff whose role decides on money but who are held back only by the missing second factor.
must_activate_totp = may_decide_on_money & ~mfa_gate_open
