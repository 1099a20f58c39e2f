"""Where the figures listen to makers: the signals of `makers.signals`, turned into totals writes;
and to the names the public figures print (departments, relays, the catalogue), whose change
makes a new version of the totals, so the cached public pages show the new names.

Connected once by `FiguresConfig.ready`. Each receiver runs synchronously inside the sender's
transaction (Django calls receivers in `send()`), and an exception it raises reaches the sender
and rolls its change back: a decision and its dirty marks commit together or not at all.
"""

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from fablabs.models import Organisation, Relay, RelayCoverage
from makers import signals
from makers.models import ItemType
from tilab.models import Department

from . import totals

# What the public figures and the open data name: a change to one of these rows is a change to
# the published pages (figures.selectors.totals_version).
NAMED_IN_FIGURES = (Department, ItemType, Organisation, Relay, RelayCoverage)


def reports_counting_changed(sender, *, entered, left, now, **kwargs) -> None:
    totals.production_totals_record(entered=entered, left=left, now=now)


def organisation_kind_changed(sender, *, organisation_id, was, now, **kwargs) -> None:
    totals.production_totals_organisation_kind_changed(
        organisation_id=organisation_id, was=was, now=now
    )


def names_changed(sender, **kwargs) -> None:
    # In the saving transaction: the new version commits with the new name.
    totals.totals_version_bump(now=timezone.now())


def connect() -> None:
    """Connect the receivers (idempotent: each has a `dispatch_uid`)."""
    signals.reports_counting_changed.connect(
        reports_counting_changed, dispatch_uid="figures.totals.reports_counting_changed"
    )
    signals.organisation_kind_changed.connect(
        organisation_kind_changed, dispatch_uid="figures.totals.organisation_kind_changed"
    )
    for model in NAMED_IN_FIGURES:
        for signal in (post_save, post_delete):
            signal.connect(
                names_changed,
                sender=model,
                dispatch_uid=f"figures.names_changed.{model._meta.label}.{id(signal)}",
            )
