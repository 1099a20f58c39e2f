"""Helpers of the subsidies tests: the confirmation an approval carries, built from the recap
the person would read (page form data, or an API body), acknowledging its flags if any."""

from django.utils import timezone

from subsidies import recap
from subsidies.models import Allocation

MOTIVATION = "Vérifié avec le relais : production attestée par le CHU"


def recap_of(obj) -> recap.Recap:
    """The recap as the person reads it now (the object read again: a recomputation since
    the test got it changed its date)."""
    obj = type(obj).objects.get(pk=obj.pk)
    if isinstance(obj, Allocation):
        return recap.allocation_recap(obj, now=timezone.now())
    return recap.redistribution_recap(obj, now=timezone.now())


def confirm_form(obj, *, acknowledge: bool = True, motivation: str = MOTIVATION) -> dict:
    """What the recap page's form posts for `obj` (an allocation or a redistribution)."""
    seen = recap_of(obj)
    data = {"computed_at": seen.computed_at.isoformat(), "fingerprint": seen.fingerprint}
    if seen.flags and acknowledge:
        data.update(acknowledged=seen.flag_codes, motivation=motivation)
    return data


def confirm_body(obj, *, acknowledge: bool = True, motivation: str = MOTIVATION) -> dict:
    """What a program posts to …/approve/ after reading …/recap/."""
    seen = recap_of(obj)
    body = {"computed_at": seen.computed_at.isoformat(), "fingerprint": seen.fingerprint}
    if seen.flags and acknowledge:
        body.update(acknowledged_flags=seen.flag_codes, motivation=motivation)
    return body


def confirmation_of(obj, *, motivation: str = MOTIVATION) -> recap.Confirmation:
    """What the service receives from a page or the API once the recap was read and its
    flags acknowledged."""
    seen = recap_of(obj)
    return recap.Confirmation(
        computed_at=seen.computed_at,
        fingerprint=seen.fingerprint,
        acknowledged=frozenset(seen.flag_codes),
        motivation=motivation if seen.flags else "",
    )
