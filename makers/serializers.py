"""API shapes of makers and production reports: input serializers validate, outputs render."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fablabs.models import Organisation
from fablabs.selectors import relay_teams_covering
from tilab.models import Department
from tilab.serializers import ModelSerializer, PrimaryKeyRelatedField, SlugRelatedField

from .models import CorroborationWithheld, ItemType, Maker, ProductionReport
from .selectors import decision_route, double_count_ids

# --- Production reports: output ------------------------------------------------------------


class MakerRefSerializer(ModelSerializer):
    class Meta:
        model = Maker
        fields = ["id", "display_name"]


class OrganisationRefSerializer(ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name"]


@extend_schema_field(
    {"type": "string", "enum": [*CorroborationWithheld.values, None], "nullable": True},
    component_name="CorroborationWithheld",
)
class CorroborationWithheldField(serializers.ChoiceField):
    """Why a confirmed delivery does not corroborate production (null when nothing withheld)."""

    def __init__(self, **kwargs):
        super().__init__(choices=CorroborationWithheld.choices, allow_null=True, **kwargs)


class ProductionReportOutputSerializer(ModelSerializer):
    """A report as the API shows it. Expects the queryset of `selectors.reports_visible_to`,
    which joins every related row and annotates the likely double counts."""

    maker = MakerRefSerializer(read_only=True)
    organisation = OrganisationRefSerializer(read_only=True, allow_null=True)
    department = serializers.CharField(source="department_id", read_only=True)
    item_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    decided_by = serializers.SerializerMethodField()
    corrects = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    # A report fresh from a service carries no annotation until it is read again.
    suspected_duplicate = serializers.BooleanField(
        read_only=True,
        default=False,
        help_text=_("Double compte probable d'une autre déclaration (voir likely_double_counts)."),
    )
    likely_double_counts = serializers.SerializerMethodField(
        help_text=_(
            "Identifiants des déclarations dont celle-ci est probablement un double compte : "
            "même maker ou même organisation (ou le maker membre de l'organisation de "
            "l'autre), même article, dates proches, quantité égale ou contenue."
        )
    )
    corroboration_withheld = CorroborationWithheldField(
        read_only=True,
        help_text=_(
            "Une livraison confirmée correspond à cette déclaration mais ne la corrobore pas, "
            "et pourquoi : contact_is_producer (le besoin a été déposé par le producteur ou à "
            "une de ses adresses), need_unchecked (besoin non vérifié par un relais ou un "
            "facilitateur), checked_by_producer ; null sinon."
        ),
    )
    to_be_decided_by = serializers.SerializerMethodField(
        help_text=_(
            "Qui décide une déclaration en attente : « relay » (l'équipe du relais qui couvre "
            "son département, hors de qui l'a faite, saisie, importée ou modifiée) ou "
            "« region » (les déclarations du relais lui-même) ; null une fois décidée."
        )
    )
    you_may_decide = serializers.SerializerMethodField(
        help_text=_("Vous pouvez la valider ou la refuser (les quatre yeux le permettent).")
    )

    class Meta:
        model = ProductionReport
        fields = [
            "id",
            "maker",
            "organisation",
            "department",
            "item_type",
            "quantity",
            "produced_on",
            "material_cost_cents",
            "recipient",
            "status",
            "source",
            "entered_at",
            "decided_at",
            "decided_by",
            "rejection_reason",
            "corrects",
            "suspected_duplicate",
            "likely_double_counts",
            "corroborated_at",
            "corroboration_withheld",
            "to_be_decided_by",
            "you_may_decide",
        ]
        read_only_fields = fields

    def _route(self, report):
        """Four eyes' route of a submitted report; the relays' teams are read once for the
        whole answer (two queries), whatever the number of reports."""
        if report.status != ProductionReport.Status.SUBMITTED:
            return None
        if "relay_teams" not in self.context:
            self.context["relay_teams"] = relay_teams_covering()
        return decision_route(report, self.context["relay_teams"].get(report.department_id))

    def get_to_be_decided_by(self, report) -> str | None:
        route = self._route(report)
        return route.by if route is not None else None

    def get_you_may_decide(self, report) -> bool:
        route = self._route(report)
        request = self.context.get("request")
        return bool(route is not None and request is not None and route.allows(request.user))

    def get_likely_double_counts(self, report) -> list[int]:
        return double_count_ids(report)

    def get_decided_by(self, report) -> str | None:
        # A name, never an e-mail address: makers read this field.
        if not report.decided_by_id:
            return None
        return report.decided_by.full_name or _("équipe du relais")


# --- Production reports: input -------------------------------------------------------------

# The bounds themselves are checked by the services (and the database): one source of truth.
QUANTITY_HELP = _("Nombre d'articles, de 1 à 100 000.")
PRODUCED_ON_HELP = _("Date de production, entre le 01/01/2020 et aujourd'hui.")
COST_HELP = _("Coût matière en centimes d'euro, positif ou nul.")
# What the database column holds: beyond it the insert would fail with a server error.
BIGINT_MAX = 2**63 - 1


class ProductionReportUpdateSerializer(serializers.Serializer):
    """The fields of a report its maker or relay may change while it awaits a decision."""

    item_type = SlugRelatedField(
        slug_field="slug",
        queryset=ItemType.objects.all(),
        help_text=_("Identifiant de l'article (voir /api/v1/item-types/)."),
    )
    quantity = serializers.IntegerField(help_text=QUANTITY_HELP)
    produced_on = serializers.DateField(help_text=PRODUCED_ON_HELP)
    material_cost_cents = serializers.IntegerField(
        required=False, default=0, max_value=BIGINT_MAX, help_text=COST_HELP
    )
    recipient = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text=_("Livré à.")
    )
    organisation = PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Pour le compte de cette organisation, dont le maker est membre."),
    )


class ProductionReportCreateSerializer(ProductionReportUpdateSerializer):
    maker = PrimaryKeyRelatedField(
        # Narrowed by the view to the makers the caller may enter reports for.
        queryset=Maker.objects.none(),
        required=False,
        error_messages={
            "does_not_exist": _(
                "Vous ne pouvez pas saisir de déclaration pour le maker n° {pk_value}."
            )
        },
        help_text=_(
            "Le maker qui a produit. Un maker le laisse vide ; l'équipe d'un relais indique "
            "un maker de ses départements."
        ),
    )

    def __init__(self, *args, makers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if makers is not None:
            self.fields["maker"].queryset = makers


class ProductionReportCorrectionSerializer(serializers.Serializer):
    """Only the fields that change; the others are copied from the validated report."""

    item_type = SlugRelatedField(slug_field="slug", queryset=ItemType.objects.all(), required=False)
    quantity = serializers.IntegerField(required=False, help_text=QUANTITY_HELP)
    produced_on = serializers.DateField(required=False, help_text=PRODUCED_ON_HELP)
    material_cost_cents = serializers.IntegerField(
        required=False, max_value=BIGINT_MAX, help_text=COST_HELP
    )
    recipient = serializers.CharField(required=False, allow_blank=True, max_length=200)
    organisation = PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True
    )


class RejectionSerializer(serializers.Serializer):
    # Blank passes here so that the service's own message explains what to write.
    reason = serializers.CharField(
        allow_blank=True, help_text=_("Motif du refus, que le maker lira.")
    )


class SingleRejectionSerializer(RejectionSerializer):
    reason = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        help_text=_(
            "Motif du refus, que le maker lira ; avec double_count_of, un complément facultatif "
            "au motif écrit par la plateforme."
        ),
    )
    double_count_of = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=BIGINT_MAX,
        help_text=_(
            "Refuser comme double compte : l'identifiant de la déclaration gardée, l'une de "
            "ses likely_double_counts. Le motif la nomme."
        ),
    )


class BulkDecisionSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=BIGINT_MAX),
        allow_empty=False,
        max_length=500,
        help_text=_("Les déclarations à décider : toutes, ou aucune."),
    )


class BulkRejectionSerializer(BulkDecisionSerializer, RejectionSerializer):
    pass


# --- Makers --------------------------------------------------------------------------------


class MakerPublicSerializer(ModelSerializer):
    """What the public directory shows of a maker who opted in: never an address or e-mail."""

    department = serializers.CharField(source="department_id", read_only=True)

    class Meta:
        model = Maker
        fields = ["id", "display_name", "department", "commune", "skills"]


class MakerStaffSerializer(MakerPublicSerializer):
    """What relay staff (for their departments), Région staff and auditors see of a maker.

    `equipment` and `has_account` are null for a public maker outside the caller's departments:
    that maker opted in to the public directory only.
    """

    equipment = serializers.SerializerMethodField()
    has_account = serializers.SerializerMethodField()

    class Meta(MakerPublicSerializer.Meta):
        fields = [*MakerPublicSerializer.Meta.fields, "equipment", "is_public", "has_account"]

    def _in_scope(self, maker) -> bool:
        covered = self.context.get("covered_departments")
        return (
            covered is None
            or maker.department_id in covered
            or maker.user_id == self.context["request"].user.pk
        )

    def get_equipment(self, maker) -> str | None:
        return maker.equipment if self._in_scope(maker) else None

    def get_has_account(self, maker) -> bool | None:
        return maker.user_id is not None if self._in_scope(maker) else None


class MakerCreateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=150)
    department = SlugRelatedField(
        slug_field="code",
        # Narrowed by the view to the departments the caller's relays cover.
        queryset=Department.objects.none(),
        error_messages={
            "does_not_exist": _("Le département {value} n'est pas couvert par votre relais.")
        },
    )
    commune = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    # No default: an e-mail schema with an empty default does not validate (the service's
    # own default is empty).
    contact_email = serializers.EmailField(
        required=False,
        allow_blank=True,
        help_text=_(
            "Facultative : l'adresse où le relais peut envoyer au maker le motif d'un refus "
            "(jamais montrée par l'API)."
        ),
    )
    contact_phone = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Facultatif : le téléphone du maker (jamais montré par l'API)."),
    )

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is not None:
            self.fields["department"].queryset = departments
