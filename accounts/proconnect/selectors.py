"""Reads of the ProConnect login: the organisations a signed-in agent's SIRET points to."""

from allauth.socialaccount.models import SocialAccount

from directory.models import MembershipRequest
from directory.selectors import request_latest
from fablabs.models import Organisation
from makers.models import Membership
from makers.selectors import maker_of
from tilab.models import User

from . import PROVIDER_ID


def siret_of(claims: dict) -> str:
    """The SIRET of ProConnect's claims, digits only (it may come spaced), or "" without one."""
    digits = "".join(ch for ch in str(claims.get("siret") or "") if ch.isdigit())
    return digits if len(digits) == 14 else ""


def proconnect_siret(user: User) -> str:
    """The SIRET ProConnect gave at the person's last ProConnect login, or ""."""
    account = SocialAccount.objects.filter(user=user, provider=PROVIDER_ID).first()
    return siret_of(account.extra_data or {}) if account else ""


def organisations_to_join(user: User) -> list[Organisation]:
    """The directory's organisations with the person's ProConnect SIRET that they could ask to
    join: public, not merged, not already theirs."""
    siret = proconnect_siret(user)
    if not siret:
        return []
    organisations = Organisation.objects.filter(
        siret=siret, is_public=True, merged_into__isnull=True
    ).order_by("name")
    mine = set(
        Membership.objects.filter(maker__user=user).values_list("organisation_id", flat=True)
    )
    return [o for o in organisations if o.pk not in mine]


def join_offers(user: User) -> dict:
    """What the offer to join shows: `offers`, (organisation, the person's pending request to
    join it or None) for each organisation of their SIRET, and `has_maker`, whether they have
    the maker profile a request is made with."""
    maker = maker_of(user)
    offers = []
    for organisation in organisations_to_join(user):
        latest = request_latest(maker, organisation) if maker else None
        pending = latest if latest and latest.status == MembershipRequest.Status.PENDING else None
        offers.append((organisation, pending))
    return {"offers": offers, "has_maker": maker is not None}


def siret_in_directory(siret: str) -> bool:
    """Whether an organisation of the directory carries this SIRET."""
    return Organisation.objects.filter(
        siret=siret, is_public=True, merged_into__isnull=True
    ).exists()
