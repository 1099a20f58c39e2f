"""Reads of cooperation pacts that pages, the API, the PDF and the open data share."""

import datetime

import rules
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from .models import Commitment, Pact, PactReport, PactVersion, Party, ReviewDate, Signature

# The pacts of the public register: signed by all their parties once, whatever came after.
PUBLIC_STATUSES = (
    Pact.Status.SIGNED,
    Pact.Status.ACTIVE,
    Pact.Status.REPORTED,
    Pact.Status.ENDED,
    Pact.Status.RENEWED,
)
OPEN_VERSION_STATUSES = (PactVersion.Status.DRAFT, PactVersion.Status.PROPOSED)


def _parties():
    return (
        Party.objects.select_related("organisation", "maker", "signature")
        .prefetch_related(Prefetch("commitments", queryset=Commitment.objects.order_by("pk")))
        .order_by("position", "pk")
    )


def versions_prefetch(queryset=None) -> Prefetch:
    versions = (queryset or PactVersion.objects.all()).prefetch_related(
        Prefetch("parties", queryset=_parties()),
        Prefetch("reviews", queryset=ReviewDate.objects.order_by("review_on")),
    )
    return Prefetch("versions", queryset=versions.order_by("number"))


def _with_everything(pacts: QuerySet[Pact]) -> QuerySet[Pact]:
    return pacts.select_related("department").prefetch_related(
        versions_prefetch(),
        Prefetch(
            "reports",
            queryset=PactReport.objects.prefetch_related("figures", "attachments").order_by(
                "submitted_at", "pk"
            ),
        ),
    )


def in_force(pact: Pact) -> PactVersion | None:
    """The signed version in force (from prefetched versions when there are some)."""
    for version in pact.versions.all():
        if version.status == PactVersion.Status.SIGNED:
            return version
    return None


def open_version(pact: Pact) -> PactVersion | None:
    """The version being drafted or signed (the first text, or an amendment), if any."""
    for version in pact.versions.all():
        if version.status in OPEN_VERSION_STATUSES:
            return version
    return None


def shown_version(pact: Pact) -> PactVersion | None:
    """What a page shows first: the text in force, else the one being written."""
    return in_force(pact) or open_version(pact)


def register_filter(
    pacts: QuerySet[Pact],
    *,
    q: str = "",
    department: str = "",
    party_kind: str = "",
    theme: str = "",
) -> QuerySet[Pact]:
    """Narrow pacts: `q` searched in the text in force (title, purpose, commons) and the names
    of its parties; a department (INSEE code), a kind of party, a theme. The register page and
    the API's filters both use it."""
    in_force_versions = PactVersion.objects.filter(
        pact=OuterRef("pk"), status=PactVersion.Status.SIGNED
    )
    if q:
        matching = in_force_versions.filter(
            Q(title__icontains=q)
            | Q(purpose__icontains=q)
            | Q(commons__icontains=q)
            | Q(parties__name__icontains=q)
        )
        pacts = pacts.filter(Exists(matching))
    if department:
        pacts = pacts.filter(department_id=department)
    if party_kind:
        pacts = pacts.filter(Exists(in_force_versions.filter(parties__kind=party_kind)))
    if theme:
        pacts = pacts.filter(theme=theme)
    return pacts


def register(**filters) -> QuerySet[Pact]:
    """The public register: signed pacts, newest signature first, with everything their page
    shows (a constant number of queries however many pacts)."""
    pacts = register_filter(Pact.objects.filter(status__in=PUBLIC_STATUSES), **filters)
    return _with_everything(pacts).order_by("-signed_at", "-pk")


def pact_public(pk) -> Pact | None:
    return _with_everything(Pact.objects.filter(status__in=PUBLIC_STATUSES, pk=pk)).first()


def pacts_visible_to(user) -> QuerySet[Pact]:
    """Every pact for facilitators, the Région and the auditor; for anybody else, the pacts
    they drafted or represent a party of (in any version). Others' pacts are not there."""
    if not user.is_authenticated:
        return Pact.objects.none()
    if rules.has_perm("pacts.view_all", user):
        return Pact.objects.all()
    return Pact.objects.filter(
        Q(created_by=user)
        | Q(pk__in=Party.objects.filter(representative=user).values("version__pact"))
    )


def pacts_of(user) -> QuerySet[Pact]:
    return _with_everything(pacts_visible_to(user)).order_by("-created_at", "-pk")


def pact_for(user, pk) -> Pact | None:
    """A pact this person may work on, with everything it shows; None for another's."""
    return _with_everything(pacts_visible_to(user).filter(pk=pk)).first()


def party_to_sign(user, party_pk) -> Party | None:
    """A party of a proposed text that `user` represents, for the signing page; None for
    another's."""
    return (
        Party.objects.select_related("version__pact", "signature")
        .filter(pk=party_pk, representative=user)
        .first()
    )


def pacts_due(*, today: datetime.date) -> dict[str, list[Pact]]:
    """What a facilitator follows: signed or running pacts whose review date passed with no
    report since, and running (started) pacts without any report at all."""
    running = (Pact.Status.ACTIVE, Pact.Status.REPORTED, Pact.Status.SIGNED)
    pacts = list(_with_everything(Pact.objects.filter(status__in=running)).order_by("pk"))
    review_passed, without_report = [], []
    for pact in pacts:
        version = in_force(pact)
        reports = list(pact.reports.all())
        if not reports and pact.status == Pact.Status.ACTIVE:
            without_report.append(pact)
        last_report_on = max((r.submitted_at.date() for r in reports), default=None)
        passed = [
            review.review_on
            for review in (version.reviews.all() if version else [])
            if review.review_on <= today
        ]
        if passed and (last_report_on is None or last_report_on < max(passed)):
            pact.review_passed_on = max(passed)
            review_passed.append(pact)
    return {"review_passed": review_passed, "without_report": without_report}


def attachment_public(pk):
    from .models import ReportAttachment

    return (
        ReportAttachment.objects.filter(pk=pk, report__pact__status__in=PUBLIC_STATUSES)
        .select_related("report")
        .first()
    )


def has_money(version: PactVersion) -> bool:
    return Commitment.objects.filter(party__version=version, kind=Commitment.Kind.MONEY).exists()


def signatures_of(version: PactVersion) -> QuerySet[Signature]:
    return Signature.objects.filter(party__version=version)
