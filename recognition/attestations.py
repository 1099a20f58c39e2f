"""What an attestation of participation says (frozen as JSON at issue time) and its PDF."""

import datetime
import logging
import re
from collections import defaultdict

from django.conf import settings
from django.db.models import Count, Max, Min, QuerySet, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from fablabs.models import Organisation
from fablabs.selectors import relay_names_covering, relays_of_staff
from makers.models import ItemType, Maker, ProductionReport
from subsidies.models import Redistribution, RedistributionLine
from workshops.models import Registration

from . import errors
from .models import Attestation

# The shape of `Attestation.content`; bump it when the shape changes, so old attestations are
# still shown as they were issued.
CONTENT_VERSION = 1
CODE_LENGTH = 12

# WeasyPrint logs every rendering step at INFO; one attestation is not news.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logger = logging.getLogger(__name__)
_NOT_CODE = re.compile(r"[^A-Z0-9]")


def code_normalise(text: str) -> str:
    """What a person typed or pasted ("abcd-efgh jkmn ") as the stored code ("ABCDEFGHJKMN")."""
    return _NOT_CODE.sub("", (text or "").upper())


def code_display(code: str) -> str:
    """ABCDEFGHJKMN → ABCD-EFGH-JKMN: easier to read aloud and to type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verification_url(code: str) -> str:
    """The public address printed on the PDF: anyone can check the attestation there."""
    path = reverse("network:attestation_check")
    return f"{settings.SITE_URL.rstrip('/')}{path}?code={code_display(code)}"


def _production(reports: QuerySet[ProductionReport]) -> list[dict]:
    """Validated production per item type and validating relay: quantity, number of reports,
    first and last production date. The relay is the one of the person who validated (the one
    covering the report's department if they belong to several); failing that (staff who left
    every relay), the relay covering the department today."""
    groups = list(
        reports.filter(status=ProductionReport.Status.VALIDATED)
        .values("item_type", "department", "decided_by")
        .annotate(
            quantity=Sum("quantity"),
            reports=Count("pk"),
            first_on=Min("produced_on"),
            last_on=Max("produced_on"),
        )
        .order_by()
    )
    departments = {g["department"] for g in groups}
    deciders = {g["decided_by"] for g in groups if g["decided_by"]}
    # The relays each decider belongs to, and the departments each covers today.
    relays_of = relays_of_staff(deciders)
    of_department = relay_names_covering(departments)

    def relay_of(decider, department) -> str:
        relays = relays_of.get(decider, {})
        covering = sorted(name for name, covered in relays.items() if department in covered)
        # Coverage may have moved since the decision: the decider's relay still validated it.
        chosen = covering or sorted(relays)
        return chosen[0] if chosen else of_department.get(department, "")

    items = ItemType.objects.in_bulk({g["item_type"] for g in groups})
    merged: dict[tuple[int, str], dict] = {}
    for g in groups:
        relay = relay_of(g["decided_by"], g["department"])
        row = merged.setdefault(
            (g["item_type"], relay),
            {"quantity": 0, "reports": 0, "first_on": g["first_on"], "last_on": g["last_on"]},
        )
        row["quantity"] += g["quantity"]
        row["reports"] += g["reports"]
        row["first_on"] = min(row["first_on"], g["first_on"])
        row["last_on"] = max(row["last_on"], g["last_on"])
    ordered = sorted(
        merged.items(),
        key=lambda kv: (items[kv[0][0]].position, items[kv[0][0]].slug, kv[0][1]),
    )
    return [
        {
            "item": items[item_id].slug,
            "item_name": items[item_id].name_fr,
            "unit": items[item_id].unit_fr,
            "relay": relay,
            "quantity": row["quantity"],
            "reports": row["reports"],
            "first_on": row["first_on"].isoformat(),
            "last_on": row["last_on"].isoformat(),
        }
        for (item_id, relay), row in ordered
    ]


def _money(lines: QuerySet[RedistributionLine]) -> list[dict]:
    """Approved redistribution lines: programme, relay, amount, paid or not."""
    rows = []
    for line in (
        lines.filter(redistribution__status=Redistribution.Status.APPROVED)
        .select_related(
            "payment",
            "redistribution__allocation__programme",
            "redistribution__allocation__relay__organisation",
        )
        .order_by("redistribution__approved_at", "pk")
    ):
        payment = getattr(line, "payment", None)
        allocation = line.redistribution.allocation
        rows.append(
            {
                "programme": allocation.programme.name,
                "relay": allocation.relay.organisation.name,
                "amount_cents": line.amount_cents,
                "paid": payment is not None,
                "paid_on": payment.paid_on.isoformat() if payment else None,
            }
        )
    return rows


def _totals(production: list[dict], money: list[dict]) -> dict:
    per_item: dict[str, int] = defaultdict(int)
    for row in production:
        per_item[row["item_name"]] += row["quantity"]
    return {
        "quantity": sum(row["quantity"] for row in production),
        "reports": sum(row["reports"] for row in production),
        "per_item": [{"item_name": name, "quantity": q} for name, q in per_item.items()],
        "relays": sorted({row["relay"] for row in production if row["relay"]}),
        "amount_cents": sum(row["amount_cents"] for row in money),
        "paid_cents": sum(row["amount_cents"] for row in money if row["paid"]),
    }


def maker_content(maker: Maker) -> dict:
    """What a maker did, as the attestation states it: validated production per item type and
    relay, money received (approved lines), workshops attended. Only validated reports count."""
    production = _production(ProductionReport.objects.filter(maker=maker))
    money = _money(RedistributionLine.objects.filter(maker=maker))
    workshops = []
    if maker.user_id:
        workshops = [
            {
                "title": registration.workshop.title,
                "starts_on": registration.workshop.starts_at.date().isoformat(),
                "commune": registration.workshop.commune,
            }
            for registration in Registration.objects.filter(user_id=maker.user_id, attended=True)
            .select_related("workshop")
            .order_by("workshop__starts_at", "pk")
        ]
    return {
        "version": CONTENT_VERSION,
        "kind": "maker",
        "holder": maker.display_name,
        "department": str(maker.department),
        "production": production,
        "money": money,
        "workshops": workshops,
        "totals": {**_totals(production, money), "workshops": len(workshops)},
    }


def organisation_content(organisation: Organisation) -> dict:
    """What an organisation did: production made on its behalf (validated), money it received,
    how many members it counts."""
    production = _production(ProductionReport.objects.filter(organisation=organisation))
    money = _money(RedistributionLine.objects.filter(organisation=organisation))
    members = organisation.memberships.count()
    return {
        "version": CONTENT_VERSION,
        "kind": "organisation",
        "holder": organisation.name,
        "organisation_kind": str(Organisation.Kind(organisation.kind).label),
        "department": str(organisation.department),
        "production": production,
        "money": money,
        "members": members,
        "totals": {**_totals(production, money), "members": members},
    }


def _dated(value):
    return datetime.date.fromisoformat(value) if value else None


def for_display(content: dict) -> dict:
    """The frozen content with its dates as dates again, for the templates."""
    shown = dict(content)
    shown["production"] = [
        {**row, "first_on": _dated(row["first_on"]), "last_on": _dated(row["last_on"])}
        for row in content.get("production", [])
    ]
    shown["money"] = [{**row, "paid_on": _dated(row["paid_on"])} for row in content["money"]]
    shown["workshops"] = [
        {**row, "starts_on": _dated(row["starts_on"])} for row in content.get("workshops", [])
    ]
    return shown


def pdf_options() -> dict:
    """PDF/UA-1 (tagged, with a title and a language) when this WeasyPrint offers it; a
    tagged PDF otherwise."""
    from weasyprint.pdf import VARIANTS

    return {"pdf_variant": "pdf/ua-1"} if "pdf/ua-1" in VARIANTS else {"pdf_tags": True}


def pdf_renderer_problem() -> str | None:
    """Why this server cannot write PDFs (the import error), or None when it can."""
    try:
        import weasyprint  # noqa: F401
    except (OSError, ImportError) as error:  # "cannot load library libpango…"
        return str(error)
    return None


def attestation_pdf(attestation: Attestation) -> bytes:
    """The attestation as an accessible PDF (real text, headings, tables with headers), always
    in French, the language of the document it certifies. Refuses (wrong state:
    attestation_pdf_unavailable) when WeasyPrint's system libraries are missing (README,
    prerequisites), and logs why for the operator."""
    try:
        from weasyprint import HTML
    except (OSError, ImportError) as error:
        logger.error("PDF attestations need Pango on this server (README): %s", error)
        raise errors.ATTESTATION_PDF_UNAVAILABLE() from error

    with translation.override("fr"):
        html = render_to_string(
            "network/attestation_pdf.html",
            {
                "attestation": attestation,
                "content": for_display(attestation.content),
                "code": code_display(attestation.code),
                "verification_url": verification_url(attestation.code),
                "issuer": settings.TILAB_ATTESTATION_ISSUER,
                "issuer_place": settings.TILAB_ATTESTATION_PLACE,
            },
        )
    return HTML(string=html).write_pdf(**pdf_options())


def pdf_filename(attestation: Attestation) -> str:
    return f"attestation-tilab-{code_display(attestation.code)}.pdf"
