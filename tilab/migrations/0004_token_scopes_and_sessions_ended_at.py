"""Personal API tokens get a scope, and accounts the moment their sessions were last ended.

Tokens made before scopes existed keep what they did, money decisions aside: "write" (read and
write, no money). Those that would outlive the new 90-day lifetime are cut to 90 days from the
upgrade.
"""

from datetime import timedelta

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

EXISTING_TOKENS_LIVE_AT_MOST = timedelta(days=90)


def existing_tokens_write_without_money(apps, schema_editor):
    AuthToken = apps.get_model("knox", "AuthToken")
    PersonalTokenScope = apps.get_model("tilab", "PersonalTokenScope")
    latest = timezone.now() + EXISTING_TOKENS_LIVE_AT_MOST
    AuthToken.objects.filter(models.Q(expiry=None) | models.Q(expiry__gt=latest)).update(
        expiry=latest
    )
    PersonalTokenScope.objects.bulk_create(
        [
            PersonalTokenScope(token_id=digest, scope="write")
            for digest in AuthToken.objects.values_list("digest", flat=True)
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("knox", "0009_extend_authtoken_field"),
        ("tilab", "0003_decision_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="sessions_ended_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Dernier changement de mot de passe ou de double authentification : les autres sessions et les jetons d'API ont été fermés à ce moment.",
                null=True,
                verbose_name="sessions fermées le",
            ),
        ),
        migrations.CreateModel(
            name="PersonalTokenScope",
            fields=[
                (
                    "token",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="scope",
                        serialize=False,
                        to="knox.authtoken",
                        verbose_name="jeton",
                    ),
                ),
                (
                    "scope",
                    models.CharField(
                        choices=[
                            ("read", "lecture"),
                            ("write", "lecture et écriture"),
                            ("money", "lecture, écriture et décisions financières"),
                        ],
                        max_length=8,
                        verbose_name="portée",
                    ),
                ),
                (
                    "second_factor_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="Dans la session qui a créé le jeton ; vide si elle ne l'avait pas présentée (une démonstration peut s'en passer).",
                        null=True,
                        verbose_name="double authentification présentée le",
                    ),
                ),
            ],
            options={
                "verbose_name": "portée d'un jeton d'API",
                "verbose_name_plural": "portées des jetons d'API",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("scope__in", ["read", "write", "money"])),
                        name="token_scope_known",
                    )
                ],
            },
        ),
        migrations.RunPython(existing_tokens_write_without_money, migrations.RunPython.noop),
    ]
