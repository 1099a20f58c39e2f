"""The four departments of Brittany and the platform's role groups."""

from django.db import migrations

DEPARTMENTS = [
    ("22", "Côtes-d'Armor"),
    ("29", "Finistère"),
    ("35", "Ille-et-Vilaine"),
    ("56", "Morbihan"),
]
ROLE_GROUPS = ["maker", "relay_staff", "region_staff", "facilitator", "auditor"]


def load(apps, schema_editor):
    Department = apps.get_model("tilab", "Department")
    Group = apps.get_model("auth", "Group")
    for code, name in DEPARTMENTS:
        Department.objects.update_or_create(
            code=code, defaults={"name": name, "region_code": "53", "region_name": "Bretagne"}
        )
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("tilab", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
