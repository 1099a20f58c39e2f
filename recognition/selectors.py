"""Reads of recognition, pages and API alike: attestations by code (anyone's, or one's own),
organisations one manages."""

from django.db.models import Q

from fablabs.models import Organisation

from .attestations import CODE_LENGTH, code_normalise
from .models import Attestation


def attestation_by_code(text: str) -> Attestation | None:
    """The attestation a typed code names (case, dashes and spaces do not matter), or None."""
    code = code_normalise(text)
    if len(code) != CODE_LENGTH:
        return None
    return Attestation.objects.filter(code=code).first()


def held_by(user) -> Q:
    """The attestations that are `user`'s: issued to them (theirs, or an organisation's they
    manage), or about their maker profile. What their data export lists."""
    return Q(issued_to=user) | Q(maker__user=user)


def attestation_of(user, text: str) -> Attestation | None:
    """The attestation a typed code names if it is `user`'s (`held_by`), or None."""
    code = code_normalise(text)
    if not user.is_authenticated or len(code) != CODE_LENGTH:
        return None
    return Attestation.objects.filter(held_by(user), code=code).first()


def organisation_managed_by(user, slug: str) -> Organisation | None:
    """The organisation `slug` if `user` is one of its managers; None otherwise (→ 404)."""
    if not user.is_authenticated:
        return None
    return (
        Organisation.objects.select_related("department")
        .filter(slug=slug, memberships__maker__user=user, memberships__is_manager=True)
        .first()
    )
