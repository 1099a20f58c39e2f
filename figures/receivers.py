"""Where the figures listen to makers: the signals of `makers.signals`, turned into totals writes.

Connected once by `FiguresConfig.ready`. Each receiver runs synchronously inside the sender's
transaction (Django calls receivers in `send()`), and an exception it raises reaches the sender
and rolls its change back: a decision and its dirty marks commit together or not at all.
"""

from makers import signals

from . import totals


def reports_counting_changed(sender, *, entered, left, now, **kwargs) -> None:
    totals.production_totals_record(entered=entered, left=left, now=now)


def organisation_kind_changed(sender, *, organisation_id, was, now, **kwargs) -> None:
    totals.production_totals_organisation_kind_changed(
        organisation_id=organisation_id, was=was, now=now
    )


def connect() -> None:
    """Connect the receivers (idempotent: each has a `dispatch_uid`)."""
    signals.reports_counting_changed.connect(
        reports_counting_changed, dispatch_uid="figures.totals.reports_counting_changed"
    )
    signals.organisation_kind_changed.connect(
        organisation_kind_changed, dispatch_uid="figures.totals.organisation_kind_changed"
    )
