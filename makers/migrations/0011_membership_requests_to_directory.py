# Requests to join an organisation now belong to the directory (directory.0001_initial took the
# model over with its table): forget the model here, without touching the database.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("makers", "0010_delivered_totals"),
        ("directory", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="MembershipRequest")],
            database_operations=[],
        ),
    ]
