"""Who may reach the production pages and act on reports.

Which reports a person sees is decided by `selectors.reports_visible_to` (anything else
answers 404); these rules say what they may do with a report they can see.
"""

import rules

from fablabs.selectors import covers_department
from tilab.permissions import (
    is_auditor,
    is_facilitator,
    is_maker,
    is_region_staff,
    is_relay_staff,
)


@rules.predicate
def is_reports_maker(user, report):
    return report is not None and report.maker.user_id == user.pk


@rules.predicate
def covers_reports_department(user, report):
    if report is None:
        return False
    return covers_department(user, report.department_id)


rules.add_perm("makers.access_maker_space", is_maker)
# Région staff decide the reports four eyes send them (the relays' own), in the same queue.
rules.add_perm("makers.access_validation_queue", is_relay_staff | is_region_staff | is_auditor)
# What one sees (the selectors ask these): Région staff and auditors every maker and report;
# relay staff those of the departments their relay covers; auditors and Région staff the
# validation queue of every department; staff the fields of a maker's entry the public does not get.
rules.add_perm("makers.view_all", is_region_staff | is_auditor)
rules.add_perm("makers.view_covered_departments", is_relay_staff)
rules.add_perm("makers.view_every_queue", is_auditor | is_region_staff)
rules.add_perm("makers.view_staff_fields", is_relay_staff | is_region_staff | is_auditor)
# Makers report their own production; relay staff that of makers of their departments.
rules.add_perm("makers.submit_reports", is_maker | is_relay_staff)
# Relay staff enter reports for makers without an account.
rules.add_perm("makers.enter_reports", is_relay_staff)
# Spreadsheets are imported by relay staff, and by the Région and facilitators, who gather the
# files of collectives spanning several departments: each line goes to the queue of the relay
# covering its department, entered by the importer, so four eyes still apply. Auditors change
# nothing; makers report through their own space.
rules.add_perm("makers.import_reports", is_relay_staff | is_region_staff | is_facilitator)
# Who imports a file across departments without being asked: every line is handed to its relay.
# A relay is asked in the preview what to do with the lines of departments it does not cover.
rules.add_perm("makers.import_across_departments", is_region_staff | is_facilitator)
# Which reports each one decides is four eyes' business (`selectors.decision_route`).
rules.add_perm("makers.decide_reports", is_relay_staff | is_region_staff)
# The maker of a report, or the relay of its department, may change it while it is open.
rules.add_perm(
    "makers.change_report",
    (is_maker & is_reports_maker) | (is_relay_staff & covers_reports_department),
)
# Other names of items (ItemAlias), remembered for the network: staff who import or read the
# imports see them; whoever imports records them from an import's preview (relay staff, the
# Région, facilitators), and facilitators alone change or delete them (they curate the
# catalogue's vocabulary).
rules.add_perm(
    "makers.view_item_aliases", is_relay_staff | is_region_staff | is_facilitator | is_auditor
)
rules.add_perm("makers.create_item_aliases", is_relay_staff | is_region_staff | is_facilitator)
rules.add_perm("makers.change_item_aliases", is_facilitator)
