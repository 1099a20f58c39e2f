"""Relays and their coverage now live in `fablabs` (see `fablabs.0005_relays`): allocations
point at `fablabs.Relay`, and the two models leave the subsidy app's state.

State only: the tables and the foreign key constraints in the database do not change.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fablabs", "0005_relays"),
        ("subsidies", "0004_money_append_only"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="allocation",
                    name="relay",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="allocations",
                        to="fablabs.relay",
                        verbose_name="relais",
                    ),
                ),
                migrations.RemoveField(model_name="relay", name="departments"),
                migrations.RemoveField(model_name="relaycoverage", name="relay"),
                migrations.RemoveField(model_name="relaycoverage", name="department"),
                migrations.DeleteModel(name="Relay"),
                migrations.DeleteModel(name="RelayCoverage"),
            ],
            database_operations=[],
        ),
    ]
