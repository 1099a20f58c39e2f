"""API of the auditor's view: the money ledger (with the check of its chain, run on demand)
and the decision log; read-only, for auditors and Région staff (403 for anyone else)."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from subsidies.ledger import ledger_verify
from subsidies.models import LedgerEntry
from subsidies.serializers import PersonSerializer, ProgrammeRefSerializer, person_brief
from tilab.models import Decision
from tilab.pagination import CursorPagination
from tilab.schema import error_responses
from tilab.serializers import ModelSerializer

from . import selectors as audit


class LedgerEntrySerializer(ModelSerializer):
    programme = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()

    class Meta:
        model = LedgerEntry
        fields = [
            "seq",
            "recorded_at",
            "kind",
            "programme",
            "allocation",
            "line",
            "payment",
            "source",
            "destination",
            "amount_cents",
            "actor",
            "previous_hash",
            "entry_hash",
        ]

    @extend_schema_field(ProgrammeRefSerializer)
    def get_programme(self, entry):
        return {"id": entry.programme_id, "name": entry.programme.name}

    @extend_schema_field(PersonSerializer)
    def get_actor(self, entry):
        return person_brief(entry.actor)


class LedgerCheckSerializer(serializers.Serializer):
    intact = serializers.BooleanField()
    entries = serializers.IntegerField(help_text=gettext_lazy("Écritures parcourues."))
    breaks = serializers.ListField(
        child=serializers.CharField(),
        help_text=gettext_lazy("Chaque rupture de la chaîne, puis chaque solde faux."),
    )


class DecisionSerializer(ModelSerializer):
    object_type = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "decided_at",
            "action",
            "object_type",
            "object_id",
            "actor",
            "from_state",
            "to_state",
            "motivation",
            "data",
        ]

    def get_object_type(self, decision) -> str:
        return f"{decision.content_type.app_label}.{decision.content_type.model}"

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_actor(self, decision):
        return person_brief(decision.actor)


class LedgerPagination(CursorPagination):
    ordering = "-seq"


class NewestFirst(CursorPagination):
    ordering = "-pk"


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("Les écritures du grand livre"),
        responses={200: LedgerEntrySerializer(many=True), **error_responses(403)},
    )
)
class LedgerViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The money ledger: every movement (allocation approved, redistribution line approved,
    payment), newest first, by cursor; `verify/` checks the chain and every balance now.
    Auditors and Région staff."""

    permission = "subsidies.audit"
    serializer_class = LedgerEntrySerializer
    pagination_class = LedgerPagination
    filterset_class = audit.LedgerFilter

    def get_queryset(self):
        return audit.ledger_entries()

    @extend_schema(
        summary=gettext_lazy("Vérifier la chaîne et les soldes du grand livre, maintenant"),
        responses={200: LedgerCheckSerializer, **error_responses(403)},
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def verify(self, request):
        """Walks the chain from the first entry, recomputes each hash, then reconciles the
        balances (what `manage.py ledger_verify` does). Reads only."""
        check = ledger_verify()
        return Response(
            LedgerCheckSerializer(
                {"intact": check.intact, "entries": check.entries, "breaks": check.breaks}
            ).data
        )


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("Le registre des décisions"),
        responses={200: DecisionSerializer(many=True), **error_responses(403)},
    )
)
class DecisionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every decision of the platform: who, when, on which object, from which state to which,
    why, and its data (the flags acknowledged at an approval, say). Filter by object
    (`object_type`, `object_id`), person (`actor`), dates (`decided_from`, `decided_to`) and
    `action`. Newest first, by cursor. Auditors and Région staff."""

    permission = "subsidies.audit"
    serializer_class = DecisionSerializer
    pagination_class = NewestFirst
    filterset_class = audit.DecisionFilter

    def get_queryset(self):
        return audit.decisions()
