"""API of the subsidy chain: relays, programmes and their allocations, redistributions and
payments. The same rules as the pages: what a caller sees comes from the selectors (anything
else answers 404), what they may do from the rules (403), and every write is one service call
whose refusals answer 400 (bad input) or 409 (the state forbids it) with their `code`
(subsidies/errors.py) and a message a person can read in `detail` (tilab/api_errors.py)."""

from django.db.models import Count, Prefetch, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fablabs.models import Organisation, Relay
from makers.models import Maker
from tilab.pagination import CursorPagination
from tilab.permissions import PUBLIC, SIGNED_IN, DeclaredPermission
from tilab.schema import error_responses
from tilab.serializers import ModelSerializer

from . import bank, batches, errors, selectors, services
from . import recap as recap_of
from .filters import AllocationFilter, ProgrammeFilter, RedistributionFilter
from .models import ItemWeight, PaymentBatch
from .recap_serializers import ApprovalSerializer, RecapSerializer
from .serializers import (
    AllocationOutputSerializer,
    AllocationsAdjustSerializer,
    BankChangeCreateSerializer,
    BankChangeOutputSerializer,
    PaymentBatchCancelSerializer,
    PaymentBatchCreateSerializer,
    PaymentBatchDetailSerializer,
    PaymentBatchOutputSerializer,
    PaymentBatchRecordSerializer,
    PaymentOutputSerializer,
    ProgrammeAmendSerializer,
    ProgrammeOutputSerializer,
    ProgrammeTermsSerializer,
    RedistributionAdjustSerializer,
    RedistributionDetailSerializer,
    RedistributionOutputSerializer,
    RedistributionProposeSerializer,
)


class RelaySerializer(ModelSerializer):
    name = serializers.CharField(source="organisation.name", read_only=True)
    commune = serializers.CharField(source="organisation.commune", read_only=True)
    departments = serializers.SerializerMethodField()

    class Meta:
        model = Relay
        fields = ["id", "name", "commune", "departments"]

    def get_departments(self, relay) -> list[str]:
        return sorted(coverage.department_id for coverage in relay.coverage.all())


class RelayViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The relays and the departments each one covers. Public: coverage is public knowledge."""

    serializer_class = RelaySerializer
    permission = PUBLIC

    def get_queryset(self):
        return Relay.objects.select_related("organisation").prefetch_related("coverage")


# What the error answers mean here (tilab/schema.py); the exception handler gives them.
ERRORS_ABOUT = {
    400: gettext_lazy(
        "Données invalides : `detail` explique la règle enfreinte (l'écart au total, "
        "par exemple), ou chaque champ en cause est nommé."
    ),
    403: gettext_lazy(
        "Action non permise à votre rôle ; ou décision sur de l'argent public sans double "
        "authentification présentée récemment dans la session (two_factor_required), ou avec "
        "un jeton sans la portée « décisions financières » (token_scope_missing)."
    ),
    409: gettext_lazy("L'état l'empêche (déjà approuvée, déjà payée…)."),
}


def _errors(*statuses: int) -> dict:
    return error_responses(*statuses, about=ERRORS_ABOUT)


class MoneyPermission(DeclaredPermission):
    """The declared permissions. A money decision held back only by the second factor answers
    `two_factor_required` (or `token_scope_missing` for a token without "money"), as the core's
    DeclaredPermission says."""


class MoneyViewSet(viewsets.GenericViewSet):
    """Reads are scoped by the selectors; each write checks its declared rule once the object
    is found (`object_permissions_by_action`: 404 first, then 403), before reading the body."""

    permission_classes = [MoneyPermission]
    permission = SIGNED_IN
    lookup_value_regex = r"[0-9]+"

    def valid(self, serializer_class, **kwargs):
        serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer


class NewestFirstPagination(CursorPagination):
    # The primary key is unique and never changes: a stable cursor, newest entries first.
    ordering = "-pk"


# --- Programmes -----------------------------------------------------------------------------


def programmes_shown_to(user):
    """The programmes a caller sees (`selectors.programmes_seen_by`, as on the pages), with
    their item weights, in a constant number of queries."""
    return selectors.programmes_seen_by(user).prefetch_related(
        Prefetch(
            "weights",
            queryset=ItemWeight.objects.select_related("item_type").order_by("item_type__slug"),
        ),
    )


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Programmes visibles")),
    retrieve=extend_schema(
        summary=gettext_lazy("Un programme et ses allocations"),
        responses={200: ProgrammeOutputSerializer, **_errors(404)},
    ),
)
class ProgrammeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MoneyViewSet):
    """Subsidy programmes: an envelope of public money split into one allocation per relay.

    Région staff and auditors see every programme and allocation, relay staff the programmes
    their relay takes part in with their own allocation only, anyone else none (404).
    Région staff create a programme (the allocations are proposed from the validated figures
    of each relay's departments, or from fixed shares), adjust the allocations not yet
    approved with a motivation (the total stays the envelope), and amend an approved programme
    through a new, linked one. Auditors read everything and change nothing (403).
    Amounts are integer euro cents. Newest programmes first, by cursor.
    """

    serializer_class = ProgrammeOutputSerializer
    filterset_class = ProgrammeFilter
    pagination_class = NewestFirstPagination
    permissions_by_action = {"create": "subsidies.manage_programmes"}
    object_permissions_by_action = {
        "adjust": "subsidies.manage_programmes",
        "amend": "subsidies.manage_programmes",
    }

    def get_queryset(self):
        return programmes_shown_to(self.request.user)

    def _render(self, programme, *, status_code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=programme.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    @extend_schema(
        summary=gettext_lazy("Créer un programme et proposer ses allocations"),
        request=ProgrammeTermsSerializer,
        responses={201: ProgrammeOutputSerializer, **_errors(400, 403)},
    )
    def create(self, request, *args, **kwargs):
        serializer = self.valid(ProgrammeTermsSerializer)
        programme = services.programme_create(
            terms=serializer.terms(), by=request.user, now=timezone.now()
        )
        return self._render(programme, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Ajuster les allocations non approuvées, avec une motivation"),
        request=AllocationsAdjustSerializer,
        responses={200: ProgrammeOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        """The allocations left out keep their amount; the total must equal the envelope
        (otherwise 400 with the gap). An approved allocation never changes (409)."""
        programme = self.get_object()
        data = self.valid(AllocationsAdjustSerializer).validated_data
        services.allocations_adjust(
            programme=programme,
            amounts={row["allocation"]: row["amount_cents"] for row in data["amounts"]},
            motivation=data["motivation"],
            by=request.user,
            now=timezone.now(),
        )
        return self._render(programme)

    @extend_schema(
        summary=gettext_lazy("Modifier un programme approuvé par un programme rectificatif"),
        request=ProgrammeAmendSerializer,
        responses={201: ProgrammeOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        """A new programme linked to this one, granting the additional envelope in the terms,
        with its own allocations to approve. Only an approved programme is amended (409)."""
        programme = self.get_object()
        serializer = self.valid(ProgrammeAmendSerializer)
        amendment = services.programme_amend(
            programme=programme,
            terms=serializer.terms(),
            motivation=serializer.validated_data["motivation"],
            by=request.user,
            now=timezone.now(),
        )
        return self._render(amendment, status_code=status.HTTP_201_CREATED)


# --- Allocations ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Allocations visibles")),
    retrieve=extend_schema(
        summary=gettext_lazy("Une allocation"),
        responses={200: AllocationOutputSerializer, **_errors(404)},
    ),
)
class AllocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MoneyViewSet):
    """Allocations: one relay's part of a programme, with the figures it rests on.

    Région staff and auditors see every allocation, relay staff their relay's, anyone else
    none (404). Région staff approve an allocation (two-factor first where the deployment
    requires it): it is written to the decision log and the money ledger and never changes
    again. Newest first, by cursor.
    """

    serializer_class = AllocationOutputSerializer
    filterset_class = AllocationFilter
    pagination_class = NewestFirstPagination
    object_permissions_by_action = {
        "approve": "subsidies.approve_allocation",
        "recap": "subsidies.manage_programmes",
        "recompute": "subsidies.manage_programmes",
    }

    def get_queryset(self):
        return selectors.allocations_visible_to(self.request.user).select_related("redistribution")

    @extend_schema(
        summary=gettext_lazy("Le récapitulatif avant d'approuver une allocation"),
        responses={200: RecapSerializer, **_errors(403, 404)},
    )
    @action(detail=True, methods=["get"])
    def recap(self, request, pk=None):
        """The amount, the figures it rests on and their date (`computed_at`), what changed
        in the validated figures since (`changes`), the anomaly flags (`flags`), and the
        `fingerprint` of the amounts: what `approve` confirms."""
        allocation = self.get_object()
        return Response(
            RecapSerializer(recap_of.allocation_recap(allocation, now=timezone.now())).data
        )

    @extend_schema(
        summary=gettext_lazy("Approuver une allocation, en confirmant son récapitulatif"),
        request=ApprovalSerializer,
        responses={200: AllocationOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Confirm the recap read (`computed_at`, `fingerprint`; 400 without them), every flag
        (`acknowledged_flags`) and why (`motivation`). Figures recomputed or amounts changed
        since the recap (409), stale figures that can be recomputed (409) or a flag not
        acknowledged (400): nothing is approved."""
        allocation = self.get_object()
        confirmation = self.valid(ApprovalSerializer).confirmation()
        services.allocation_approve(
            allocation=allocation, by=request.user, now=timezone.now(), confirmation=confirmation
        )
        fresh = self.get_queryset().get(pk=allocation.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(
        summary=gettext_lazy("Recalculer la répartition du programme sur les chiffres du jour"),
        request=None,
        responses={200: RecapSerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        """Every allocation of the programme is proposed again from the validated figures now
        (adjustments undone); refused once one is approved (409). Answers the new recap."""
        allocation = self.get_object()
        services.allocations_recompute(
            programme=allocation.programme, by=request.user, now=timezone.now()
        )
        fresh = self.get_queryset().get(pk=allocation.pk)
        return Response(RecapSerializer(recap_of.allocation_recap(fresh, now=timezone.now())).data)


# --- Redistributions and payments -----------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Redistributions visibles")),
    retrieve=extend_schema(
        summary=gettext_lazy("Une redistribution et ses lignes"),
        responses={200: RedistributionDetailSerializer, **_errors(404)},
    ),
)
class RedistributionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MoneyViewSet):
    """Redistributions: how a relay passes its approved allocation on to the makers and
    organisations of its departments (pro rata to their validated contribution) and to its
    own grouped purchases.

    Région staff and auditors read every redistribution, relay staff their relay's, anyone
    else none (404). The relay's staff propose (again, while not approved), adjust with a
    motivation (the lines always add up to the allocation), approve and record payments (both
    two-factor first where required). Auditors and Région staff change nothing (403).
    Bank details never appear: `iban_known` only says whether they are on file.
    An id in a body that names an allocation the caller cannot see answers 404, like the URL
    would; a line or allocation id that does not belong to the object of the URL answers 400.
    Newest first, by cursor; the list gives line counts, the detail the lines.
    """

    filterset_class = RedistributionFilter
    pagination_class = NewestFirstPagination
    permissions_by_action = {"create": "subsidies.propose_redistribution"}
    object_permissions_by_action = {
        # On the allocation the body names, once found among the caller's.
        "create": "subsidies.manage_redistribution",
        "adjust": "subsidies.manage_redistribution",
        "approve": "subsidies.approve_redistribution",
        "settle_own_use": "subsidies.settle_own_use",
        "recap": "subsidies.manage_redistribution",
        "recompute": "subsidies.manage_redistribution",
    }

    def get_queryset(self):
        return selectors.redistributions_visible_to(self.request.user).annotate(
            line_count=Count("lines"),
            paid_count=Count("lines__payment"),
            paid_cents=Coalesce(Sum("lines__payment__amount_cents"), 0),
        )

    def get_serializer_class(self):
        if self.action == "list":
            return RedistributionOutputSerializer
        return RedistributionDetailSerializer

    def _render(self, redistribution, *, status_code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=redistribution.pk)
        lines = list(selectors.lines_of(fresh))
        context = {
            **self.get_serializer_context(),
            "lines": lines,
            "bank_accounts": selectors.bank_accounts_for(lines),
        }
        return Response(
            RedistributionDetailSerializer(fresh, context=context).data, status=status_code
        )

    def retrieve(self, request, *args, **kwargs):
        return self._render(self.get_object())

    @extend_schema(
        summary=gettext_lazy("Proposer (ou recalculer) la redistribution d'une allocation"),
        request=RedistributionProposeSerializer,
        responses={
            201: RedistributionDetailSerializer,
            200: OpenApiResponse(
                RedistributionDetailSerializer,
                description=gettext_lazy("Une redistribution déjà proposée, recalculée."),
            ),
            **_errors(400, 403, 404, 409),
        },
    )
    def create(self, request, *args, **kwargs):
        """The relay's own-use lines are served first, the rest is split among the payees of
        its departments. Proposing again while not approved recomputes every line (200)."""
        data = self.valid(RedistributionProposeSerializer).validated_data
        allocation = (
            selectors.allocations_visible_to(request.user).filter(pk=data["allocation"]).first()
        )
        if allocation is None:
            raise errors.ALLOCATION_NOT_FOUND(id=data["allocation"])
        self.check_object_permissions(request, allocation)
        existed = hasattr(allocation, "redistribution")
        redistribution = services.redistribution_propose(
            allocation=allocation,
            own_use=[(row["purpose"], row["amount_cents"]) for row in data["own_use"]],
            by=request.user,
            now=timezone.now(),
        )
        return self._render(
            redistribution, status_code=status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        )

    @extend_schema(
        summary=gettext_lazy("Ajuster les lignes, avec une motivation"),
        request=RedistributionAdjustSerializer,
        responses={200: RedistributionDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        """Lines left out keep their amount; the total must equal the allocation (otherwise
        400 with the gap). An approved redistribution never changes (409)."""
        redistribution = self.get_object()
        data = self.valid(RedistributionAdjustSerializer).validated_data
        services.redistribution_adjust(
            redistribution=redistribution,
            amounts={row["line"]: row["amount_cents"] for row in data["amounts"]},
            add_own_use=[(row["purpose"], row["amount_cents"]) for row in data["add_own_use"]],
            motivation=data["motivation"],
            by=request.user,
            now=timezone.now(),
        )
        return self._render(redistribution)

    @extend_schema(
        summary=gettext_lazy("Le récapitulatif avant d'approuver une redistribution"),
        responses={200: RecapSerializer, **_errors(403, 404)},
    )
    @action(detail=True, methods=["get"])
    def recap(self, request, pk=None):
        """The lines and their payees, the contributions they rest on and their date
        (`computed_at`), what changed in the validated figures since (`changes`), the anomaly
        flags (`flags`), and the `fingerprint` of the amounts: what `approve` confirms."""
        redistribution = self.get_object()
        return Response(
            RecapSerializer(recap_of.redistribution_recap(redistribution, now=timezone.now())).data
        )

    @extend_schema(
        summary=gettext_lazy("Approuver une redistribution, en confirmant son récapitulatif"),
        request=ApprovalSerializer,
        responses={200: RedistributionDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """As for an allocation: the recap read is confirmed (`computed_at`, `fingerprint`),
        stale figures are recomputed first (409 `approval_figures_stale`), every flag is
        acknowledged with a motivation (400)."""
        redistribution = self.get_object()
        confirmation = self.valid(ApprovalSerializer).confirmation()
        services.redistribution_approve(
            redistribution=redistribution,
            by=request.user,
            now=timezone.now(),
            confirmation=confirmation,
        )
        return self._render(redistribution)

    @extend_schema(
        summary=gettext_lazy("Recalculer la redistribution sur les chiffres du jour"),
        request=None,
        responses={200: RecapSerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        """The payees' lines are computed again from the validated figures now (adjustments
        undone), the relay's own-use lines kept. Answers the new recap."""
        redistribution = self.get_object()
        services.redistribution_recompute(
            redistribution=redistribution, by=request.user, now=timezone.now()
        )
        fresh = self.get_queryset().get(pk=redistribution.pk)
        return Response(
            RecapSerializer(recap_of.redistribution_recap(fresh, now=timezone.now())).data
        )

    @extend_schema(
        summary=gettext_lazy("Solder les lignes du relais comme sa propre dépense"),
        request=None,
        responses={201: PaymentOutputSerializer(many=True), **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="settle-own-use")
    def settle_own_use(self, request, pk=None):
        """The relay's own-use lines (and any line whose payee is the relay's own
        organisation) are recorded as its own spending: never a transfer from its IBAN to
        itself. Payments to payees go through payment batches (`/api/v1/payment-batches/`)."""
        redistribution = self.get_object()
        payments = batches.own_use_settle(
            redistribution=redistribution, by=request.user, now=timezone.now()
        )
        return Response(
            PaymentOutputSerializer(payments, many=True).data, status=status.HTTP_201_CREATED
        )


# --- Payment batches ------------------------------------------------------------------------

NO_STORE = "no-store"  # answers that name bank details are never kept by a cache


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Lots de virements visibles")),
    retrieve=extend_schema(
        summary=gettext_lazy("Un lot de virements et ses lignes"),
        responses={200: PaymentBatchDetailSerializer, **_errors(404)},
    ),
)
class PaymentBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MoneyViewSet):
    """Payment batches: each transfer file (SEPA pain.001 or CSV) a relay makes is a recorded
    batch with a unique message id, its lines and the bank details of each frozen when it was
    made, and the exact file (every download gives the same bytes). A line is in one open
    batch at most: making a batch over lines already in an open one answers 409
    `transfers_already_in_batch`. Only bank details confirmed (or past their waiting period)
    go in; own-use lines never do.

    Relay staff make batches of their relay's approved redistributions, download their file,
    record what the bank paid (the lines it rejected are freed for a later batch) or cancel
    a batch with a reason (its lines are freed); each is a money decision (second factor).
    Région staff and auditors read every batch and change nothing (403); anyone else sees
    none (404). IBANs appear only in the file; elsewhere their last four characters.
    Newest first, by cursor.
    """

    filterset_class = None
    pagination_class = NewestFirstPagination
    permissions_by_action = {"create": "subsidies.propose_redistribution"}
    object_permissions_by_action = {
        "create": "subsidies.create_payment_batch",
        "file": "subsidies.download_payment_batch",
        "record": "subsidies.record_payment",
        "cancel": "subsidies.cancel_payment_batch",
    }

    def perform_content_negotiation(self, request, force=False):
        # The file is no rendering of data: a bank's program asking for application/xml or
        # text/csv gets it, and a refusal in JSON, rather than 406 for want of a renderer.
        return super().perform_content_negotiation(request, force=force or self.action == "file")

    def get_queryset(self):
        return selectors.payment_batches_visible_to(self.request.user)

    def get_serializer_class(self):
        if self.action == "list":
            return PaymentBatchOutputSerializer
        return PaymentBatchDetailSerializer

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = NO_STORE
        return response

    def _render(self, batch, *, status_code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=batch.pk)
        return Response(PaymentBatchDetailSerializer(fresh).data, status=status_code)

    @extend_schema(
        summary=gettext_lazy("Créer un lot de virements (et son fichier)"),
        request=PaymentBatchCreateSerializer,
        responses={201: PaymentBatchDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    def create(self, request, *args, **kwargs):
        """The lines payable now of the redistribution go into the batch; the answer names
        them. Several creations at once over the same lines make one batch; the others
        answer 409 naming it."""
        data = self.valid(PaymentBatchCreateSerializer).validated_data
        redistribution = (
            selectors.redistributions_visible_to(request.user)
            .filter(pk=data["redistribution"])
            .first()
        )
        if redistribution is None:
            raise errors.REDISTRIBUTION_NOT_FOUND(id=data["redistribution"])
        self.check_object_permissions(request, redistribution)
        batch = batches.payment_batch_create(
            redistribution=redistribution,
            format=data["format"],
            execution_on=data.get("execution_on"),
            by=request.user,
            now=timezone.now(),
        )
        return self._render(batch, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Le fichier du lot, octet pour octet"),
        responses={
            (200, "application/xml"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            **_errors(403, 404),
        },
    )
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        """The file as made: the same bytes on every download. It holds every payee's IBAN:
        the paying relay's staff only."""
        batch = self.get_object()
        content = PaymentBatch.objects.values_list("content", flat=True).get(pk=batch.pk)
        content_type = (
            "application/xml"
            if batch.format == PaymentBatch.Format.SEPA
            else "text/csv; charset=utf-8"
        )
        response = HttpResponse(bytes(content), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{batch.filename}"'
        response["Cache-Control"] = NO_STORE
        return response

    @extend_schema(
        summary=gettext_lazy("Enregistrer les paiements du lot (et les rejets de la banque)"),
        request=PaymentBatchRecordSerializer,
        responses={200: PaymentBatchDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        """Every line is paid on `paid_on`, except those in `rejected` (redistribution line
        ids), which are freed for a later batch; all or nothing. A batch recorded or
        cancelled answers 409."""
        batch = self.get_object()
        data = self.valid(PaymentBatchRecordSerializer).validated_data
        batches.payment_batch_record(
            batch=batch,
            paid_on=data["paid_on"],
            reference=data.get("reference", ""),
            rejected=data.get("rejected", []),
            by=request.user,
            now=timezone.now(),
        )
        return self._render(batch)

    @extend_schema(
        summary=gettext_lazy("Annuler le lot, avec un motif"),
        request=PaymentBatchCancelSerializer,
        responses={200: PaymentBatchDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Its lines are freed for a later batch; the batch and its file stay, with the reason."""
        batch = self.get_object()
        data = self.valid(PaymentBatchCancelSerializer).validated_data
        batches.payment_batch_cancel(
            batch=batch, reason=data["reason"], by=request.user, now=timezone.now()
        )
        return self._render(batch)


# --- Bank changes ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Changements de coordonnées bancaires visibles")),
    retrieve=extend_schema(
        summary=gettext_lazy("Un changement de coordonnées bancaires"),
        responses={200: BankChangeOutputSerializer, **_errors(404)},
    ),
)
class BankChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MoneyViewSet):
    """The history of bank details changes: who changed a payee's bank details, when, the last
    four characters of the old and new IBAN, when they may go into transfer files, who
    confirmed them. Région staff and auditors read every change, relay staff those of the
    payees their relay covers, a payee their own.

    A change is held out of transfer files until a second person confirms it (`confirm`:
    another staffer of the relay, or the Région; the relay's own paying account, the Région
    only) or its waiting period passes. Whoever made a change cannot confirm it (403
    `bank_change_own`). Newest first, by cursor.
    """

    serializer_class = BankChangeOutputSerializer
    pagination_class = NewestFirstPagination
    object_permissions_by_action = {"confirm": "tilab.signed_in"}

    @extend_schema(
        summary=gettext_lazy("Changer les coordonnées bancaires d'un bénéficiaire"),
        request=BankChangeCreateSerializer,
        responses={201: BankChangeOutputSerializer, **_errors(400, 403, 404)},
    )
    def create(self, request, *args, **kwargs):
        """The payee themself or the staff of the relay covering them; anybody else 404. The
        payee and the relay are e-mailed at once; the new details are held out of transfer
        files until confirmed or until the waiting period passes (`usable_from`)."""
        data = self.valid(BankChangeCreateSerializer).validated_data
        model = Maker if data["payee_kind"] == "maker" else Organisation
        owner = model.objects.filter(pk=data["payee_id"]).first()
        if owner is None or not services.may_change_bank_account(request.user, owner):
            raise errors.PAYEE_NOT_FOUND(id=data["payee_id"])
        account = services.bank_account_set(
            owner=owner,
            holder=data["holder"],
            iban=data["iban"],
            bic=data.get("bic", ""),
            by=request.user,
            now=timezone.now(),
        )
        change = self.get_queryset().filter(account=account).order_by("-pk").first()
        return Response(self.get_serializer(change).data, status=status.HTTP_201_CREATED)

    def get_queryset(self):
        return selectors.bank_changes_visible_to(self.request.user)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = NO_STORE
        return response

    @extend_schema(
        summary=gettext_lazy("Confirmer un changement de coordonnées bancaires"),
        request=None,
        responses={200: BankChangeOutputSerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The rules (who, second factor) are the service's, so that each refusal says who
        may confirm instead."""
        change = self.get_object()
        bank.bank_change_confirm(change=change, by=request.user, now=timezone.now())
        return Response(self.get_serializer(self.get_queryset().get(pk=change.pk)).data)
