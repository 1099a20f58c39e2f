"""API shapes of the recap before an approval, and of the confirmation an approval carries."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import errors
from .recap import Confirmation, Recap


class RecapFiguresSerializer(serializers.Serializer):
    quantity = serializers.IntegerField()
    material_cost_cents = serializers.IntegerField()
    reports = serializers.IntegerField()
    weighted = serializers.CharField(help_text=_("Contribution pondérée, en fraction exacte."))


class RecapFiguresRowSerializer(RecapFiguresSerializer):
    label = serializers.CharField(help_text=_("Le département ou le bénéficiaire."))


class RecapChangeSerializer(serializers.Serializer):
    label = serializers.CharField(help_text=_("Le département ou le bénéficiaire."))
    before = RecapFiguresSerializer(
        allow_null=True, help_text=_("Au calcul ; null : absent alors.")
    )
    after = RecapFiguresSerializer(allow_null=True, help_text=_("Aujourd'hui ; null : plus rien."))


class RecapFlagSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    payee = serializers.CharField(help_text=_("« maker:12 », « organisation:3 », « relay:1 »."))
    name = serializers.CharField()
    detail = serializers.CharField()


class RecapPayeeSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField(help_text=_("maker, organisation, own_use ou relay."))
    amount_cents = serializers.IntegerField()


class RecapSerializer(serializers.Serializer):
    """What approving means, as the recap page shows it. Confirm `computed_at` and
    `fingerprint` in the approval, with every code of `flags` in `acknowledged_flags` and a
    `motivation` when there are flags."""

    amount_cents = serializers.IntegerField()
    computed_at = serializers.DateTimeField(
        help_text=_("Date du calcul des chiffres retenus : à confirmer à l'approbation.")
    )
    fingerprint = serializers.CharField(
        help_text=_("Empreinte des montants : à confirmer à l'approbation.")
    )
    stale = serializers.BooleanField(
        help_text=_("Des chiffres validés ont changé depuis le calcul (voir `changes`).")
    )
    may_recompute = serializers.BooleanField(
        help_text=_("Un recalcul est possible, et exigé avant d'approuver (`recompute`).")
    )
    figures = RecapFiguresRowSerializer(many=True)
    payees = RecapPayeeSerializer(many=True)
    changes = RecapChangeSerializer(many=True)
    flags = RecapFlagSerializer(many=True)

    def to_representation(self, recap: Recap):
        def figures(values):
            if values is None:
                return None
            return {**values, "weighted": str(values["weighted"])}

        return super().to_representation(
            {
                "amount_cents": recap.amount_cents,
                "computed_at": recap.computed_at,
                "fingerprint": recap.fingerprint,
                "stale": recap.stale,
                "may_recompute": recap.may_recompute,
                "figures": [figures(row) for row in recap.figures],
                "payees": [
                    {key: payee[key] for key in ("name", "kind", "amount_cents")}
                    for payee in recap.payees
                ],
                "changes": [
                    {"label": c.label, "before": figures(c.before), "after": figures(c.after)}
                    for c in recap.changes
                ],
                "flags": [{**flag.as_data(), "title": flag.title} for flag in recap.flags],
            }
        )


class ApprovalSerializer(serializers.Serializer):
    """The confirmation of a recap (GET …/recap/): without `computed_at` and `fingerprint`
    nothing is approved (approval_confirmation_missing)."""

    computed_at = serializers.DateTimeField(
        required=False, help_text=_("`computed_at` du récapitulatif lu.")
    )
    fingerprint = serializers.CharField(
        required=False, max_length=64, help_text=_("`fingerprint` du récapitulatif lu.")
    )
    acknowledged_flags = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=list,
        max_length=20,
        help_text=_("Les codes des signalements reconnus : tous ceux du récapitulatif."),
    )
    motivation = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text=_("Pourquoi approuver malgré les signalements : obligatoire s'il y en a."),
    )

    def confirmation(self) -> Confirmation:
        data = self.validated_data
        if not data.get("computed_at") or not data.get("fingerprint"):
            raise errors.APPROVAL_CONFIRMATION_MISSING()
        return Confirmation(
            computed_at=data["computed_at"],
            fingerprint=data["fingerprint"],
            acknowledged=frozenset(data["acknowledged_flags"]),
            motivation=data["motivation"],
        )
