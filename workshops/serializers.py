"""API shapes of the workshops: input serializers validate, outputs render.

Privacy: participants' names and e-mails appear only to the workshop's facilitators
(`AttendeeSerializer`); facilitators appear by name, never by e-mail. A cancel token never
appears in a response: it travels only in the e-mail sent to the person registered.
"""

from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tilab import roles
from tilab.i18n import localised
from tilab.models import Department
from tilab.serializers import ModelSerializer, PrimaryKeyRelatedField, SlugRelatedField

from .models import Registration, Theme, Workshop
from .services import MAX_CAPACITY, WorkshopDetails

MAX_DURATION_MINUTES = 7 * 24 * 60


# Named enums of their own: `status` also names the reports' states elsewhere in the schema.
@extend_schema_field(
    {"type": "string", "enum": Workshop.Status.values}, component_name="WorkshopStatus"
)
class WorkshopStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Workshop.Status.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": Registration.Status.values}, component_name="RegistrationStatus"
)
class RegistrationStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Registration.Status.choices, **kwargs)


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


def _facilitator_name(user) -> str:
    # A name, never an e-mail address.
    return user.full_name or str(_("Équipe Ti Lab"))


class ThemeRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class DepartmentRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class FacilitatorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MyRegistrationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = RegistrationStatusField()
    position = serializers.IntegerField(allow_null=True)


# --- Output ---------------------------------------------------------------------------------


class WorkshopOutputSerializer(ModelSerializer):
    """A workshop as a participant sees it, plus what its facilitators alone see.

    Expects `selectors.workshops_visible_to` (or `workshops_listed_for`) with `facilitators`
    and `synthesis` fetched, and, for an authenticated caller, the caller's active
    registrations prefetched as `my_registrations` (with their `waitlist_position`,
    `selectors.with_waitlist_position`)."""

    theme = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()
    ends_at = serializers.DateTimeField(read_only=True)
    online = serializers.SerializerMethodField(help_text=_("L'atelier a lieu (aussi) en ligne."))
    online_url = serializers.SerializerMethodField(
        help_text=_(
            "Le lien de visioconférence : donné aux facilitateurs de l'atelier et aux "
            "personnes inscrites (pas à la liste d'attente), null pour les autres."
        )
    )
    # Exact counts go to the workshop's facilitators only: a count that a registration moves
    # would tell whoever registers a stranger's address whether that person attends.
    seats_left = serializers.SerializerMethodField(
        help_text=_(
            "Places restantes : donné aux facilitateurs de l'atelier, null pour les autres "
            "(voir has_seats)."
        )
    )
    waitlist_count = serializers.SerializerMethodField(
        help_text=_(
            "Personnes en liste d'attente : donné aux facilitateurs de l'atelier, null pour "
            "les autres."
        )
    )
    pending_count = serializers.SerializerMethodField(
        help_text=_(
            "Inscriptions sans compte qui attendent leur confirmation par e-mail (elles ne "
            "prennent aucune place) : donné aux facilitateurs de l'atelier, null pour les "
            "autres."
        )
    )
    has_seats = serializers.SerializerMethodField(
        help_text=_("Il reste au moins une place (sinon, une inscription va en liste d'attente).")
    )
    registration_open = serializers.SerializerMethodField(
        help_text=_("On peut s'inscrire maintenant : atelier programmé, avant la clôture.")
    )
    status = WorkshopStatusField(read_only=True)
    facilitators = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField(
        help_text=_(
            "La page de l'atelier. Sur invitation : donnée à ses facilitateurs et aux personnes "
            "inscrites (la page s'ouvre une fois connecté), null pour les autres."
        )
    )
    ics_url = serializers.SerializerMethodField(
        help_text=_(
            "L'atelier au format iCalendar ; sur invitation, le lien porte le jeton, comme sur "
            "la page de l'atelier."
        )
    )
    synthesis_url = serializers.SerializerMethodField(
        help_text=_("La synthèse publiée de l'atelier, ou null.")
    )
    invitation_url = serializers.SerializerMethodField(
        help_text=_(
            "Le lien secret d'invitation : donné aux seuls facilitateurs de l'atelier, null "
            "pour les autres."
        )
    )
    my_registration = serializers.SerializerMethodField(
        help_text=_("Votre inscription en cours à cet atelier, ou null.")
    )

    class Meta:
        model = Workshop
        fields = [
            "id",
            "title",
            "description",
            "theme",
            "starts_at",
            "ends_at",
            "duration_minutes",
            "address",
            "commune",
            "department",
            "online",
            "online_url",
            "capacity",
            "seats_left",
            "waitlist_count",
            "pending_count",
            "has_seats",
            "registration_deadline",
            "registration_open",
            "is_public",
            "status",
            "cancellation_reason",
            "cancelled_at",
            "facilitators",
            "page_url",
            "ics_url",
            "synthesis_url",
            "invitation_url",
            "my_registration",
        ]
        read_only_fields = fields

    def _user(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    def _facilitates(self, workshop) -> bool:
        user = self._user()
        if user is None or not user.is_authenticated:
            return False
        return any(person.pk == user.pk for person in workshop.facilitators.all())

    def _mine(self, workshop):
        mine = getattr(workshop, "my_registrations", None) or []
        return mine[0] if mine else None

    @extend_schema_field(ThemeRefSerializer)
    def get_theme(self, workshop):
        return {"slug": workshop.theme.slug, "name": localised(workshop.theme, "name")}

    @extend_schema_field(DepartmentRefSerializer(allow_null=True))
    def get_department(self, workshop):
        if workshop.department is None:
            return None
        return {"code": workshop.department.code, "name": workshop.department.name}

    def get_online(self, workshop) -> bool:
        return bool(workshop.online_url)

    def get_online_url(self, workshop) -> str | None:
        if not workshop.online_url:
            return None
        mine = self._mine(workshop)
        if self._facilitates(workshop) or (
            mine is not None and mine.status == Registration.Status.CONFIRMED
        ):
            return workshop.online_url
        return None

    def get_seats_left(self, workshop) -> int | None:
        if not self._facilitates(workshop):
            return None
        return max(workshop.capacity - workshop.confirmed_count, 0)

    def get_waitlist_count(self, workshop) -> int | None:
        return workshop.waitlist_count if self._facilitates(workshop) else None

    def get_pending_count(self, workshop) -> int | None:
        return workshop.pending_count if self._facilitates(workshop) else None

    def get_has_seats(self, workshop) -> bool:
        return workshop.confirmed_count < workshop.capacity

    def get_registration_open(self, workshop) -> bool:
        return (
            workshop.status == Workshop.Status.SCHEDULED
            and self.context["now"] <= workshop.registration_deadline
        )

    @extend_schema_field(FacilitatorSerializer(many=True))
    def get_facilitators(self, workshop):
        people = sorted(workshop.facilitators.all(), key=lambda person: person.pk)
        return [{"id": person.pk, "name": _facilitator_name(person)} for person in people]

    def get_page_url(self, workshop) -> str | None:
        if not workshop.is_public and not (
            self._facilitates(workshop) or self._mine(workshop) is not None
        ):
            return None
        return _absolute(
            self.context.get("request"), reverse("workshops:detail", args=[workshop.pk])
        )

    def get_ics_url(self, workshop) -> str:
        url = reverse("workshops:ics", args=[workshop.pk])
        if not workshop.is_public:
            # A calendar application fetches it without a session: the token opens it, as
            # the link on the workshop's page does. Whoever reads this may see the workshop.
            url += "?" + urlencode({"invitation": workshop.invitation_token})
        return _absolute(self.context.get("request"), url)

    def get_synthesis_url(self, workshop) -> str | None:
        # The synthesis page is addressed by its workshop's number.
        synthesis = getattr(workshop, "synthesis", None)
        if synthesis is None or synthesis.status != synthesis.Status.PUBLISHED:
            return None
        return _absolute(
            self.context.get("request"), reverse("workshops:synthesis_detail", args=[workshop.pk])
        )

    def get_invitation_url(self, workshop) -> str | None:
        if not self._facilitates(workshop):
            return None
        return _absolute(
            self.context.get("request"),
            reverse("workshops:invitation", args=[workshop.invitation_token]),
        )

    @extend_schema_field(MyRegistrationSerializer(allow_null=True))
    def get_my_registration(self, workshop):
        mine = self._mine(workshop)
        if mine is None:
            return None
        return {"id": mine.pk, "status": mine.status, "position": mine.waitlist_position}


class WorkshopRefSerializer(ModelSerializer):
    status = WorkshopStatusField(read_only=True)
    ends_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Workshop
        fields = ["id", "title", "starts_at", "ends_at", "commune", "is_public", "status"]
        read_only_fields = fields


class RegistrationOutputSerializer(ModelSerializer):
    """One's own registration. Expects the workshop fetched and the `waitlist_position`
    annotated (`selectors.with_waitlist_position`: null unless waitlisted)."""

    workshop = WorkshopRefSerializer(read_only=True)
    status = RegistrationStatusField(read_only=True)
    position = serializers.IntegerField(
        source="waitlist_position",
        read_only=True,
        allow_null=True,
        help_text=_("Rang dans la liste d'attente (1 : le prochain servi), sinon null."),
    )
    online_url = serializers.SerializerMethodField(
        help_text=_("Le lien de visioconférence, une fois la place confirmée ; sinon null.")
    )

    class Meta:
        model = Registration
        fields = [
            "id",
            "workshop",
            "status",
            "position",
            "registered_at",
            "promoted_at",
            "online_url",
        ]
        read_only_fields = fields

    def get_online_url(self, registration) -> str | None:
        if registration.status != Registration.Status.CONFIRMED:
            return None
        return registration.workshop.online_url or None


class AttendeeSerializer(ModelSerializer):
    """A registration as the workshop's facilitators see it, e-mail included. Expects the
    `waitlist_position` annotated (`selectors.with_waitlist_position`)."""

    status = RegistrationStatusField(read_only=True)
    position = serializers.IntegerField(
        source="waitlist_position",
        read_only=True,
        allow_null=True,
        help_text=_("Rang dans la liste d'attente (1 : le prochain servi), sinon null."),
    )
    has_account = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = [
            "id",
            "name",
            "email",
            "has_account",
            "status",
            "position",
            "registered_at",
            "promoted_at",
            "attended",
        ]
        read_only_fields = fields

    def get_has_account(self, registration) -> bool:
        return registration.user_id is not None


class RegistrationCancelledSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = RegistrationStatusField()
    promoted_registration = serializers.IntegerField(
        allow_null=True,
        help_text=_("L'inscription sortie de la liste d'attente pour prendre la place, ou null."),
    )


# --- Input ----------------------------------------------------------------------------------


def _facilitators():
    return get_user_model().objects.filter(groups__name=roles.FACILITATOR).distinct()


class WorkshopInputSerializer(serializers.Serializer):
    """What a facilitator fills in: types and shapes here; the rules on dates and places are
    the services' (their refusal names the field, as `field` and as a key)."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    theme = SlugRelatedField(
        slug_field="slug",
        queryset=Theme.objects.all(),
        help_text=_("Identifiant du thème : cooperation, funding, governance…"),
    )
    starts_at = serializers.DateTimeField(
        help_text=_("Date et heure de début, à venir (ISO 8601 ; sans décalage : heure de Paris).")
    )
    duration_minutes = serializers.IntegerField(min_value=1, max_value=MAX_DURATION_MINUTES)
    capacity = serializers.IntegerField(min_value=1, max_value=MAX_CAPACITY)
    registration_deadline = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Clôture des inscriptions, au plus tard le début (par défaut : le début)."),
    )
    address = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    commune = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")
    department = PrimaryKeyRelatedField(
        queryset=Department.objects.all(),
        allow_null=True,
        required=False,
        default=None,
        help_text=_("Code du département de la commune (« 35 »)."),
    )
    online_url = serializers.URLField(max_length=200, allow_blank=True, required=False, default="")
    is_public = serializers.BooleanField(
        required=False,
        default=True,
        help_text=_("Sinon, sur invitation : absent de l'agenda, ouvert par un lien secret."),
    )
    co_facilitators = PrimaryKeyRelatedField(
        queryset=_facilitators(),
        many=True,
        required=False,
        help_text=_(
            "Identifiants des autres facilitateurs de l'atelier. À la modification, la liste "
            "remplace la précédente (l'auteur de l'atelier et vous-même restez)."
        ),
        error_messages={
            "does_not_exist": _("La personne n° {pk_value} n'est pas facilitatrice Ti Lab.")
        },
    )

    def _current(self, data, name):
        """The value the workshop will have: the one given, else (PATCH) its present one."""
        if name in data:
            return data[name]
        return getattr(self.instance, name, None)

    def details(self) -> WorkshopDetails:
        """The full details of the workshop, the present values filling what a PATCH left out."""
        data = self.validated_data
        names = [
            "title",
            "description",
            "theme",
            "starts_at",
            "duration_minutes",
            "capacity",
            "registration_deadline",
            "address",
            "commune",
            "online_url",
            "is_public",
        ]
        values = {name: self._current(data, name) for name in names}
        department = self._current(data, "department")
        values["department_id"] = department.pk if department is not None else None
        return WorkshopDetails(**values)

    def co_facilitators_given(self):
        """The co-facilitators given, or None when left out (they stay as they are)."""
        return self.validated_data.get("co_facilitators")


class WorkshopCancelSerializer(serializers.Serializer):
    # Blank passes here so that the service's own refusal explains what to write.
    reason = serializers.CharField(
        allow_blank=True, help_text=_("Pourquoi l'atelier est annulé : envoyé aux inscrits.")
    )


class RegisterSerializer(serializers.Serializer):
    """With an account, you register yourself (name and e-mail come from your account). Without
    one, give your name and e-mail (the service refuses them blank): the confirmation, with a
    link to cancel, is sent there."""

    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    # No default: "" is no e-mail address, and a schema may not give one as its default.
    email = serializers.EmailField(required=False, allow_blank=True)
    invitation_token = serializers.CharField(
        max_length=43,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Le jeton du lien d'invitation, pour un atelier sur invitation."),
    )


class GuestRegistrationReceivedSerializer(serializers.Serializer):
    """A guest's registration, received: the same answer whether the address was new to the
    workshop, waiting for its confirmation, or already registered (the e-mail sent there holds
    the link to confirm, or says it is registered, with its link to manage it)."""

    email = serializers.EmailField(help_text=_("L'adresse à laquelle l'e-mail part."))
    detail = serializers.CharField()


class RegistrationCancelSerializer(serializers.Serializer):
    token = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "Sans compte : le jeton du lien d'annulation reçu par e-mail. Avec un compte, "
            "inutile pour vos propres inscriptions."
        ),
    )


class RegistrationConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(
        max_length=500,
        help_text=_("Le jeton du lien de confirmation reçu par e-mail (sa dernière partie)."),
    )
