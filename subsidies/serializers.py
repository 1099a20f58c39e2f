"""API shapes of the subsidy chain: input serializers validate, outputs render. Money is integer
cents everywhere; bank details never appear, only whether they are on file (`iban_known`)."""

from fractions import Fraction

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fablabs.models import Relay
from makers.models import ItemType
from tilab.serializers import ModelSerializer, PrimaryKeyRelatedField, SlugRelatedField

from .models import (
    Allocation,
    BankAccountChange,
    Payment,
    PaymentBatch,
    PaymentBatchLine,
    Programme,
    Redistribution,
    RedistributionLine,
)
from .services import MAX_ENVELOPE_CENTS, ProgrammeTerms

# What the database columns hold: beyond it an insert would fail with a server error.
BIGINT_MAX = 2**63 - 1
INT_MAX = 2**31 - 1
CENTS_HELP = _("Montant en centimes d'euro, entier positif ou nul.")
MOTIVATION_HELP = _("Pourquoi ce changement : obligatoire, conservé au registre des décisions.")


def person_brief(user) -> dict | None:
    # A name, never an e-mail address.
    if user is None:
        return None
    return {"id": user.pk, "name": user.full_name or str(_("agent sans nom"))}


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SubsidyRelayRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ProgrammeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# Named enums of their own: `status` also names the reports' states elsewhere in the schema.
@extend_schema_field(
    {"type": "string", "enum": Programme.Status.values}, component_name="ProgrammeStatus"
)
class ProgrammeStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Programme.Status.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": Allocation.Status.values}, component_name="MoneyDecisionStatus"
)
class MoneyDecisionStatusField(serializers.ChoiceField):
    """Proposed, then approved: allocations and redistributions alike."""

    def __init__(self, **kwargs):
        super().__init__(choices=Allocation.Status.choices, **kwargs)


# --- Output: programmes and allocations ----------------------------------------------------


class AllocationOutputSerializer(ModelSerializer):
    """One relay's part of a programme. Expects `selectors.allocations_visible_to` joined with
    `redistribution`."""

    programme = serializers.SerializerMethodField()
    relay = serializers.SerializerMethodField()
    snapshot = serializers.JSONField(
        read_only=True,
        help_text=_(
            "Les chiffres validés retenus au calcul, par département : quantité, coût "
            "matière (centimes), déclarations, contribution pondérée."
        ),
    )
    approved_by = serializers.SerializerMethodField()
    redistribution = serializers.SerializerMethodField(
        help_text=_("La redistribution proposée par le relais, ou null.")
    )
    status = MoneyDecisionStatusField(read_only=True)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "programme",
            "relay",
            "fixed_share",
            "proposed_cents",
            "amount_cents",
            "snapshot",
            "computed_at",
            "motivation",
            "status",
            "approved_by",
            "approved_at",
            "redistribution",
        ]
        read_only_fields = fields

    @extend_schema_field(ProgrammeRefSerializer)
    def get_programme(self, allocation):
        return {"id": allocation.programme_id, "name": allocation.programme.name}

    @extend_schema_field(SubsidyRelayRefSerializer)
    def get_relay(self, allocation):
        return {"id": allocation.relay_id, "name": allocation.relay.organisation.name}

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_approved_by(self, allocation):
        return person_brief(allocation.approved_by)

    def get_redistribution(self, allocation) -> int | None:
        redistribution = getattr(allocation, "redistribution", None)
        return redistribution.pk if redistribution is not None else None


class ProgrammeAllocationSerializer(AllocationOutputSerializer):
    """An allocation inside its programme: the programme is the parent."""

    class Meta(AllocationOutputSerializer.Meta):
        fields = [f for f in AllocationOutputSerializer.Meta.fields if f != "programme"]
        read_only_fields = fields


class ItemWeightSerializer(serializers.Serializer):
    item_type = SlugRelatedField(
        slug_field="slug",
        queryset=ItemType.objects.all(),
        help_text=_("Identifiant de l'article (voir /api/v1/item-types/)."),
    )
    weight = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        help_text=_("Ce que compte une unité (ou un euro de matière) de cet article ; 1 sinon."),
    )


class ProgrammeOutputSerializer(ModelSerializer):
    """A programme with the allocations the caller may see. Expects
    `selectors.programmes_seen_by` with `weights` prefetched."""

    item_weights = ItemWeightSerializer(source="weights", many=True, read_only=True)
    allocations = ProgrammeAllocationSerializer(many=True, read_only=True)
    amends = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text=_("Le programme que celui-ci modifie.")
    )
    amendments = serializers.SerializerMethodField(
        help_text=_("Les programmes qui modifient celui-ci.")
    )
    status = ProgrammeStatusField(read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id",
            "name",
            "envelope_cents",
            "period_start_on",
            "period_end_on",
            "basis",
            "uses_fixed_shares",
            "item_weights",
            "status",
            "amends",
            "amendments",
            "motivation",
            "created_at",
            "approved_at",
            "allocations",
        ]
        read_only_fields = fields

    def get_amendments(self, programme) -> list[int]:
        return [amendment.pk for amendment in programme.visible_amendments]


# --- Output: redistributions and payments --------------------------------------------------


class PaymentOutputSerializer(ModelSerializer):
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "line",
            "amount_cents",
            "paid_on",
            "reference",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PersonSerializer)
    def get_recorded_by(self, payment):
        return person_brief(payment.recorded_by)


class LinePaymentSerializer(serializers.Serializer):
    amount_cents = serializers.IntegerField()
    paid_on = serializers.DateField()
    reference = serializers.CharField()


class RedistributionLineOutputSerializer(ModelSerializer):
    """One line. Expects `selectors.lines_of` and `bank_accounts` in the context (the keys of
    the payees whose bank details are on file)."""

    payee_name = serializers.CharField(read_only=True)
    figures = serializers.JSONField(
        read_only=True,
        help_text=_(
            "La contribution validée du bénéficiaire : quantité, coût matière (centimes), "
            "déclarations, contribution pondérée. Vide pour un usage du relais."
        ),
    )
    iban_known = serializers.SerializerMethodField(
        help_text=_(
            "Les coordonnées bancaires du bénéficiaire sont enregistrées (toujours faux pour "
            "un usage du relais). Elles ne sont jamais données par l'API."
        )
    )
    payment = serializers.SerializerMethodField()

    class Meta:
        model = RedistributionLine
        fields = [
            "id",
            "kind",
            "maker",
            "organisation",
            "payee_name",
            "purpose",
            "figures",
            "proposed_cents",
            "amount_cents",
            "iban_known",
            "payment",
        ]
        read_only_fields = fields

    def get_iban_known(self, line) -> bool:
        known = self.context["bank_accounts"]
        if line.maker_id:
            return ("maker", line.maker_id) in known
        if line.organisation_id:
            return ("organisation", line.organisation_id) in known
        return False

    @extend_schema_field(LinePaymentSerializer(allow_null=True))
    def get_payment(self, line):
        payment = getattr(line, "payment", None)
        if payment is None:
            return None
        return {
            "amount_cents": payment.amount_cents,
            "paid_on": payment.paid_on.isoformat(),
            "reference": payment.reference,
        }


class RedistributionOutputSerializer(ModelSerializer):
    """A redistribution as listed. Expects `selectors.redistributions_visible_to` annotated
    with `line_count`, `paid_count` and `paid_cents`."""

    programme = serializers.SerializerMethodField()
    relay = serializers.SerializerMethodField()
    amount_cents = serializers.IntegerField(
        source="allocation.amount_cents",
        read_only=True,
        help_text=_("L'allocation redistribuée : les lignes en font exactement le total."),
    )
    approved_by = serializers.SerializerMethodField()
    status = MoneyDecisionStatusField(read_only=True)
    line_count = serializers.IntegerField(read_only=True)
    paid_count = serializers.IntegerField(read_only=True)
    paid_cents = serializers.IntegerField(read_only=True)

    class Meta:
        model = Redistribution
        fields = [
            "id",
            "allocation",
            "programme",
            "relay",
            "amount_cents",
            "status",
            "motivation",
            "computed_at",
            "approved_by",
            "approved_at",
            "line_count",
            "paid_count",
            "paid_cents",
        ]
        read_only_fields = fields

    @extend_schema_field(ProgrammeRefSerializer)
    def get_programme(self, redistribution):
        programme = redistribution.allocation.programme
        return {"id": programme.pk, "name": programme.name}

    @extend_schema_field(SubsidyRelayRefSerializer)
    def get_relay(self, redistribution):
        relay = redistribution.allocation.relay
        return {"id": relay.pk, "name": relay.organisation.name}

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_approved_by(self, redistribution):
        return person_brief(redistribution.approved_by)


class RedistributionDetailSerializer(RedistributionOutputSerializer):
    """A redistribution with its lines. Expects `lines` and `bank_accounts` in the context."""

    lines = serializers.SerializerMethodField()

    class Meta(RedistributionOutputSerializer.Meta):
        fields = [*RedistributionOutputSerializer.Meta.fields, "lines"]
        read_only_fields = fields

    @extend_schema_field(RedistributionLineOutputSerializer(many=True))
    def get_lines(self, redistribution):
        return RedistributionLineOutputSerializer(
            self.context["lines"], many=True, context=self.context
        ).data


# --- Input ----------------------------------------------------------------------------------


class AllocationAmountSerializer(serializers.Serializer):
    allocation = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    amount_cents = serializers.IntegerField(min_value=0, max_value=BIGINT_MAX, help_text=CENTS_HELP)


class FixedShareSerializer(serializers.Serializer):
    relay = PrimaryKeyRelatedField(queryset=Relay.objects.all())
    share = serializers.IntegerField(
        min_value=0, max_value=INT_MAX, help_text=_("Part du relais (2020 : 50, 25, 25).")
    )


class ProgrammeTermsSerializer(serializers.Serializer):
    """What a programme grants and how it is split. Rules on amounts, periods and shares are
    the services' (their message comes back as `detail`)."""

    name = serializers.CharField(max_length=200)
    envelope_cents = serializers.IntegerField(
        min_value=1, max_value=MAX_ENVELOPE_CENTS, help_text=_("Enveloppe en centimes d'euro.")
    )
    period_start_on = serializers.DateField(help_text=_("Production prise en compte à partir du."))
    period_end_on = serializers.DateField(help_text=_("Production prise en compte jusqu'au."))
    basis = serializers.ChoiceField(choices=Programme.Basis.choices)
    relays = PrimaryKeyRelatedField(
        queryset=Relay.objects.prefetch_related("coverage"),
        many=True,
        allow_empty=False,
        help_text=_("Les relais qui reçoivent une allocation (voir /api/v1/relays/)."),
    )
    item_weights = ItemWeightSerializer(many=True, required=False, default=list)
    fixed_shares = FixedShareSerializer(
        many=True,
        required=False,
        default=list,
        help_text=_("Des parts fixes par relais au lieu des chiffres de production."),
    )

    def terms(self) -> ProgrammeTerms:
        data = self.validated_data
        return ProgrammeTerms(
            name=data["name"],
            envelope_cents=data["envelope_cents"],
            period_start_on=data["period_start_on"],
            period_end_on=data["period_end_on"],
            basis=data["basis"],
            relays=tuple(data["relays"]),
            item_weights=tuple(
                (row["item_type"], Fraction(row["weight"])) for row in data["item_weights"]
            ),
            fixed_shares=tuple((row["relay"], row["share"]) for row in data["fixed_shares"]),
        )


class MotivationSerializer(serializers.Serializer):
    # Blank passes here so that the service's own message explains what to write.
    motivation = serializers.CharField(allow_blank=True, help_text=MOTIVATION_HELP)


class ProgrammeAmendSerializer(ProgrammeTermsSerializer, MotivationSerializer):
    """The terms of the amending programme (the additional envelope) and why."""


def _once_each(rows, key: str, message) -> None:
    seen = [row[key] for row in rows]
    if len(seen) != len(set(seen)):
        raise serializers.ValidationError(message)


class AllocationsAdjustSerializer(MotivationSerializer):
    amounts = AllocationAmountSerializer(
        many=True,
        help_text=_(
            "Le nouveau montant de chaque allocation à changer ; le total doit rester égal à "
            "l'enveloppe."
        ),
    )

    def validate_amounts(self, rows):
        _once_each(rows, "allocation", _("Chaque allocation figure une seule fois."))
        return rows


class OwnUseSerializer(serializers.Serializer):
    # Blank passes here so that the service's own message explains what to write.
    purpose = serializers.CharField(
        max_length=200, allow_blank=True, help_text=_("Objet : achat groupé de PLA, prototypes…")
    )
    amount_cents = serializers.IntegerField(min_value=0, max_value=BIGINT_MAX, help_text=CENTS_HELP)


class RedistributionProposeSerializer(serializers.Serializer):
    allocation = serializers.IntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        help_text=_("L'allocation approuvée de votre relais à redistribuer."),
    )
    own_use = OwnUseSerializer(
        many=True,
        required=False,
        default=list,
        help_text=_("Les lignes que le relais garde pour son usage, servies en premier."),
    )


class LineAmountSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    amount_cents = serializers.IntegerField(min_value=0, max_value=BIGINT_MAX, help_text=CENTS_HELP)


class RedistributionAdjustSerializer(MotivationSerializer):
    amounts = LineAmountSerializer(
        many=True,
        required=False,
        default=list,
        help_text=_("Le nouveau montant de chaque ligne à changer."),
    )
    add_own_use = OwnUseSerializer(
        many=True,
        required=False,
        default=list,
        help_text=_(
            "Des lignes à ajouter pour l'usage du relais. Le total des lignes doit rester égal "
            "à l'allocation."
        ),
    )

    def validate_amounts(self, rows):
        _once_each(rows, "line", _("Chaque ligne figure une seule fois."))
        return rows


class PaymentBatchLineSerializer(ModelSerializer):
    """A transfer of a batch; of the IBAN used, its last four characters only."""

    payee = serializers.CharField(source="line.payee_name", read_only=True)
    kind = serializers.CharField(source="line.kind", read_only=True)
    iban_end = serializers.SerializerMethodField()

    class Meta:
        model = PaymentBatchLine
        fields = ["line", "payee", "kind", "amount_cents", "holder", "iban_end", "status"]
        read_only_fields = fields

    def get_iban_end(self, batch_line) -> str:
        return batch_line.iban[-4:]


class PaymentBatchOutputSerializer(ModelSerializer):
    relay = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    recorded_by = serializers.SerializerMethodField()
    cancelled_by = serializers.SerializerMethodField()

    class Meta:
        model = PaymentBatch
        fields = [
            "id",
            "message_id",
            "redistribution",
            "relay",
            "format",
            "status",
            "execution_on",
            "total_cents",
            "filename",
            "content_sha256",
            "created_by",
            "created_at",
            "recorded_by",
            "recorded_at",
            "cancelled_by",
            "cancelled_at",
            "cancel_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(SubsidyRelayRefSerializer)
    def get_relay(self, batch):
        relay = batch.redistribution.allocation.relay
        return {"id": relay.pk, "name": relay.organisation.name}

    @extend_schema_field(PersonSerializer)
    def get_created_by(self, batch):
        return person_brief(batch.created_by)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_recorded_by(self, batch):
        return person_brief(batch.recorded_by)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_cancelled_by(self, batch):
        return person_brief(batch.cancelled_by)


class PaymentBatchDetailSerializer(PaymentBatchOutputSerializer):
    lines = serializers.SerializerMethodField()

    class Meta(PaymentBatchOutputSerializer.Meta):
        fields = [*PaymentBatchOutputSerializer.Meta.fields, "lines"]
        read_only_fields = fields

    @extend_schema_field(PaymentBatchLineSerializer(many=True))
    def get_lines(self, batch):
        lines = batch.lines.select_related("line__maker", "line__organisation").order_by("line_id")
        return PaymentBatchLineSerializer(lines, many=True).data


class PaymentBatchCreateSerializer(serializers.Serializer):
    redistribution = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    # Any text passes here so that the service's own message explains the choice.
    format = serializers.CharField(max_length=10, help_text=_("« sepa » ou « csv »."))
    execution_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=_("SEPA : date d'exécution, aujourd'hui par défaut."),
    )


class PaymentBatchRecordSerializer(serializers.Serializer):
    paid_on = serializers.DateField(help_text=_("Date du virement, pas dans le futur."))
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=140,
        help_text=_("Référence de la banque ; à défaut, l'identifiant du lot."),
    )
    rejected = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=BIGINT_MAX),
        required=False,
        max_length=5000,
        help_text=_("Les lignes (de redistribution) que la banque a rejetées."),
    )


class PaymentBatchCancelSerializer(serializers.Serializer):
    # Blank passes here so that the service's own message explains what to write.
    reason = serializers.CharField(allow_blank=True, help_text=_("Motif, conservé."))


class BankChangeOutputSerializer(ModelSerializer):
    """A bank details change; of the IBANs, the last four characters only."""

    payee_kind = serializers.SerializerMethodField()
    payee_id = serializers.SerializerMethodField()
    payee = serializers.SerializerMethodField()
    changed_by = serializers.SerializerMethodField()
    confirmed_by = serializers.SerializerMethodField()

    class Meta:
        model = BankAccountChange
        fields = [
            "id",
            "payee_kind",
            "payee_id",
            "payee",
            "holder",
            "old_iban_end",
            "new_iban_end",
            "changed_by",
            "changed_at",
            "usable_from",
            "needs_region",
            "confirmed_by",
            "confirmed_at",
            "superseded",
        ]
        read_only_fields = fields

    def get_payee_kind(self, change) -> str:
        return "maker" if change.account.maker_id else "organisation"

    def get_payee_id(self, change) -> int:
        return change.account.maker_id or change.account.organisation_id

    def get_payee(self, change) -> str:
        account = change.account
        return account.maker.display_name if account.maker_id else account.organisation.name

    @extend_schema_field(PersonSerializer)
    def get_changed_by(self, change):
        return person_brief(change.changed_by)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_confirmed_by(self, change):
        return person_brief(change.confirmed_by)


class BankChangeCreateSerializer(serializers.Serializer):
    payee_kind = serializers.ChoiceField(choices=["maker", "organisation"])
    payee_id = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    # Any text passes here so that the service's own message explains what is wrong.
    holder = serializers.CharField(allow_blank=True, max_length=200)
    iban = serializers.CharField(allow_blank=True, max_length=100)
    bic = serializers.CharField(required=False, allow_blank=True, max_length=20)
