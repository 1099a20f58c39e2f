"""Who may act on needs: moderation by relay staff (their departments) and facilitators;
pledges by makers; the establishment acts through signed links, without an account."""

import rules

from fablabs.selectors import covers_department
from tilab.permissions import is_facilitator, is_maker, is_relay_staff


@rules.predicate
def covers_needs_department(user, need):
    if need is None:
        return False
    return covers_department(user, need.department_id)


rules.add_perm("needs.pledge", is_maker)
# The network's follow-up: facilitators every department's needs, relay staff their own.
rules.add_perm("needs.view_follow_up", is_facilitator | is_relay_staff)
rules.add_perm("needs.follow_up_everywhere", is_facilitator)
rules.add_perm("needs.moderate", is_facilitator | (is_relay_staff & covers_needs_department))
# Checking that a need's establishment and contact are real (before its deliveries
# corroborate anything): the same people as moderation.
rules.add_perm("needs.check", is_facilitator | (is_relay_staff & covers_needs_department))
