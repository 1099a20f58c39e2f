"""Who may do what in the subsidy chain.

Which programmes, allocations and redistributions a person sees is decided by the selectors
(anything else answers 404); these rules say what they may do with what they can see.
"""

import rules

from tilab.permissions import (
    add_money_perm,
    is_auditor,
    is_region_staff,
    is_relay_staff,
)

from .models import Redistribution
from .selectors import redistribution_second_person_is_region


@rules.predicate
def staffs_relay_of(user, obj):
    """The user holds the relay-staff role and is on the team of the relay an allocation or a
    redistribution belongs to: losing either loses the relay's powers at once."""
    if obj is None or not is_relay_staff(user):
        return False
    allocation = getattr(obj, "allocation", obj)
    return allocation.relay.staff.filter(pk=user.pk).exists()


@rules.predicate
def region_is_second_person(user, obj):
    """Nobody else on the relay's team may approve this redistribution (one staffer, or every
    one of them shaped it): the Région is the second person."""
    if not isinstance(obj, Redistribution):
        return False
    return redistribution_second_person_is_region(obj)


rules.add_perm("subsidies.view_programmes", is_region_staff | is_relay_staff | is_auditor)
rules.add_perm("subsidies.view_redistributions", is_region_staff | is_relay_staff | is_auditor)
# What one sees (the selectors ask these): Région staff and auditors every programme,
# allocation and redistribution; relay staff those of their relay.
rules.add_perm("subsidies.view_all", is_region_staff | is_auditor)
rules.add_perm("subsidies.view_own_relay", is_relay_staff)
rules.add_perm("subsidies.manage_programmes", is_region_staff)
# Approving money is a decision on public funds: two-factor first (tilab.add_money_perm).
add_money_perm("subsidies.approve_allocation", is_region_staff)
# Relay staff propose the redistribution of their relay's approved allocations (which ones:
# "subsidies.manage_redistribution", on the allocation).
rules.add_perm("subsidies.propose_redistribution", is_relay_staff)
rules.add_perm("subsidies.manage_redistribution", is_relay_staff & staffs_relay_of)
# Transfer files hold bank details: the paying relay's staff only.
rules.add_perm("subsidies.download_transfers", is_relay_staff)
# Approved by someone other than who proposed or adjusted it (checked by the service, with its
# code): another staffer of the relay, or the Région where nobody else on the team may.
add_money_perm(
    "subsidies.approve_redistribution",
    (is_relay_staff & staffs_relay_of) | (is_region_staff & region_is_second_person),
)
add_money_perm("subsidies.record_payment", is_relay_staff & staffs_relay_of)
