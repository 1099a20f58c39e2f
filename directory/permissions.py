"""Who may manage an organisation's entry and curate the directory.

Which organisations and makers a visitor sees is decided by the selectors (a hidden entry
answers 404); these rules say who may act on an entry.
"""

import rules

from tilab.permissions import is_facilitator

from . import selectors


@rules.predicate
def manages_organisation(user, organisation):
    """The user's maker profile holds a manager membership of this organisation."""
    return organisation is not None and selectors.manages(user, organisation)


# Facilitators curate the directory: they correct kinds and merge duplicates.
rules.add_perm("directory.curate", is_facilitator)
# Managers of the organisation, and facilitators, decide on its requests and edit it.
rules.add_perm("directory.manage_organisation", is_facilitator | manages_organisation)
