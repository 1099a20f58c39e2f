# The request to join an organisation moves from `makers` to the directory. Its table
# (makers_membershiprequest) and rows stay as they are: this migration only tells Django's state
# where the model now lives, and relabels its content type so decision records keep pointing
# at it.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tilab.migration_ops import content_types_move


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("fablabs", "0004_capabilities"),
        ("makers", "0010_delivered_totals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="MembershipRequest",
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
                        ("message", models.TextField(blank=True, verbose_name="message")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "en attente"),
                                    ("accepted", "acceptée"),
                                    ("refused", "refusée"),
                                    ("withdrawn", "retirée"),
                                ],
                                default="pending",
                                max_length=20,
                                verbose_name="état",
                            ),
                        ),
                        ("requested_at", models.DateTimeField(verbose_name="demandée le")),
                        (
                            "decided_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="décidée le"),
                        ),
                        (
                            "decided_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="décidée par",
                            ),
                        ),
                        (
                            "maker",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="membership_requests",
                                to="makers.maker",
                            ),
                        ),
                        (
                            "organisation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="membership_requests",
                                to="fablabs.organisation",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "demande d'adhésion",
                        "verbose_name_plural": "demandes d'adhésion",
                        "db_table": "makers_membershiprequest",
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("status", "pending")),
                                fields=("maker", "organisation"),
                                name="membership_request_one_pending",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("status__in", ["pending", "withdrawn"]),
                                    models.Q(
                                        ("decided_at__isnull", False),
                                        ("decided_by__isnull", False),
                                    ),
                                    _connector="OR",
                                ),
                                name="membership_request_decision_signed",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        content_types_move(from_app="makers", to_app="directory", models=["membershiprequest"]),
    ]
