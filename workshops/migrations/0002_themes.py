"""The first themes of the open cooperation workshops (more are added as data, in the admin)."""

from django.db import migrations

THEMES = [
    ("cooperation", "Coopération makers, FabLabs et institutions", "Makers, FabLabs and public bodies working together"),
    ("distributed-making", "Fabrication distribuée et logistique", "Distributed making and logistics"),
    ("funding", "Financement et reconnaissance", "Funding and recognition"),
    ("governance", "Gouvernance du réseau", "Governing the network"),
    ("documentation", "Documentation et partage ouvert", "Documentation and open sharing"),
    ("places", "Tiers-lieux et collectifs sans lieu", "Third places and placeless collectives"),
]


def themes_add(apps, schema_editor):
    Theme = apps.get_model("workshops", "Theme")
    for position, (slug, name_fr, name_en) in enumerate(THEMES):
        Theme.objects.get_or_create(
            slug=slug, defaults={"name_fr": name_fr, "name_en": name_en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("workshops", "0001_workshops")]
    operations = [migrations.RunPython(themes_add, migrations.RunPython.noop)]
