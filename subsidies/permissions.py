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


# Bank details and payment batches -----------------------------------------------------------


@rules.predicate
def pays_or_is_payee(user, owner):
    """The payee themself (the maker, a manager of the organisation) or the staff of the
    relay covering the payee's department: whoever may give the bank details."""
    if owner is None:
        return False
    from .selectors import PayeeAccess

    return PayeeAccess.of(user).covers_payee(owner)


@rules.predicate
def covers_payee_of_change(user, change):
    """Relay staff covering the payee of a bank change (a maker or an organisation)."""
    if change is None:
        return False
    from .selectors import PayeeAccess

    account = change.account
    payee = account.maker or account.organisation
    return payee.department_id in PayeeAccess.of(user).departments


@rules.predicate
def change_needs_region(user, change):
    return change is not None and change.needs_region


# Changing where public money goes is a money decision, and so is reading every payee's IBAN
# out in a transfer file.
add_money_perm("subsidies.change_bank_account", pays_or_is_payee)
# A second person confirms a bank change: the Région, or another staffer of the relay that
# pays the payee; the relay's own paying account only the Région (whoever made the change is
# refused by the service, with who may confirm instead).
add_money_perm(
    "subsidies.confirm_bank_change",
    is_region_staff | (is_relay_staff & covers_payee_of_change & ~change_needs_region),
)
rules.add_perm("subsidies.view_payment_batches", is_region_staff | is_relay_staff | is_auditor)
# On the redistribution the batch pays.
add_money_perm("subsidies.create_payment_batch", is_relay_staff & staffs_relay_of)
add_money_perm("subsidies.download_payment_batch", is_relay_staff & staffs_relay_of)
add_money_perm("subsidies.cancel_payment_batch", is_relay_staff & staffs_relay_of)
add_money_perm("subsidies.settle_own_use", is_relay_staff & staffs_relay_of)

# The auditor's view (ledger, decisions): auditors and Région staff; relay staff read their own
# relay's money on its pages, not the whole network's.
rules.add_perm("subsidies.audit", is_auditor | is_region_staff)
