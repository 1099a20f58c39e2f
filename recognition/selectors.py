"""Reads of the network's recognition pages: attestations by code, organisations one manages."""

from fablabs.models import Organisation

from .attestations import CODE_LENGTH, code_normalise
from .models import Attestation


def attestation_by_code(text: str) -> Attestation | None:
    """The attestation a typed code names (case, dashes and spaces do not matter), or None."""
    code = code_normalise(text)
    if len(code) != CODE_LENGTH:
        return None
    return Attestation.objects.filter(code=code).first()


def organisation_managed_by(user, slug: str) -> Organisation | None:
    """The organisation `slug` if `user` is one of its managers; None otherwise (→ 404)."""
    if not user.is_authenticated:
        return None
    return (
        Organisation.objects.select_related("department")
        .filter(slug=slug, memberships__maker__user=user, memberships__is_manager=True)
        .first()
    )
