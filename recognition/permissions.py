"""Who may see the whole network of cooperation links, every node named."""

import rules

from tilab.permissions import is_auditor, is_facilitator, is_region_staff

# Facilitators cultivate the links (they call the territories with few); Région staff steer
# where to fund animation of the network; auditors read everything and change nothing. Relay
# staff are left out: the graph names makers of every department, theirs and others'.
rules.add_perm("network.view_graph", is_facilitator | is_region_staff | is_auditor)
