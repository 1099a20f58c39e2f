"""The catalogue of what the network produced in 2020; staff edit it as data afterwards."""

from django.db import migrations

ITEMS = [
    ("visor", "Visière de protection", "Face shield", "visière", "face shield"),
    ("fabric-mask", "Masque en tissu", "Fabric mask", "masque", "mask"),
    ("gown", "Surblouse", "Protective gown", "surblouse", "gown"),
    ("ear-saver", "Attache-masque", "Mask strap (ear saver)", "attache", "strap"),
    ("door-opener", "Ouvre-porte sans contact", "Hands-free door opener", "pièce", "piece"),
]


def load(apps, schema_editor):
    ItemType = apps.get_model("makers", "ItemType")
    for position, (slug, name_fr, name_en, unit_fr, unit_en) in enumerate(ITEMS):
        ItemType.objects.get_or_create(
            slug=slug,
            defaults={
                "name_fr": name_fr, "name_en": name_en, "unit_fr": unit_fr, "unit_en": unit_en,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("makers", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
