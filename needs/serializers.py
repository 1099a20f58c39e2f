"""API shapes of needs, pledges and deliveries: input serializers validate, outputs render.

Privacy: a need's contact (name and e-mail) never appears in a response; the establishment
is shown by name, type and commune. A delivery's confirmation token never appears either: it
travels only in the e-mail sent to the establishment.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fablabs.models import Organisation
from makers.models import MAX_QUANTITY, ItemType
from makers.serializers import CorroborationWithheldField
from tilab.models import Department
from tilab.serializers import (
    DocumentedBoundsIntegerField,
    ModelSerializer,
    PrimaryKeyRelatedField,
    SlugRelatedField,
)

from .models import Delivery, Establishment, Need, NeedMessage, Pledge


# Named enums of their own: `status` and `care_type` name other states elsewhere in the schema.
@extend_schema_field({"type": "string", "enum": Need.Status.values}, component_name="NeedStatus")
class NeedStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Need.Status.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": Pledge.Status.values}, component_name="PledgeStatus"
)
class PledgeStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Pledge.Status.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": Establishment.CareType.values},
    component_name="EstablishmentCareType",
)
class CareTypeField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Establishment.CareType.choices, **kwargs)


def _quantity_field(**kwargs):
    """A quantity of items; its bounds are the services' rule (quantity_out_of_range), which
    the schema documents."""
    return DocumentedBoundsIntegerField(minimum=1, maximum=MAX_QUANTITY, **kwargs)


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


# --- Output -----------------------------------------------------------------------------------


class EstablishmentPublicSerializer(ModelSerializer):
    care_type = CareTypeField(read_only=True)

    class Meta:
        model = Establishment
        fields = ["id", "name", "care_type", "commune"]
        read_only_fields = fields


class NeedDepartmentSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class NeedItemSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class NeedOutputSerializer(ModelSerializer):
    """A need as anyone sees it: no contact, what is already pledged and received. Expects
    `selectors.with_progress` (the `pledged` and `received` sums) and the establishment,
    item and department fetched with it."""

    establishment = EstablishmentPublicSerializer(read_only=True)
    department = serializers.SerializerMethodField()
    item_type = serializers.SerializerMethodField()
    status = NeedStatusField(read_only=True)
    pledged = serializers.IntegerField(
        read_only=True, help_text=_("Quantité promise (promesses engagées).")
    )
    received = serializers.IntegerField(
        read_only=True, help_text=_("Quantité reçue, confirmée par l'établissement.")
    )
    page_url = serializers.SerializerMethodField(help_text=_("La page publique du besoin."))
    checked_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=_(
            "Quand un relais ou un facilitateur a vérifié l'établissement et son contact "
            "(null : pas encore ; ses livraisons ne corroborent alors aucune production)."
        ),
    )

    class Meta:
        model = Need
        fields = [
            "id",
            "establishment",
            "department",
            "item_type",
            "quantity",
            "pledged",
            "received",
            "needed_by",
            "delivery_constraints",
            "status",
            "created_at",
            "closed_at",
            "checked_at",
            "page_url",
        ]
        read_only_fields = fields

    @extend_schema_field(NeedDepartmentSerializer)
    def get_department(self, need):
        return {"code": need.department.code, "name": need.department.name}

    @extend_schema_field(NeedItemSerializer)
    def get_item_type(self, need):
        return {"slug": need.item_type.slug, "name": need.item_type.name}

    def get_page_url(self, need) -> str:
        return _absolute(self.context.get("request"), reverse("needs:detail", args=[need.pk]))


class NeedRefSerializer(ModelSerializer):
    """The need a pledge or a delivery answers, as anyone sees it."""

    establishment = EstablishmentPublicSerializer(read_only=True)
    item_type = serializers.SerializerMethodField()
    status = NeedStatusField(read_only=True)

    class Meta:
        model = Need
        fields = ["id", "establishment", "item_type", "quantity", "needed_by", "status"]
        read_only_fields = fields

    @extend_schema_field(NeedItemSerializer)
    def get_item_type(self, need):
        return {"slug": need.item_type.slug, "name": need.item_type.name}


class ProducerSerializer(serializers.Serializer):
    maker = serializers.IntegerField(allow_null=True)
    organisation = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


class PledgeOutputSerializer(ModelSerializer):
    """One's own pledge. Expects the need, its establishment and item, the producer, and the
    `delivered` and `received` sums annotated."""

    need = NeedRefSerializer(read_only=True)
    producer = serializers.SerializerMethodField()
    status = PledgeStatusField(read_only=True)
    delivered = serializers.IntegerField(
        read_only=True, help_text=_("Quantité livrée selon vos livraisons enregistrées.")
    )
    received = serializers.IntegerField(
        read_only=True, help_text=_("Quantité que l'établissement a confirmé avoir reçue.")
    )

    class Meta:
        model = Pledge
        fields = [
            "id",
            "need",
            "producer",
            "quantity",
            "delivered",
            "received",
            "message",
            "status",
            "pledged_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ProducerSerializer)
    def get_producer(self, pledge):
        return {
            "maker": pledge.maker_id,
            "organisation": pledge.organisation_id,
            "name": pledge.producer_name,
        }


class DeliveryOutputSerializer(ModelSerializer):
    """One's own delivery, with what the establishment confirmed (null until it does)."""

    need = NeedRefSerializer(source="pledge.need", read_only=True)
    corroborates = serializers.SerializerMethodField(
        help_text=_(
            "Si la réception confirmée corrobore vos déclarations de production (null tant "
            "qu'elle n'est pas confirmée)."
        )
    )
    corroboration_withheld = CorroborationWithheldField(
        read_only=True,
        help_text=_(
            "Pourquoi elle ne les corrobore pas : contact_is_producer (le besoin a été déposé "
            "par vous ou à une de vos adresses), need_unchecked (besoin pas encore vérifié par "
            "un relais ou un facilitateur), checked_by_producer ; null sinon."
        ),
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "pledge",
            "need",
            "quantity",
            "delivered_on",
            "recorded_at",
            "confirmed_quantity",
            "confirmed_at",
            "corroborates",
            "corroboration_withheld",
        ]
        read_only_fields = fields

    def get_corroborates(self, delivery) -> bool | None:
        if delivery.confirmed_at is None:
            return None
        return bool(delivery.confirmed_quantity) and not delivery.corroboration_withheld


class DeliveryConfirmedSerializer(ModelSerializer):
    """What the establishment reads back after confirming (no producer account shown)."""

    class Meta:
        model = Delivery
        fields = ["id", "quantity", "delivered_on", "confirmed_quantity", "confirmed_at"]
        read_only_fields = fields


class DeliveredBeyondSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=["beyond_pledge", "beyond_need"],
        help_text=_("beyond_pledge : au-delà de la promesse ; beyond_need : au-delà du besoin."),
    )
    delivered = serializers.IntegerField(
        help_text=_("Le total des livraisons déclarées, celle-ci comprise.")
    )
    limit = serializers.IntegerField(help_text=_("La quantité promise, ou celle du besoin."))
    detail = serializers.CharField(source="message", help_text=_("Ce qu'en lit une personne."))


class DeliveryRecordedSerializer(DeliveryOutputSerializer):
    """The delivery just recorded, and what its total now exceeds (taken, not refused)."""

    beyond = DeliveredBeyondSerializer(
        many=True,
        read_only=True,
        help_text=_(
            "Ce que les livraisons déclarées dépassent désormais : la promesse, le besoin, les "
            "deux ; vide sinon. La livraison est enregistrée dans tous les cas."
        ),
    )

    class Meta(DeliveryOutputSerializer.Meta):
        fields = [*DeliveryOutputSerializer.Meta.fields, "beyond"]
        read_only_fields = fields


class NeedMessageOutputSerializer(ModelSerializer):
    class Meta:
        model = NeedMessage
        fields = ["id", "pledge", "from_establishment", "body", "created_at"]
        read_only_fields = fields


# --- Input ------------------------------------------------------------------------------------


class NeedCreateSerializer(serializers.Serializer):
    """What an establishment fills in, as on the page. Without an account (or with an address
    that is not one's own verified address) the need is published once the contact confirms
    it from the e-mailed link."""

    establishment_name = serializers.CharField(max_length=200)
    care_type = CareTypeField()
    department = PrimaryKeyRelatedField(
        queryset=Department.objects.all(), help_text=_("Code du département (« 35 »).")
    )
    commune = serializers.CharField(max_length=100)
    item_type = SlugRelatedField(
        slug_field="slug",
        queryset=ItemType.objects.filter(is_active=True),
        help_text=_("Identifiant de l'objet (voir /api/v1/item-types/)."),
    )
    quantity = _quantity_field()
    needed_by = serializers.DateField(help_text=_("Pour le (date à venir)."))
    delivery_constraints = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )
    contact_name = serializers.CharField(max_length=150)
    contact_email = serializers.EmailField(
        help_text=_(
            "Adresse de la personne à contacter : le lien de confirmation y est envoyé. "
            "Elle n'est jamais montrée."
        )
    )


class NeedRemoveSerializer(serializers.Serializer):
    # Blank passes here so that the service's own refusal explains what to write.
    reason = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        help_text=_("Le motif de la modération, consigné dans le journal des décisions."),
    )


class NeedContactChangeSerializer(serializers.Serializer):
    email = serializers.CharField(
        max_length=254,
        help_text=_(
            "La nouvelle adresse de contact : elle reçoit ses propres liens, ceux envoyés à "
            "l'ancienne ne s'ouvrent plus."
        ),
    )


class NeedCheckSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "Comment l'établissement et son contact ont été vérifiés (un appel, une adresse "
            "connue), consigné dans le journal des décisions."
        ),
    )


class PledgeCreateSerializer(serializers.Serializer):
    """Promise in your own name, or for an organisation you belong to (`organisation`)."""

    need = PrimaryKeyRelatedField(
        queryset=Need.objects.filter(
            status__in=[Need.Status.OPEN, Need.Status.FULFILLED, Need.Status.EXPIRED]
        )
    )
    quantity = _quantity_field()
    organisation = PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Une organisation dont vous êtes membre ; sinon, en votre nom."),
    )
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class DeliveryCreateSerializer(serializers.Serializer):
    pledge = PrimaryKeyRelatedField(
        queryset=Pledge.objects.none(), help_text=_("Une de vos promesses.")
    )
    quantity = _quantity_field()
    delivered_on = serializers.DateField(help_text=_("Livré le (pas dans le futur)."))

    def __init__(self, *args, pledges=None, **kwargs):
        super().__init__(*args, **kwargs)
        if pledges is not None:
            self.fields["pledge"].queryset = pledges


class DeliveryConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(
        max_length=500, help_text=_("Le jeton du lien de confirmation reçu par e-mail.")
    )
    confirmed_quantity = serializers.IntegerField(
        min_value=0,
        max_value=MAX_QUANTITY,
        help_text=_("Quantité reçue : au plus la quantité livrée (0 : rien reçu)."),
    )


class EstablishmentThreadSerializer(ModelSerializer):
    """One thread of the establishment's page: an active pledge, its producer as the public
    may see them, and the messages, oldest first. Expects the messages prefetched and the
    `public_name` set (selectors.need_pledges, selectors.pledges_named)."""

    pledge = serializers.IntegerField(source="pk", read_only=True)
    producer = serializers.CharField(
        source="public_name",
        read_only=True,
        help_text=_("Le nom du producteur s'il l'a rendu public, sinon « un maker »."),
    )
    messages = NeedMessageOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Pledge
        fields = ["pledge", "producer", "quantity", "pledged_at", "messages"]
        read_only_fields = fields


class EstablishmentThreadsSerializer(serializers.Serializer):
    need = NeedOutputSerializer(read_only=True)
    threads = EstablishmentThreadSerializer(many=True, read_only=True)


class EstablishmentMessageCreateSerializer(serializers.Serializer):
    pledge = PrimaryKeyRelatedField(
        queryset=Pledge.objects.none(),
        help_text=_("La promesse du producteur à qui écrire (une promesse active du besoin)."),
    )
    # Blank passes here so that the service's own refusal explains what to write.
    body = serializers.CharField(max_length=5000, allow_blank=True)

    def __init__(self, *args, pledges=None, **kwargs):
        super().__init__(*args, **kwargs)
        if pledges is not None:
            self.fields["pledge"].queryset = pledges


class NeedMessageCreateSerializer(serializers.Serializer):
    # Blank passes here so that the service's own refusal explains what to write.
    body = serializers.CharField(max_length=5000, allow_blank=True)
