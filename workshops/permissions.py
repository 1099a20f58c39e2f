"""Who may manage workshops: facilitators, each the workshops they facilitate.

Which workshops a facilitator manages is decided by `selectors.workshops_managed_by` (anything
else answers 404 on the management pages); these rules say what they may do.
"""

import rules

from tilab.permissions import is_facilitator


@rules.predicate
def facilitates(user, workshop):
    if workshop is None:
        return False
    return workshop.facilitators.filter(pk=user.pk).exists()


rules.add_perm("workshops.manage_workshops", is_facilitator)
rules.add_perm("workshops.change_workshop", is_facilitator & facilitates)
