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
