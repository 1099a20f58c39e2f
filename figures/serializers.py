"""API shapes of the figures: weekly total rows, their cursor pages and grouped sums."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from tilab.serializers import ModelSerializer

from .models import ProductionTotal
from .selectors import FIGURE_DIMENSIONS


class FigureRowSerializer(ModelSerializer):
    """One weekly total: validated production of a department, an item and a producer kind.

    Expects `relays` (department code → relay name) in its context, read once per request.
    """

    iso_year = serializers.SerializerMethodField()
    iso_week = serializers.SerializerMethodField()
    department = serializers.CharField(source="department_id", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    relay = serializers.SerializerMethodField(
        help_text=_("Relais qui couvre le département aujourd'hui ; null si aucun.")
    )
    item_type = serializers.CharField(source="item_type.slug", read_only=True)

    class Meta:
        model = ProductionTotal
        fields = [
            "week_start",
            "iso_year",
            "iso_week",
            "department",
            "department_name",
            "relay",
            "item_type",
            "org_kind",
            "quantity",
            "report_count",
            "maker_count",
            "producer_count",
            "material_cost_cents",
            "computed_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "week_start": {"help_text": _("Le lundi de la semaine ISO 8601.")},
            "maker_count": {
                "help_text": _(
                    "Makers distincts de cette ligne : ne s'additionne pas entre lignes."
                )
            },
            "producer_count": {
                "help_text": _(
                    "Producteurs distincts de cette ligne (une organisation compte pour un, un "
                    "maker indépendant pour un) : ne s'additionne pas entre lignes. Pour le "
                    "public, jamais moins que le seuil de publication (3 par défaut)."
                )
            },
        }

    def get_iso_year(self, total) -> int:
        return total.week_start.isocalendar()[0]

    def get_iso_week(self, total) -> int:
        return total.week_start.isocalendar()[1]

    def get_relay(self, total) -> str | None:
        return self.context["relays"].get(total.department_id) or None


class FigureRowPageSerializer(serializers.Serializer):
    """A cursor page of weekly totals."""

    next = serializers.URLField(allow_null=True, help_text=_("La page suivante, ou null."))
    previous = serializers.URLField(allow_null=True, help_text=_("La page précédente, ou null."))
    results = FigureRowSerializer(many=True)


class FiguresSumSerializer(serializers.Serializer):
    quantity = serializers.IntegerField()
    report_count = serializers.IntegerField()
    material_cost_cents = serializers.IntegerField()


class FigureGroupSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True,
        help_text=_(
            "La valeur du regroupement, telle que les filtres l'acceptent : lundi de la "
            "semaine, code du département, identifiant du relais (null : sans relais), "
            "identifiant de l'article, type de producteur."
        ),
    )
    label = serializers.CharField(help_text=_("Le nom à afficher, dans la langue demandée."))
    quantity = serializers.IntegerField()
    report_count = serializers.IntegerField()
    material_cost_cents = serializers.IntegerField()


class FiguresBreakdownSerializer(serializers.Serializer):
    """The chosen totals summed per week, department, relay, item type or producer kind."""

    group_by = serializers.ChoiceField(choices=FIGURE_DIMENSIONS)
    overall = FiguresSumSerializer(help_text=_("Les totaux à date de toutes les lignes retenues."))
    results = FigureGroupSerializer(many=True)
