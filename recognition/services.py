"""Writes of recognition: issuing attestations of participation. (A person's data export and
account deletion, once here, live in `accounts`.)"""

from datetime import datetime as DateTime

from django.db import transaction
from django.utils import timezone

from fablabs.models import Organisation
from makers.models import Maker
from tilab.models import User

from . import attestations
from .models import Attestation


def _day_start(now: DateTime) -> DateTime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def attestation_issue(
    *, maker: Maker | None = None, organisation: Organisation | None = None, by: User, now
) -> Attestation:
    """Freeze what a maker (or an organisation) did into an attestation with a verification
    code. Idempotent for the day: the same content asked for again on the same day returns the
    attestation already issued, so downloading twice does not multiply codes. The attestation
    comes with its PDF (`.pdf`). The caller has checked that `by` may ask (the maker themself,
    a manager of the organisation)."""
    if (maker is None) == (organisation is None):
        raise ValueError("attestation_issue needs a maker or an organisation, not both.")
    with transaction.atomic():
        # Lock the holder so two simultaneous downloads issue one attestation, not two.
        if maker is not None:
            maker = Maker.objects.select_for_update().select_related("department").get(pk=maker.pk)
            content, holder = attestations.maker_content(maker), {"maker": maker}
        else:
            organisation = (
                Organisation.objects.select_for_update()
                .select_related("department")
                .get(pk=organisation.pk)
            )
            content = attestations.organisation_content(organisation)
            holder = {"organisation": organisation}
        attestation = next(
            (
                issued
                for issued in Attestation.objects.filter(
                    **holder, issued_at__gte=_day_start(now), issued_at__lte=now
                ).order_by("-issued_at")
                if issued.content == content
            ),
            None,
        ) or Attestation.objects.create(
            **holder, holder_name=content["holder"], content=content, issued_at=now, issued_to=by
        )
        # An attestation exists only once its PDF is written: a server that cannot write one
        # refuses (attestation_pdf_unavailable) and this transaction issues nothing.
        attestation.pdf = attestations.attestation_pdf(attestation)
        return attestation
