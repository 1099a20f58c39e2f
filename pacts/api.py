"""API of cooperation pacts: the public register (list by cursor, filters, each pact), and a
party's representative signing the proposed text (the page's recap is `confirm`).

The same rules as the pages: signing is the service's (`pact_sign`), a party somebody else
represents answers 404, refusals answer with their `code` (pacts/errors.py)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tilab.pagination import CursorPagination
from tilab.permissions import PUBLIC, SIGNED_IN
from tilab.schema import error_responses

from . import errors, selectors, services
from .filters import PactFilter
from .models import Pact, Party
from .serializers import PactSerializer, SignedSerializer, SignSerializer


class NewestSignedFirst(CursorPagination):
    ordering = ("-signed_at", "-pk")


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Le registre des pactes de coopération signés")),
    retrieve=extend_schema(
        summary=gettext_lazy("Un pacte signé"),
        responses={200: PactSerializer, **error_responses(404)},
    ),
)
class PactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cooperation pacts signed between public bodies and commons actors: the text in force,
    the parties and what each commits (money in cents), signature dates, and the reports.

    Everyone lists the register, newest signature first, by cursor, filtered by `q`,
    `department`, `party_kind` and `theme`, and reads a signed pact."""

    serializer_class = PactSerializer
    filterset_class = PactFilter
    pagination_class = NewestSignedFirst
    permission = PUBLIC
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Pact.objects.none()
        return selectors.register()


class PartyViewSet(viewsets.GenericViewSet):
    """Parties of pacts. Their representative signs the proposed text (`sign`)."""

    permission = SIGNED_IN
    queryset = Party.objects.none()
    serializer_class = SignSerializer
    lookup_value_regex = r"[0-9]+"

    @extend_schema(
        summary=gettext_lazy("Signer un pacte au nom d'une partie"),
        request=SignSerializer,
        responses={200: SignedSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """The representative of this party only, logged in or with a "write" token (a text
        committing money: the second factor, or a "money" token). `confirm` must be true.
        Another person's party answers 404; signing twice 409."""
        party = selectors.party_to_sign(request.user, pk)
        if party is None:
            raise errors.PARTY_NOT_FOUND()
        serializer = SignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        signature = services.pact_sign(
            party=party,
            confirmed=serializer.validated_data["confirm"],
            by=request.user,
            now=timezone.now(),
        )
        party.version.refresh_from_db()
        return Response(
            SignedSerializer(
                {
                    "party": party.pk,
                    "signed_at": signature.signed_at,
                    "version_status": party.version.status,
                }
            ).data
        )
