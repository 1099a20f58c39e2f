"""Relays and their coverage of departments join the territory data, keeping their tables.

State only: the tables `subsidies_relay`, `subsidies_relaycoverage` and `subsidies_relay_staff`
and their rows stay as they are; the content types are relabelled so that decision records and
permissions keep pointing at them. `subsidies.0005_relays_moved_to_fablabs` then repoints the
allocations and removes the models from the subsidy app's state.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tilab.migration_ops import content_types_move


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("fablabs", "0004_capabilities"),
        ("subsidies", "0004_money_append_only"),
        ("tilab", "0003_decision_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Relay",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "organisation",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="relay",
                                to="fablabs.organisation",
                                verbose_name="organisation",
                            ),
                        ),
                        (
                            "staff",
                            models.ManyToManyField(
                                blank=True,
                                related_name="relays",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="équipe",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "relais",
                        "verbose_name_plural": "relais",
                        "db_table": "subsidies_relay",
                    },
                ),
                migrations.CreateModel(
                    name="RelayCoverage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "department",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="coverage",
                                to="tilab.department",
                                verbose_name="département",
                            ),
                        ),
                        (
                            "relay",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="coverage",
                                to="fablabs.relay",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "couverture",
                        "verbose_name_plural": "couvertures",
                        "db_table": "subsidies_relaycoverage",
                    },
                ),
                migrations.AddField(
                    model_name="relay",
                    name="departments",
                    field=models.ManyToManyField(
                        related_name="relays",
                        through="fablabs.RelayCoverage",
                        to="tilab.department",
                        verbose_name="départements couverts",
                    ),
                ),
            ],
            database_operations=[],
        ),
        content_types_move(
            from_app="subsidies", to_app="fablabs", models=["relay", "relaycoverage"]
        ),
    ]
