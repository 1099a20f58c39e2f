"""The published forms of a signed pact: its PDF (WeasyPrint, tagged and accessible, always in
French, the language it was signed in) and the open data of the register (CSV with its Table
Schema), which holds no personal data: party names are bodies and organisations, and makers
who sign a public pact appear under the name they chose for the directory."""

import csv
import io
import logging

from django.template.loader import render_to_string
from django.utils import translation

from tilab.models import Department

from .models import Commitment, Licence, Pact, Party, Theme
from .selectors import in_force

logger = logging.getLogger(__name__)
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

CSV_FILENAME = "tilab-pactes.csv"
TITLE = "Registre des pactes de coopération du réseau Ti Lab"
SUMMARY = (
    "Pactes de coopération signés entre personnes publiques et acteurs des communs : un pacte "
    "par ligne, son texte en vigueur, ses parties et leurs engagements financiers."
)
LICENCE_ID, LICENCE_NAME = "etalab-2.0", "Licence Ouverte / Etalab 2.0"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
PUBLISHER = "Ti Lab, laboratoire d'innovation publique de la Région Bretagne"

# (name, Table Schema type, title, description, required); published in French.
COLUMNS = (
    ("pact_id", "integer", "Numéro", "Numéro du pacte sur la plateforme.", True),
    ("title", "string", "Titre", "Titre du texte en vigueur.", True),
    ("theme", "string", "Thème", "Thème du pacte (identifiant).", True),
    ("department_code", "string", "Département", "Code INSEE ; vide pour un pacte régional.",
     False),
    ("status", "string", "État", "État du pacte (identifiant).", True),
    ("version", "integer", "Version", "Numéro de la version en vigueur (1, puis avenants).",
     True),
    ("signed_on", "date", "Signé le", "Date de la dernière signature de la version 1.", True),
    ("starts_on", "date", "Début", "Premier jour du pacte.", True),
    ("ends_on", "date", "Fin", "Dernier jour du pacte.", True),
    ("licence", "string", "Licence", "Licence ouverte des communs produits (SPDX).", True),
    ("public_parties", "string", "Personnes publiques", "Noms, séparés par « ; ».", True),
    ("commons_parties", "string", "Acteurs des communs", "Noms, séparés par « ; ».", True),
    ("money_committed_cents", "integer", "Engagements financiers (centimes)",
     "Somme des engagements en argent de toutes les parties, en centimes d'euro.", True),
    ("report_count", "integer", "Rapports", "Nombre de rapports remis.", True),
)  # fmt: skip
HEADER = [column[0] for column in COLUMNS]


def pact_schema() -> dict:
    enums = {
        "theme": list(Theme.values),
        "status": [s for s in Pact.Status.values if s not in ("draft", "proposed")],
        "licence": list(Licence.values),
        "department_code": list(Department.objects.order_by("code").values_list("code", flat=True)),
    }
    minimum = {"pact_id": 1, "version": 1, "money_committed_cents": 0, "report_count": 0}
    fields = []
    for name, kind, title, description, required in COLUMNS:
        constraints = {"required": required}
        if name in enums:
            constraints["enum"] = enums[name]
        if name in minimum:
            constraints["minimum"] = minimum[name]
        field = {
            "name": name,
            "type": kind,
            "title": title,
            "description": description,
            "constraints": constraints,
        }
        if kind == "date":
            field["format"] = "default"
        fields.append(field)
    return {
        "$schema": "https://specs.frictionlessdata.io/schemas/table-schema.json",
        "title": TITLE,
        "description": SUMMARY,
        "fields": fields,
        "primaryKey": ["pact_id"],
        "missingValues": [""],
        "licenses": [{"name": LICENCE_ID, "title": LICENCE_NAME, "path": LICENCE_URL}],
        "sources": [{"title": PUBLISHER}],
    }


def _row(pact: Pact) -> list:
    version = in_force(pact)
    parties = list(version.parties.all())
    money = sum(
        c.amount_cents or 0
        for party in parties
        for c in party.commitments.all()
        if c.kind == Commitment.Kind.MONEY
    )
    return [
        pact.pk,
        version.title,
        pact.theme,
        pact.department_id or "",
        pact.status,
        version.number,
        pact.signed_at.date().isoformat(),
        version.starts_on.isoformat(),
        version.ends_on.isoformat(),
        version.licence,
        "; ".join(p.name for p in parties if p.kind in Party.PUBLIC_KINDS),
        "; ".join(p.name for p in parties if p.kind in Party.COMMONS_KINDS),
        money,
        len(pact.reports.all()),
    ]


def register_csv(pacts) -> str:
    """The register as RFC 4180 CSV (comma, ISO dates), one line per signed pact."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for pact in pacts:
        writer.writerow(_row(pact))
    return out.getvalue()


def pdf_options() -> dict:
    from weasyprint.pdf import VARIANTS

    return {"pdf_variant": "pdf/ua-1"} if "pdf/ua-1" in VARIANTS else {"pdf_tags": True}


def pact_pdf(pact: Pact, *, url: str) -> bytes:
    """The text in force of a signed pact, its parties, commitments and signatures, as an
    accessible PDF in French. Refuses (`pact_pdf_unavailable`) when WeasyPrint's system
    libraries are missing, and logs why for the operator."""
    from .errors import PACT_PDF_UNAVAILABLE

    try:
        from weasyprint import HTML
    except (OSError, ImportError) as error:
        logger.error("Pact PDFs need Pango on this server (README): %s", error)
        raise PACT_PDF_UNAVAILABLE() from error
    with translation.override("fr"):
        html = render_to_string(
            "pacts/pact_pdf.html", {"pact": pact, "version": in_force(pact), "url": url}
        )
    return HTML(string=html).write_pdf(**pdf_options())
