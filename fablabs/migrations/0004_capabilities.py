"""The first capabilities of the directory (more are added as data, in the admin)."""

from django.db import migrations

CAPABILITIES = [
    ("3d-printing", "Impression 3D", "3D printing"),
    ("laser-cutting", "Découpe laser", "Laser cutting"),
    ("sewing", "Couture", "Sewing"),
    ("cnc-milling", "Fraisage numérique", "CNC milling"),
    ("electronics", "Électronique", "Electronics"),
    ("vinyl-cutting", "Découpe vinyle", "Vinyl cutting"),
    ("thermoforming", "Thermoformage", "Thermoforming"),
    ("design", "Conception et prototypage", "Design and prototyping"),
]


def capabilities_add(apps, schema_editor):
    Capability = apps.get_model("fablabs", "Capability")
    for position, (slug, name_fr, name_en) in enumerate(CAPABILITIES):
        Capability.objects.get_or_create(
            slug=slug, defaults={"name_fr": name_fr, "name_en": name_en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("fablabs", "0003_directory")]
    operations = [migrations.RunPython(capabilities_add, migrations.RunPython.noop)]
