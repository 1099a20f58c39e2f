"""The totals, their journal, the delivered totals and the staff exports moved to `figures`.

State only: `figures.0001_initial` took the models over with their tables (`makers_…`), which
stay, rows and all; nothing in makers points at them.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("makers", "0010_delivered_totals"),
        ("figures", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="DeliveredTotal"),
                migrations.DeleteModel(name="DirtyBucket"),
                migrations.DeleteModel(name="ProductionExport"),
                migrations.DeleteModel(name="ProductionTotal"),
                migrations.DeleteModel(name="TotalDelta"),
            ],
            database_operations=[],
        ),
    ]
