"""Who may manage an organisation's entry and curate the directory.

Which organisations and makers a visitor sees is decided by the selectors (a hidden entry
answers 404); these rules say who may act on an entry.
"""

import rules

from tilab.permissions import is_facilitator, is_region_staff

from . import selectors


@rules.predicate
def manages_organisation(user, organisation):
    """The user's maker profile holds a manager membership of this organisation."""
    return organisation is not None and selectors.manages(user, organisation)


# Facilitators curate the directory: they correct kinds and merge duplicates.
rules.add_perm("directory.curate", is_facilitator)
# Merging duplicates: facilitators, and the Région; a merge that would move validated reports
# to another department or relay (or into a relay's own organisation, whose reports the
# Région decides) is the Région's alone (directory.services.organisations_merge).
rules.add_perm("directory.merge", is_facilitator | is_region_staff)
rules.add_perm("directory.merge_across_territories", is_region_staff)
# Managers of the organisation, and facilitators, decide on its requests and edit it.
rules.add_perm("directory.manage_organisation", is_facilitator | manages_organisation)
