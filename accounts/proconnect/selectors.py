"""Reads of the ProConnect login: the organisations a signed-in agent's SIRET points to."""

from allauth.socialaccount.models import SocialAccount

from directory.models import MembershipRequest
from directory.selectors import request_latest
from fablabs.models import Organisation
from makers.models import Membership
from makers.selectors import maker_of
from tilab.models import User

from . import PROVIDER_ID


def proconnect_siret(user: User) -> str:
    """The SIRET ProConnect gave at the person's last ProConnect login, or ""."""
    account = SocialAccount.objects.filter(user=user, provider=PROVIDER_ID).first()
    siret = (account.extra_data.get("siret") if account else "") or ""
    return siret if siret.isdigit() and len(siret) == 14 else ""


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


def pending_request(user: User, organisation: Organisation):
    """The person's pending request to join `organisation`, if any."""
    maker = maker_of(user)
    if maker is None:
        return None
    latest = request_latest(maker, organisation)
    return latest if latest and latest.status == MembershipRequest.Status.PENDING else None


def siret_in_directory(siret: str) -> bool:
    """Whether an organisation of the directory carries this SIRET."""
    return Organisation.objects.filter(
        siret=siret, is_public=True, merged_into__isnull=True
    ).exists()


def has_maker(user: User) -> bool:
    """Whether the person has the maker profile a request to join is made with."""
    return maker_of(user) is not None
