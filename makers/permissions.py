"""Who may reach the production pages."""

import rules

from tilab.permissions import is_auditor, is_maker, is_region_staff, is_relay_staff

rules.add_perm("makers.access_maker_space", is_maker)
rules.add_perm("makers.access_validation_queue", is_relay_staff | is_auditor)
rules.add_perm("makers.view_dashboard", is_region_staff | is_relay_staff | is_auditor)
