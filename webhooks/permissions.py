"""Who registers webhook endpoints: the Région's staff (endpoints that receive every event)
and relay staff (endpoints of their relay, receiving the events of its departments). Which
endpoints each one sees is `selectors.endpoints_managed_by` (anything else answers 404)."""

import rules

from tilab.permissions import is_region_staff, is_relay_staff

rules.add_perm("webhooks.manage_endpoints", is_region_staff | is_relay_staff)
rules.add_perm("webhooks.manage_region_endpoints", is_region_staff)
