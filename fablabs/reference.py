"""Reference data of the directory: its first capabilities (the data migration holds the
list, restorable after a flush) and the relays of the network with the departments each covers
(data/relays.csv: the three relays of spring 2020)."""

import csv
import importlib
from pathlib import Path

from django.db import transaction

from tilab.reference import catalogue_ensure

from .models import Capability, Organisation, Relay, RelayCoverage

RELAYS_FILE = Path(__file__).parent / "data" / "relays.csv"

CAPABILITIES = importlib.import_module("fablabs.migrations.0004_capabilities").CAPABILITIES


def capabilities_ensure() -> None:
    """Idempotent: adds missing capabilities, never edits what staff changed."""
    catalogue_ensure(Capability, CAPABILITIES, ("slug", "name_fr", "name_en"))


def relays_ensure(path: Path = RELAYS_FILE) -> dict[str, int]:
    """Idempotent: creates the relays of `path` that are missing (their organisation, listed in
    the directory, and the coverage of each department nobody covers yet). Never moves a
    department another relay covers, nor edits what staff changed. Counts of what was created.
    """
    created = {"organisations": 0, "relays": 0, "departments": 0}
    with path.open(encoding="utf-8") as file, transaction.atomic():
        for row in csv.DictReader(file):
            organisation, made = Organisation.objects.get_or_create(
                slug=row["slug"],
                defaults={
                    "name": row["name"],
                    "kind": row["kind"],
                    "department_id": row["department"],
                    "commune": row["commune"],
                    "has_place": True,
                    "is_public": True,
                },
            )
            created["organisations"] += made
            relay, made = Relay.objects.get_or_create(organisation=organisation)
            created["relays"] += made
            for code in row["covers"].split(";"):
                _coverage, made = RelayCoverage.objects.get_or_create(
                    department_id=code.strip(), defaults={"relay": relay}
                )
                created["departments"] += made
    return created
