"""API of the open cooperation workshops: the agenda, registration with a waitlist (with an
account or as a guest), cancellation, and the facilitators' scheduling.

The same rules as the pages. What a caller sees comes from the selectors (anything else
answers 404), what they may do from the rules (403), and every write is one service call
whose refusals answer 400 (bad input) or 409 (the state forbids it) with their `code`
(workshops/errors.py) and a message a person can read in `detail` (tilab/api_errors.py). A
guest's e-mail is shown to the workshop's facilitators only; a cancel token never appears in a
response (it is sent by e-mail to the person registered).
"""

from functools import cached_property

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tilab.pagination import CursorPagination
from tilab.permissions import PUBLIC, SIGNED_IN
from tilab.schema import error_responses
from tilab.throttling import GuestThrottle as GuestRateThrottle

from . import errors, selectors, services
from .filters import WorkshopFilter
from .models import Registration, Workshop
from .serializers import (
    AttendeeSerializer,
    GuestRegistrationReceivedSerializer,
    RegisterSerializer,
    RegistrationCancelledSerializer,
    RegistrationCancelSerializer,
    RegistrationConfirmSerializer,
    RegistrationOutputSerializer,
    WorkshopCancelSerializer,
    WorkshopInputSerializer,
    WorkshopOutputSerializer,
)

# What the error answers mean here (tilab/schema.py); the exception handler gives them.
ERRORS_ABOUT = {
    409: gettext_lazy(
        "L'état l'empêche (atelier annulé, inscriptions closes, déjà inscrit, déjà annulé…)."
    ),
}


def _errors(*statuses: int) -> dict:
    return error_responses(*statuses, about=ERRORS_ABOUT)


class GuestThrottle(GuestRateThrottle):
    """Registering and cancelling without an account send e-mails to any address typed in:
    a bounded pace per address IP keeps the platform from being used to flood a mailbox."""

    scope = "workshop_guest"


class StartsAtPagination(CursorPagination):
    # Soonest first; the primary key breaks ties between workshops starting together.
    ordering = ("starts_at", "pk")


class ArrivalOrderPagination(CursorPagination):
    # The waitlist is served in this order.
    ordering = "pk"


class NewestFirstPagination(CursorPagination):
    ordering = "-pk"


# --- Reads shared by the endpoints ---------------------------------------------------------


def workshops_shown(workshops, user):
    """What `WorkshopOutputSerializer` reads, in a constant number of queries: facilitators,
    the synthesis, and the caller's own active registrations with their waitlist rank."""
    facilitators = get_user_model().objects.only("pk", "full_name")
    workshops = workshops.select_related("synthesis").prefetch_related(
        Prefetch("facilitators", queryset=facilitators)
    )
    if user.is_authenticated:
        mine = selectors.with_waitlist_position(
            Registration.objects.filter(user_id=user.pk).exclude(
                status=Registration.Status.CANCELLED
            )
        )
        workshops = workshops.prefetch_related(
            Prefetch("registrations", queryset=mine, to_attr="my_registrations")
        )
    return workshops


# --- Workshops ------------------------------------------------------------------------------

MANAGE_ACTIONS = {"update", "partial_update", "cancel", "registrations"}
INVITATION_TOKEN = OpenApiParameter(
    "invitation_token",
    OpenApiTypes.STR,
    description=gettext_lazy("Le jeton du lien d'invitation, pour un atelier sur invitation."),
)


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("L'agenda des ateliers (et, pour un facilitateur, les siens)")
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("Un atelier"),
        parameters=[INVITATION_TOKEN],
        responses={200: WorkshopOutputSerializer, **_errors(404)},
    ),
)
class WorkshopViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Open cooperation workshops.

    Everyone, without an account too, lists the public agenda (public, scheduled workshops not
    started yet) and reads any public workshop, past and cancelled included. A facilitator's
    list also holds every workshop they facilitate (invitation-only, past, cancelled); filter
    with `starts_after` to leave the past out. An invitation-only workshop is read by its
    facilitators, by the people registered to it, and by whoever gives its `invitation_token`;
    for anyone else it does not exist (404). Soonest first, by cursor.

    The video link (`online_url`) is given to the workshop's facilitators and to the people
    holding a seat; the invitation link to its facilitators only. Participants never appear,
    only counts; facilitators appear by name.

    Facilitators schedule workshops, and change or cancel those they facilitate; another
    facilitator's workshop answers 404, as on the management pages, and anyone who is not a
    facilitator gets 403. They list the registrations of their workshops, e-mails included.

    Anyone registers: with an account, themself (one call, no body); without, with a name and
    an e-mail, confirmed by the link e-mailed there (202, the same answer for any address).
    Beyond the capacity the registration joins the waitlist (`waitlisted`, with its
    `position`). Registrations closed or a cancelled workshop answer 409, and so does an
    account registering its own address again.
    """

    serializer_class = WorkshopOutputSerializer
    filterset_class = WorkshopFilter
    pagination_class = StartsAtPagination
    lookup_value_regex = r"[0-9]+"
    # Reading and registering are everyone's; managing is facilitators' (403 before anything
    # else), each their own workshops (`selectors.workshops_managed_by`, others answer 404).
    permission = SIGNED_IN
    permissions_by_action = {
        "list": PUBLIC,
        "retrieve": PUBLIC,
        "register": PUBLIC,
        **dict.fromkeys(["create", *MANAGE_ACTIONS], "workshops.manage_workshops"),
    }

    @cached_property
    def now(self):
        return timezone.now()

    def get_throttles(self):
        if self.action == "register":
            return [GuestThrottle()]
        return super().get_throttles()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": self.now}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Workshop.objects.none()
        user = self.request.user
        if self.action == "list":
            workshops = selectors.workshops_listed_for(user, now=self.now)
        elif self.action in MANAGE_ACTIONS:
            workshops = selectors.workshops_managed_by(user)
        else:
            if self.action == "register":
                data = self.request.data if isinstance(self.request.data, dict) else {}
                token = data.get("invitation_token")
            else:
                token = self.request.query_params.get("invitation_token")
            # Read before the body is validated: a token no workshop can have (not a string,
            # or with a NUL byte, which PostgreSQL refuses) simply opens nothing.
            if not isinstance(token, str) or "\x00" in token:
                token = ""
            workshops = selectors.workshops_visible_to(user, invitation_token=token)
        return workshops_shown(workshops, user).order_by("starts_at", "pk")

    def valid(self, serializer_class, **kwargs):
        serializer = serializer_class(
            data=self.request.data, context=self.get_serializer_context(), **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return serializer

    def _render(self, workshop, *, status_code=status.HTTP_200_OK) -> Response:
        user = self.request.user
        fresh = workshops_shown(selectors.workshops_visible_to(user), user).get(pk=workshop.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    @extend_schema(
        summary=gettext_lazy("Programmer un atelier"),
        request=WorkshopInputSerializer,
        responses={201: WorkshopOutputSerializer, **_errors(400, 403)},
    )
    def create(self, request, *args, **kwargs):
        """Its author and co-facilitators manage it. A date to come; a place (commune and
        department), an online link, or both."""
        serializer = self.valid(WorkshopInputSerializer)
        workshop = services.workshop_create(
            details=serializer.details(),
            by=request.user,
            now=self.now,
            co_facilitators=serializer.co_facilitators_given() or [],
        )
        return self._render(workshop, status_code=status.HTTP_201_CREATED)

    def _change(self, *, partial: bool) -> Response:
        workshop = self.get_object()
        serializer = self.valid(WorkshopInputSerializer, instance=workshop, partial=partial)
        services.workshop_update(
            workshop=workshop,
            details=serializer.details(),
            by=self.request.user,
            now=self.now,
            co_facilitators=serializer.co_facilitators_given(),
        )
        return self._render(workshop)

    @extend_schema(
        summary=gettext_lazy("Modifier un de vos ateliers (tous les champs)"),
        request=WorkshopInputSerializer,
        responses={200: WorkshopOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    def update(self, request, *args, **kwargs):
        """More seats give them to the first people waiting; fewer seats than people already
        registered is refused (400). A cancelled workshop changes no more (409)."""
        return self._change(partial=False)

    @extend_schema(
        summary=gettext_lazy("Modifier un de vos ateliers (les champs donnés)"),
        request=WorkshopInputSerializer,
        responses={200: WorkshopOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    def partial_update(self, request, *args, **kwargs):
        """The fields left out keep their value; `co_facilitators` left out stay as they are."""
        return self._change(partial=True)

    @extend_schema(
        summary=gettext_lazy("Annuler un de vos ateliers"),
        request=WorkshopCancelSerializer,
        responses={200: WorkshopOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Everyone registered or waiting is told by e-mail, with the reason."""
        workshop = self.get_object()
        data = self.valid(WorkshopCancelSerializer).validated_data
        services.workshop_cancel(
            workshop=workshop, reason=data["reason"], by=request.user, now=self.now
        )
        return self._render(workshop)

    @extend_schema(
        summary=gettext_lazy("Les inscriptions à un de vos ateliers"),
        parameters=[
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=[Registration.Status.CONFIRMED, Registration.Status.WAITLISTED],
                description=gettext_lazy("Les seules personnes inscrites, ou en attente."),
            ),
            OpenApiParameter("cursor", OpenApiTypes.STR, description=gettext_lazy("Page.")),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: AttendeeSerializer(many=True), **_errors(400, 403, 404)},
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def registrations(self, request, pk=None):
        """People registered and waiting (cancelled registrations left out), in arrival order,
        with their e-mail and their rank in the waitlist. By cursor."""
        workshop = self.get_object()
        registrations = selectors.registrations_of(workshop)
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in (Registration.Status.CONFIRMED, Registration.Status.WAITLISTED):
                raise exceptions.ValidationError(
                    {"status": [_("Choisissez « confirmed » ou « waitlisted ».")]}
                )
            registrations = registrations.filter(status=wanted)
        paginator = ArrivalOrderPagination()
        page = paginator.paginate_queryset(registrations, request, view=self)
        return paginator.get_paginated_response(AttendeeSerializer(page, many=True).data)

    @extend_schema(
        summary=gettext_lazy("S'inscrire à un atelier, avec ou sans compte"),
        request=RegisterSerializer,
        responses={
            201: OpenApiResponse(
                RegistrationOutputSerializer,
                description=gettext_lazy(
                    "Avec un compte : inscrit (`confirmed`) ou en liste d'attente (`waitlisted`, "
                    "avec le rang)."
                ),
            ),
            202: OpenApiResponse(
                GuestRegistrationReceivedSerializer,
                description=gettext_lazy(
                    "Sans compte (ou avec une adresse pas encore vérifiée) : reçu. L'e-mail "
                    "envoyé à l'adresse porte un lien pour confirmer l'inscription "
                    "(`/api/v1/registrations/confirm/`), ou dit qu'elle était déjà inscrite ; "
                    "la réponse est la même dans tous les cas, et rien de ce que voit le public "
                    "ne change avant la confirmation, pour ne rien dire à un inconnu de qui "
                    "s'inscrit où."
                ),
            ),
            **_errors(400, 404, 409),
            **error_responses(
                429,
                about={429: gettext_lazy("Trop d'inscriptions sans compte depuis cette adresse.")},
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        """With an account whose address is verified you register yourself at once: `name` and
        `email` are ignored. Without one, give both: a link to confirm is e-mailed there, and the
        registration takes a seat (or the waitlist) only once it is followed. An
        invitation-only workshop needs its `invitation_token` (404 without)."""
        workshop = self.get_object()
        data = self.valid(RegisterSerializer).validated_data
        if request.user.is_authenticated:
            person = {"user": request.user}
        else:
            person = {"name": data["name"], "email": data.get("email", "")}
        registration = services.registration_create(workshop=workshop, now=self.now, **person)
        if registration is None:
            # A link to confirm was sent: the same answer whatever the address.
            sent_to = request.user.email if request.user.is_authenticated else data.get("email", "")
            received = {
                "email": sent_to.strip().lower(),
                "detail": _(
                    "Un e-mail part à cette adresse, avec un lien pour confirmer l'inscription : "
                    "elle ne compte qu'une fois confirmée (une place, ou la liste d'attente si "
                    "l'atelier est complet alors). Si l'adresse était déjà inscrite, l'e-mail le "
                    "dit, avec le lien pour gérer l'inscription."
                ),
            }
            return Response(
                GuestRegistrationReceivedSerializer(received).data, status=status.HTTP_202_ACCEPTED
            )
        fresh = selectors.with_waitlist_position(
            Registration.objects.select_related("workshop")
        ).get(pk=registration.pk)
        return Response(RegistrationOutputSerializer(fresh).data, status=status.HTTP_201_CREATED)


# --- Registrations --------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Vos inscriptions en cours")),
    retrieve=extend_schema(
        summary=gettext_lazy("Une de vos inscriptions"),
        responses={200: RegistrationOutputSerializer, **_errors(404)},
    ),
)
class RegistrationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Your own registrations to workshops (not cancelled), newest first, by cursor; with the
    rank in the waitlist, and the video link once you hold a seat. Only your own, whatever
    your role: facilitators read their workshops' registrations at
    `/api/v1/workshops/{id}/registrations/`. Anyone else's registration answers 404.

    Cancelling frees the seat for the first person waiting, in the same transaction. With an
    account, cancel your own registration; without, give the `token` of the link received by
    e-mail.
    """

    serializer_class = RegistrationOutputSerializer
    pagination_class = NewestFirstPagination
    lookup_value_regex = r"[0-9]+"
    # One's own registrations (anyone else's answers 404); cancelling through the e-mail's
    # link needs no account, its token is the proof.
    permission = SIGNED_IN
    permissions_by_action = {"cancel": PUBLIC, "confirm": PUBLIC}

    def get_throttles(self):
        if self.action in ("cancel", "confirm"):
            return [GuestThrottle()]
        return super().get_throttles()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Registration.objects.none()
        user = self.request.user
        if not user.is_authenticated:
            return Registration.objects.none()
        if self.action == "cancel":
            # Cancelled ones too: cancelling again answers 409, not 404.
            return Registration.objects.filter(user_id=user.pk).select_related("workshop")
        return selectors.registrations_of_user(user)

    @extend_schema(
        summary=gettext_lazy("Annuler une inscription"),
        request=RegistrationCancelSerializer,
        responses={
            200: RegistrationCancelledSerializer,
            **error_responses(
                400,
                about={
                    400: gettext_lazy(
                        "Le jeton manque (sans compte), est altéré, ou vaut pour une autre "
                        "inscription."
                    )
                },
            ),
            **_errors(404, 409),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Returns the registration promoted from the waitlist, if any. Cancelling again, or
        once the workshop has started, answers 409."""
        serializer = RegistrationCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = serializer.validated_data["token"]
        if token:
            registration = services.registration_from_token(token, now=timezone.now())
            if registration.pk != int(pk):
                raise errors.CANCEL_LINK_OF_ANOTHER_REGISTRATION()
        elif request.user.is_authenticated:
            registration = self.get_object()
        else:
            raise errors.CANCEL_TOKEN_MISSING()
        promoted = services.registration_cancel(registration=registration, now=timezone.now())
        return Response(
            {
                "id": registration.pk,
                "status": Registration.Status.CANCELLED,
                "promoted_registration": promoted.pk if promoted else None,
            }
        )

    @extend_schema(
        summary=gettext_lazy("Confirmer une inscription sans compte"),
        request=RegistrationConfirmSerializer,
        responses={
            200: OpenApiResponse(
                RegistrationOutputSerializer,
                description=gettext_lazy(
                    "Confirmée : une place (`confirmed`) ou, si l'atelier est complet, la liste "
                    "d'attente (`waitlisted`, avec le rang). Confirmer de nouveau répond la même "
                    "inscription."
                ),
            ),
            **error_responses(
                400,
                about={
                    400: gettext_lazy(
                        "Le jeton est altéré ou inconnu (`registration_link_invalid`)."
                    )
                },
            ),
            **_errors(409),
        },
    )
    @action(detail=False, methods=["post"])
    def confirm(self, request):
        """What the link e-mailed to a guest does, without an account: its `token` (the last
        part of the link) proves the address. Expired links answer 409
        (`registration_link_expired`): register again for a new one."""
        serializer = RegistrationConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        registration = services.registration_confirm(
            token=serializer.validated_data["token"], now=timezone.now()
        )
        fresh = selectors.with_waitlist_position(
            Registration.objects.select_related("workshop")
        ).get(pk=registration.pk)
        return Response(RegistrationOutputSerializer(fresh).data)
