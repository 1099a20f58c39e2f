"""API of cooperation pacts: the public register (list by cursor, filters, each pact), and a
party's representative signing the proposed text (the page's recap is `confirm`).

The same rules as the pages: signing is the service's (`pact_sign`), a party somebody else
represents answers 404, refusals answer with their `code` (pacts/errors.py)."""

from django.contrib.auth import get_user_model
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
from .models import Commitment, Pact, Party
from .serializers import (
    AmendmentTextSerializer,
    CommitmentCreateSerializer,
    MotivationSerializer,
    PactCreateSerializer,
    PactSerializer,
    PartyCreateSerializer,
    RemoveSerializer,
    ReportCreateSerializer,
    SignedSerializer,
    SignSerializer,
    WorkPactSerializer,
)


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


def _refused_unless(found, code):
    if found is None:
        raise code()
    return found


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Mes pactes : rédigés, ou dont je signe une partie")),
    retrieve=extend_schema(
        summary=gettext_lazy("Un de mes pactes, brouillons compris"),
        responses={200: WorkPactSerializer, **error_responses(404)},
    ),
)
class MyPactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The work on pacts, as on the pages: the pacts one drafted or represents a party of
    (every pact for facilitators, the Région and the auditor), drafts included; another
    person's pact answers 404.

    Drafting (`create`) is for facilitators, Région staff and organisation managers; the text,
    parties and commitments of a draft, proposing, amending and renewing for the pact's
    stewards (who drafted it, facilitators, Région); activating, reporting and ending for its
    parties and facilitators. Signing is `/api/v1/pact-parties/{id}/sign/`."""

    serializer_class = WorkPactSerializer
    pagination_class = CursorPagination
    permission = SIGNED_IN
    permissions_by_action = {"create": "pacts.create"}
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Pact.objects.none()
        return selectors.pacts_of(self.request.user).order_by("pk")

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _render(self, pact, status_code=200):
        fresh = selectors.pact_for(self.request.user, pact.pk)
        return Response(WorkPactSerializer(fresh, context={"request": self.request}).data,
                        status=status_code)  # fmt: skip

    def _draft(self, pact):
        return _refused_unless(selectors.open_version(pact), errors.PACT_NOT_EDITABLE)

    @extend_schema(
        summary=gettext_lazy("Rédiger un pacte (brouillon)"),
        request=PactCreateSerializer,
        responses={201: WorkPactSerializer, **error_responses(400, 403)},
    )
    def create(self, request):
        data = self._input(PactCreateSerializer)
        department = data.pop("department")
        pact = services.pact_create(
            **data, department_id=department.pk if department else None,
            by=request.user, now=timezone.now(),
        )  # fmt: skip
        return self._render(pact, status_code=201)

    @extend_schema(
        summary=gettext_lazy("Réécrire le texte du brouillon"),
        request=AmendmentTextSerializer,
        responses={200: WorkPactSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def text(self, request, pk=None):
        pact = self.get_object()
        services.pact_version_update(
            version=self._draft(pact), **self._input(AmendmentTextSerializer),
            by=request.user, now=timezone.now(),
        )  # fmt: skip
        return self._render(pact)

    @extend_schema(
        summary=gettext_lazy("Ajouter une partie au brouillon"),
        request=PartyCreateSerializer,
        responses={200: WorkPactSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def parties(self, request, pk=None):
        pact = self.get_object()
        data = self._input(PartyCreateSerializer)
        representative = (
            get_user_model()
            .objects.filter(email__iexact=data.pop("representative"), is_active=True)
            .first()
        )
        services.party_add(
            version=self._draft(pact),
            representative=_refused_unless(representative, errors.PARTY_REPRESENTATIVE_UNKNOWN),
            **data, by=request.user, now=timezone.now(),
        )  # fmt: skip
        return self._render(pact)

    @extend_schema(
        summary=gettext_lazy("Retirer une partie du brouillon"),
        request=RemoveSerializer,
        responses={200: WorkPactSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="remove-party")
    def remove_party(self, request, pk=None):
        pact = self.get_object()
        party = self._draft(pact).parties.filter(pk=self._input(RemoveSerializer)["id"]).first()
        services.party_remove(
            party=_refused_unless(party, errors.PARTY_NOT_FOUND), by=request.user,
            now=timezone.now(),
        )  # fmt: skip
        return self._render(pact)

    @extend_schema(
        summary=gettext_lazy("Ajouter un engagement d'une partie"),
        request=CommitmentCreateSerializer,
        responses={200: WorkPactSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def commitments(self, request, pk=None):
        pact = self.get_object()
        data = self._input(CommitmentCreateSerializer)
        party = self._draft(pact).parties.filter(pk=data.pop("party")).first()
        services.commitment_add(
            party=_refused_unless(party, errors.PARTY_NOT_FOUND), **data, by=request.user,
            now=timezone.now(),
        )  # fmt: skip
        return self._render(pact)

    @extend_schema(
        summary=gettext_lazy("Retirer un engagement du brouillon"),
        request=RemoveSerializer,
        responses={200: WorkPactSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="remove-commitment")
    def remove_commitment(self, request, pk=None):
        pact = self.get_object()
        commitment = Commitment.objects.filter(
            party__version=self._draft(pact), pk=self._input(RemoveSerializer)["id"]
        ).first()
        services.commitment_remove(
            commitment=_refused_unless(commitment, errors.COMMITMENT_NOT_FOUND),
            by=request.user, now=timezone.now(),
        )  # fmt: skip
        return self._render(pact)

    @extend_schema(
        summary=gettext_lazy("Proposer le brouillon à la signature"),
        request=None,
        responses={200: WorkPactSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def propose(self, request, pk=None):
        pact = self.get_object()
        services.pact_propose(version=self._draft(pact), by=request.user, now=timezone.now())
        return self._render(pact)

    @extend_schema(
        summary=gettext_lazy("Démarrer un pacte signé"),
        request=None,
        responses={200: WorkPactSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        pact = self.get_object()
        services.pact_activate(pact=pact, by=request.user, now=timezone.now())
        return self._render(pact)

    @extend_schema(
        summary=gettext_lazy("Remettre un rapport"),
        request=ReportCreateSerializer,
        responses={201: WorkPactSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def reports(self, request, pk=None):
        pact = self.get_object()
        data = self._input(ReportCreateSerializer)
        services.pact_report_submit(
            pact=pact, summary=data["summary"],
            figures=[(f["label"], f["value"], f["unit"]) for f in data["figures"]],
            by=request.user, now=timezone.now(),
        )  # fmt: skip
        return self._render(pact, status_code=201)

    @extend_schema(
        summary=gettext_lazy("Terminer un pacte"),
        request=MotivationSerializer,
        responses={200: WorkPactSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        pact = self.get_object()
        services.pact_end(
            pact=pact, motivation=self._input(MotivationSerializer)["motivation"],
            by=request.user, now=timezone.now(),
        )  # fmt: skip
        return self._render(pact)

    @extend_schema(
        summary=gettext_lazy("Ouvrir un avenant (nouvelle version à signer)"),
        request=None,
        responses={200: WorkPactSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        pact = self.get_object()
        services.pact_amend(pact=pact, by=request.user, now=timezone.now())
        return self._render(pact)

    @extend_schema(
        summary=gettext_lazy("Renouveler un pacte (nouveau pacte en brouillon)"),
        request=None,
        responses={201: WorkPactSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        pact = self.get_object()
        renewal = services.pact_renew(pact=pact, by=request.user, now=timezone.now())
        return self._render(renewal, status_code=201)
