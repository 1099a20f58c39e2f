"""What a production change did to the figures, told to the apps above makers in its transaction.

The totals (`figures`) sit above makers, so makers cannot call them; yet a decision must mark
the totals dirty in its own transaction, so that a lost task message delays the figures and
never corrupts them. These two Django signals carry that call upwards: makers (and the apps
that change an organisation's kind) send them, and `figures.apps.FiguresConfig.ready` connects
the receivers that write the dirty buckets and the journal.

Why signals rather than a registry of our own: `Signal.send()` is Django's public, documented
hook, it calls every receiver synchronously in the sender's thread, hence inside the sender's
transaction, and it lets a receiver's exception through, which rolls the whole change back:
the guarantee of the direct call it replaces, with the import pointing the right way. So:

- send with `send()`, never `send_robust()`: a receiver that fails must undo the change;
- send inside the transaction (`transaction.atomic()`), after the reports or the
  organisation changed, exactly where the totals used to be called;
- tests/figures checks that each signal has its receiver once the apps are ready.

They carry facts about reports, not rules: what to recompute is the receiver's business.

`memberships_requested` follows the same pattern for the directory, also above makers: the
importer never makes a maker a member of an existing organisation by itself (its managers
decide who joins), it asks the directory to open requests to join, in the import's own
transaction, so that the reports and their requests commit together or not at all. The
directory's receiver (`directory.receivers`, connected by `DirectoryConfig.ready`) calls the
directory's own service, which holds the rules of requests (one pending per maker and
organisation, none for a member). The sender checks that a receiver answered: a request
silently lost would be a maker silently kept out.
"""

from django.dispatch import Signal

# Sent with `entered` and `left` (sequences of ProductionReport whose organisation is loaded or
# absent) and `now`: the reports that started counting (validated) and those that stopped
# (superseded by a correction) in the current transaction. Sender: ProductionReport.
reports_counting_changed = Signal()

# Sent with `organisation_id`, `was` (its kind before) and `now`, after an organisation's kind
# changed (or reports moved to an organisation of another kind): its validated reports now
# count under the new kind. Sender: fablabs.models.Organisation.
organisation_kind_changed = Signal()

# Sent with `pairs` (a list of (maker id, organisation id)), `by` (the importer), `now` and
# `source` (the ProductionImport whose lines named them), inside the import's transaction: each
# maker was named with an existing organisation they are not a member of. Sender:
# makers.models.ProductionImport. The receiver opens a pending request to join for each pair
# that is not a member and has none pending already.
memberships_requested = Signal()
