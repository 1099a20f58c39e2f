"""Who may reach the staff pages of the figures: the dashboard and the exports.

The public figures and the open data are open to everyone and need no rule.
"""

import rules

from tilab.permissions import is_auditor, is_region_staff, is_relay_staff

rules.add_perm("figures.view_dashboard", is_region_staff | is_relay_staff | is_auditor)
# Staff exports carry makers' names: relay staff export their departments, Région staff and
# auditors every department (which rows is decided by `exports.departments_exportable_by`).
rules.add_perm("figures.export_reports", is_relay_staff | is_region_staff | is_auditor)
rules.add_perm("figures.export_every_department", is_region_staff | is_auditor)
