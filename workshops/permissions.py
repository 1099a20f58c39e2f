"""Who may manage workshops."""

import rules

from tilab.permissions import is_facilitator

rules.add_perm("workshops.manage_workshops", is_facilitator)
