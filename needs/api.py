"""API of needs, pledges and deliveries: the board of open needs, posting a need (with or
without an account), moderation, one's own pledges and deliveries, the message threads of
both sides, and what the establishment does through its signed links (confirm a delivery,
read and write its threads).

The same rules as the pages. What a caller sees is derived from who they are (anything else
answers 404), what they may do from the rules (403), and every write is one service call
whose refusals answer 400 (bad input) or 409 (the state forbids it) with their `code`
(needs/errors.py) and a message a person can read in `detail` (tilab/api_errors.py). A need's
contact never appears in a response.
"""

from functools import cached_property

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tilab.pagination import CursorPagination
from tilab.permissions import PUBLIC, SIGNED_IN
from tilab.schema import error_responses
from tilab.throttling import AccountThrottle, AddressThrottle
from tilab.throttling import GuestThrottle as GuestRateThrottle

from . import errors, selectors, services
from .filters import NeedFilter, PledgeFilter
from .models import Delivery, Need, Pledge
from .serializers import (
    DeliveryConfirmedSerializer,
    DeliveryConfirmSerializer,
    DeliveryCreateSerializer,
    DeliveryOutputSerializer,
    DeliveryRecordedSerializer,
    EstablishmentMessageCreateSerializer,
    EstablishmentThreadsSerializer,
    NeedCheckSerializer,
    NeedContactChangeSerializer,
    NeedCreateSerializer,
    NeedMessageCreateSerializer,
    NeedMessageOutputSerializer,
    NeedOutputSerializer,
    NeedRemoveSerializer,
    PledgeCreateSerializer,
    PledgeOutputSerializer,
)

# What the error answers mean here (tilab/schema.py); the exception handler gives them.
ERRORS_ABOUT = {
    409: gettext_lazy(
        "L'état l'empêche (besoin clos, promesse retirée, production insuffisante…)."
    ),
    429: gettext_lazy("Trop de demandes sans compte depuis cette adresse."),
}


def _errors(*statuses: int) -> dict:
    return error_responses(*statuses, about=ERRORS_ABOUT)


class EstablishmentThrottle(GuestRateThrottle):
    """Posting a need without an account sends an e-mail to any address typed in, and a
    confirmation token is worth guessing: a bounded pace per IP address for those without
    an account."""

    scope = "needs_establishment"


class NeededByPagination(CursorPagination):
    # Soonest date first; the primary key breaks ties.
    ordering = ("needed_by", "pk")


class NewestFirstPagination(CursorPagination):
    ordering = "-pk"


class ThreadPagination(CursorPagination):
    ordering = selectors.THREAD_ORDER


CURSOR = OpenApiParameter("cursor", OpenApiTypes.STR, description=gettext_lazy("Page."))
PAGE_SIZE = OpenApiParameter("page_size", OpenApiTypes.INT)


# --- Shared by the endpoints (the reads are the pages' own: selectors.py) --------------------


class NowMixin:
    @cached_property
    def now(self):
        return timezone.now()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": self.now}

    def valid(self, serializer_class, **kwargs):
        serializer = serializer_class(
            data=self.request.data, context=self.get_serializer_context(), **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# --- Needs ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Le tableau des besoins ouverts")),
    retrieve=extend_schema(
        summary=gettext_lazy("Un besoin publié"),
        responses={200: NeedOutputSerializer, **_errors(404)},
    ),
)
class NeedViewSet(
    NowMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """What care establishments lack (EHPAD, hospitals, pharmacies…), and what the network
    already pledged and the establishment received.

    Everyone, without an account too, lists the open needs, soonest date first, by cursor,
    filtered by `department` and `item_type`; and reads a published need (open, fulfilled or
    expired). Facilitators and relay staff follow the network: `status` lists the needs in
    that state (unconfirmed, withdrawn and removed ones included).

    Anyone posts a need for an establishment: with an account and one's own verified address
    as contact it is published at once; otherwise the contact receives a link to confirm it
    first (`status` `unconfirmed`). The contact's name and address are never shown.

    Facilitators, and relay staff for the departments they cover, take a need down with a
    reason (`remove`), and `check` that its establishment and contact are real: until then,
    deliveries to it corroborate no production report.
    """

    serializer_class = NeedOutputSerializer
    filterset_class = NeedFilter
    pagination_class = NeededByPagination
    # Anyone reads the board and posts a need; taking one down is for the network's
    # follow-up (which needs, in which departments: the service asks "needs.moderate").
    permission = SIGNED_IN
    permissions_by_action = {
        "list": PUBLIC,
        "retrieve": PUBLIC,
        "create": PUBLIC,
        "remove": "needs.view_follow_up",
        "check": "needs.view_follow_up",
    }
    lookup_value_regex = r"[0-9]+"

    def get_throttles(self):
        if self.action == "create":
            # As the page counts them: per account (or address without one), and per address.
            return [
                *super().get_throttles(),
                AccountThrottle("needs_post"),
                AddressThrottle("needs_post_address"),
            ]
        return super().get_throttles()

    def _follows_up(self) -> bool:
        return self.request.user.has_perm("needs.view_follow_up")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Need.objects.none()
        # Published needs are everyone's; the others (unconfirmed, withdrawn, removed) only
        # the follow-up's, as on its page: facilitators everywhere, relay staff in the
        # departments they cover. Any other answers 404.
        visible = Q(status__in=selectors.PUBLIC_STATUSES)
        if self._follows_up():
            visible |= Q(pk__in=selectors.follow_up_needs_of(self.request.user).values("pk"))
        needs = Need.objects.filter(visible)
        # The board shows open needs; the network's follow-up may ask for another state.
        asks_state = self._follows_up() and self.request.query_params.get("status")
        if self.action == "list" and not asks_state:
            needs = needs.filter(status=Need.Status.OPEN)
        needs = needs.select_related("establishment", "item_type", "department")
        return selectors.with_progress(needs).order_by("needed_by", "pk")

    def _render(self, need, *, status_code=status.HTTP_200_OK) -> Response:
        fresh = selectors.with_progress(
            Need.objects.select_related("establishment", "item_type", "department")
        ).get(pk=need.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    @extend_schema(
        summary=gettext_lazy("Déposer un besoin, avec ou sans compte"),
        request=NeedCreateSerializer,
        responses={201: NeedOutputSerializer, **_errors(400, 429)},
    )
    def create(self, request, *args, **kwargs):
        """The establishment is found by its name, commune and department, or created. The
        answer's `status` says whether the need is published (`open`) or waits for its
        contact to confirm it (`unconfirmed`)."""
        data = self.valid(NeedCreateSerializer)
        need = services.need_submit(
            establishment_name=data["establishment_name"],
            care_type=data["care_type"],
            department_id=data["department"].pk,
            commune=data["commune"],
            item_type=data["item_type"],
            quantity=data["quantity"],
            needed_by=data["needed_by"],
            contact_name=data["contact_name"],
            contact_email=data["contact_email"],
            delivery_constraints=data["delivery_constraints"],
            by=request.user,
            now=self.now,
        )
        return self._render(need, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Retirer un besoin (modération)"),
        request=NeedRemoveSerializer,
        responses={200: NeedOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def remove(self, request, pk=None):
        """Facilitators; relay staff for the departments they cover (others: 403). The
        decision is recorded with its reason. Removing twice answers 409."""
        need = self.get_object()
        data = self.valid(NeedRemoveSerializer)
        need = services.need_remove(need=need, reason=data["reason"], by=request.user, now=self.now)
        return self._render(need)

    @extend_schema(
        summary=gettext_lazy("Vérifier un besoin (établissement et contact réels)"),
        request=NeedCheckSerializer,
        responses={200: NeedOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        """Facilitators; relay staff for the departments they cover (others: 403), never the
        person who posted the need or is its contact (403 `need_check_by_its_author`). Only
        a checked need's confirmed deliveries corroborate production reports; those confirmed
        before the check are looked at again. The decision is recorded with the `note`.
        Checking twice, or a need not published or removed, answers 409."""
        need = self.get_object()
        data = self.valid(NeedCheckSerializer)
        need = services.need_check(need=need, note=data["note"], by=request.user, now=self.now)
        return self._render(need)

    @extend_schema(
        summary=gettext_lazy("Corriger l'adresse de contact d'un besoin"),
        request=NeedContactChangeSerializer,
        responses={200: NeedOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def contact(self, request, pk=None):
        """Facilitators; relay staff for the departments they cover (others: 403). The links
        sent to the old address stop opening and the new address is e-mailed its own (the
        confirmation link while the need waits for it, else the management link). The
        decision is recorded without either address. A removed need answers 409; the same
        address again changes nothing."""
        need = self.get_object()
        data = self.valid(NeedContactChangeSerializer)
        need = services.need_contact_change(
            need=need, email=data["email"], by=request.user, now=self.now
        )
        return self._render(need)


# --- Pledges ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Vos promesses")),
    retrieve=extend_schema(
        summary=gettext_lazy("Une de vos promesses"),
        responses={200: PledgeOutputSerializer, **_errors(404)},
    ),
)
class PledgeViewSet(
    NowMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Your pledges: made in your name (as a maker) or for an organisation you belong to,
    newest first, by cursor, with what your deliveries say and what the establishment
    confirmed. Anyone else's pledge answers 404.

    Makers pledge part of an open need, once per producer and need (withdraw to change it);
    a closed need or a second pledge answers 409. A pledge without any delivery can be
    withdrawn. `messages` reads the thread with the establishment and writes to it, relayed
    by e-mail: neither side sees the other's address.
    """

    serializer_class = PledgeOutputSerializer
    filterset_class = PledgeFilter
    pagination_class = NewestFirstPagination
    lookup_value_regex = r"[0-9]+"
    # One's own pledges (anyone else's answers 404); who may pledge for whom, the service.
    permission = SIGNED_IN

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Pledge.objects.none()
        return selectors.pledges_with_delivered(
            selectors.pledges_of_user(self.request.user)
        ).order_by("-pk")

    def _render(self, pledge, *, status_code=status.HTTP_200_OK) -> Response:
        fresh = selectors.pledges_with_delivered(Pledge.objects.all()).get(pk=pledge.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    @extend_schema(
        summary=gettext_lazy("Promettre une partie d'un besoin"),
        request=PledgeCreateSerializer,
        responses={201: PledgeOutputSerializer, **_errors(400, 403, 409)},
    )
    def create(self, request, *args, **kwargs):
        """In your name (you need a maker profile), or with `organisation` for one you belong
        to (403 otherwise)."""
        data = self.valid(PledgeCreateSerializer)
        producer = {"organisation": data["organisation"]}
        if data["organisation"] is None:
            maker = getattr(request.user, "maker", None)
            if maker is None:
                raise errors.MAKER_PROFILE_REQUIRED()
            producer = {"maker": maker}
        pledge = services.pledge_create(
            need=data["need"],
            quantity=data["quantity"],
            message=data["message"],
            by=request.user,
            now=self.now,
            **producer,
        )
        return self._render(pledge, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Retirer une de vos promesses"),
        request=None,
        responses={200: PledgeOutputSerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Not once a delivery is recorded, nor twice (409)."""
        pledge = services.pledge_withdraw(pledge=self.get_object(), by=request.user, now=self.now)
        return self._render(pledge)

    @extend_schema(
        methods=["GET"],
        summary=gettext_lazy("Les messages échangés avec l'établissement"),
        parameters=[CURSOR, PAGE_SIZE],
        request=None,
        responses={200: NeedMessageOutputSerializer(many=True), **_errors(404)},
    )
    @extend_schema(
        methods=["POST"],
        summary=gettext_lazy("Écrire à l'établissement"),
        request=NeedMessageCreateSerializer,
        responses={201: NeedMessageOutputSerializer, **_errors(400, 403, 404)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filterset_class=None,
        pagination_class=ThreadPagination,
    )
    def messages(self, request, pk=None):
        """GET: the thread of one of your pledges with the establishment, oldest first, by
        cursor. POST: a message, relayed by e-mail to the establishment's contact, without
        your address."""
        pledge = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.pledge_thread(pledge))
            return self.get_paginated_response(NeedMessageOutputSerializer(page, many=True).data)
        data = self.valid(NeedMessageCreateSerializer)
        message = services.need_message_send(
            pledge=pledge,
            body=data["body"],
            from_establishment=False,
            by=request.user,
            now=self.now,
        )
        return Response(NeedMessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)


# --- The establishment's threads, through its link ------------------------------------------


@extend_schema_view(
    retrieve=extend_schema(
        summary=gettext_lazy("Les fils de messages d'un besoin (établissement, par son lien)"),
        responses={200: EstablishmentThreadsSerializer, **_errors(400, 409)},
    )
)
class NeedThreadViewSet(NowMixin, viewsets.GenericViewSet):
    """What the establishment's own page of its need shows of its messages, for a program:
    one thread per active pledge (the producer named only if they chose to be), oldest
    message first, and writing to a producer, relayed by e-mail without either address. The
    `token` is the one of the need's management link e-mailed to its contact (the end of the
    page's address): no account. A forged or altered token answers 400 `link_invalid`, one
    past its time 409 `link_expired`."""

    permission = PUBLIC
    lookup_field = "token"
    # A signed link: base64url and colons.
    lookup_value_regex = r"[A-Za-z0-9_:\-]{1,500}"
    pagination_class = None
    filterset_class = None
    serializer_class = EstablishmentThreadsSerializer

    def get_throttles(self):
        if self.action == "messages":
            # Each message e-mails a producer: the pace of the establishment's other writes.
            return [*super().get_throttles(), EstablishmentThrottle()]
        return super().get_throttles()

    def finalize_response(self, request, response, *args, **kwargs):
        # The address is a secret, as the page's: kept out of caches.
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store, private"
        return response

    def _need(self):
        return services.need_from_manage_token(self.kwargs["token"], now=self.now)

    def retrieve(self, request, token=None):
        need = self._need()
        pledges = selectors.pledges_named(selectors.need_pledges(need))
        need = selectors.with_progress(
            Need.objects.select_related("establishment", "item_type", "department")
        ).get(pk=need.pk)
        return Response(
            EstablishmentThreadsSerializer(
                {"need": need, "threads": pledges}, context=self.get_serializer_context()
            ).data
        )

    @extend_schema(
        summary=gettext_lazy("Écrire à un producteur (établissement, par son lien)"),
        request=EstablishmentMessageCreateSerializer,
        responses={201: NeedMessageOutputSerializer, **_errors(400, 409, 429)},
    )
    @action(detail=True, methods=["post"])
    def messages(self, request, token=None):
        """To the producer of one of the need's active pledges (`pledge`); any other pledge
        answers 400 naming `pledge`."""
        need = self._need()
        data = self.valid(
            EstablishmentMessageCreateSerializer, pledges=selectors.need_active_pledges(need)
        )
        message = services.need_message_send(
            pledge=data["pledge"], body=data["body"], from_establishment=True, now=self.now
        )
        return Response(NeedMessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)


# --- Deliveries -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Vos livraisons")),
    retrieve=extend_schema(
        summary=gettext_lazy("Une de vos livraisons"),
        responses={200: DeliveryOutputSerializer, **_errors(404)},
    ),
)
class DeliveryViewSet(
    NowMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Deliveries against your pledges, newest first, by cursor, with what the establishment
    confirmed. Anyone else's delivery answers 404.

    Recording a delivery never takes what you say you delivered of an item beyond what your
    production reports (submitted or validated) declare: beyond, 409; so does a need taken
    down by moderation (`need_removed`). The establishment is then sent a link to confirm
    what it received; `confirm` is what that link does, without an account: the `token` is
    its proof. Confirming again changes nothing (200). `corroborates` says whether the
    establishment's confirmation corroborates your reports, and `corroboration_withheld` why
    not.
    """

    serializer_class = DeliveryOutputSerializer
    pagination_class = NewestFirstPagination
    lookup_value_regex = r"[0-9]+"
    # One's own deliveries; the establishment confirms without an account, its token the proof.
    permission = SIGNED_IN
    permissions_by_action = {"confirm": PUBLIC}

    def get_throttles(self):
        if self.action == "confirm":
            return [EstablishmentThrottle()]
        return super().get_throttles()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        return (
            Delivery.objects.filter(pledge__in=selectors.pledges_of_user(self.request.user))
            .select_related("pledge__need__establishment", "pledge__need__item_type")
            .order_by("-pk")
        )

    @extend_schema(
        summary=gettext_lazy("Enregistrer une livraison"),
        request=DeliveryCreateSerializer,
        responses={201: DeliveryRecordedSerializer, **_errors(400, 403, 409)},
    )
    def create(self, request, *args, **kwargs):
        """Against one of your active pledges, delivered today or before. Beyond the pledge or
        the need is recorded too, and said in `beyond`."""
        data = self.valid(DeliveryCreateSerializer, pledges=selectors.pledges_of_user(request.user))
        delivery = services.delivery_record(
            pledge=data["pledge"],
            quantity=data["quantity"],
            delivered_on=data["delivered_on"],
            by=request.user,
            now=self.now,
        )
        fresh = self.get_queryset().get(pk=delivery.pk)
        fresh.beyond = delivery.beyond
        return Response(DeliveryRecordedSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Confirmer une livraison reçue (établissement, sans compte)"),
        request=DeliveryConfirmSerializer,
        responses={
            200: DeliveryConfirmedSerializer,
            **error_responses(
                400,
                409,
                429,
                about={
                    **ERRORS_ABOUT,
                    400: gettext_lazy(
                        "Jeton altéré ou d'une autre livraison, ou quantité au-delà de la "
                        "quantité livrée."
                    ),
                },
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """At most the quantity delivered (0: nothing arrived). The matching production
        reports are marked corroborated, unless the delivery proves nothing (the need was
        posted by the producer or names one of their addresses, or nobody checked it yet: the
        reports then carry the reason), and the delivered totals grow; the need is fulfilled
        once it received its quantity. Confirming again answers the first confirmation. A
        need taken down by moderation takes no confirmation (409 `need_removed`)."""
        data = self.valid(DeliveryConfirmSerializer)
        if services.delivery_from_token(data["token"], now=timezone.now()).pk != int(pk):
            raise errors.DELIVERY_LINK_OF_ANOTHER_DELIVERY()
        delivery = services.delivery_confirm(
            token=data["token"], confirmed_quantity=data["confirmed_quantity"], now=self.now
        )
        return Response(DeliveryConfirmedSerializer(delivery).data)
