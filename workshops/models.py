"""Open cooperation workshops: themes, workshops, registrations with a waitlist, attendance,
messages to registrants, published syntheses and personal calendar feeds."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tilab.models import Department


def new_token() -> str:
    """43 URL-safe characters (256 bits): the secret of an invitation or a calendar feed."""
    return secrets.token_urlsafe(32)


class Theme(models.Model):
    """What a workshop is about; the agenda filters by it. Added as data, never code."""

    slug = models.SlugField(_("identifiant"), max_length=50, unique=True)
    name_fr = models.CharField(_("nom (français)"), max_length=100)
    name_en = models.CharField(_("nom (anglais)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("ordre d'affichage"), default=0)

    class Meta:
        verbose_name = _("thème")
        verbose_name_plural = _("thèmes")

    def __str__(self):
        return self.name_fr


class Workshop(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("programmé")
        CANCELLED = "cancelled", _("annulé")

    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    theme = models.ForeignKey(
        Theme, on_delete=models.PROTECT, related_name="workshops", verbose_name=_("thème")
    )
    starts_at = models.DateTimeField(_("début"))
    duration_minutes = models.PositiveIntegerField(_("durée (minutes)"))
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    commune = models.CharField(_("commune"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workshops",
        verbose_name=_("département"),
    )
    online_url = models.URLField(_("lien de visioconférence"), blank=True)
    capacity = models.PositiveIntegerField(_("places"))
    registration_deadline = models.DateTimeField(_("inscriptions jusqu'au"))
    is_public = models.BooleanField(
        _("public"),
        default=True,
        help_text=_("Sinon, sur invitation : absent de l'agenda, ouvert par un lien secret."),
    )
    invitation_token = models.CharField(
        max_length=43, unique=True, editable=False, default=new_token
    )
    status = models.CharField(
        _("état"), max_length=20, choices=Status.choices, default=Status.SCHEDULED
    )
    cancellation_reason = models.TextField(_("motif de l'annulation"), blank=True)
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="facilitated_workshops",
        verbose_name=_("facilitateurs"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("créé le"))
    updated_at = models.DateTimeField(_("modifié le"))
    duplicated_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("atelier")
        verbose_name_plural = _("ateliers")
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="workshop_capacity_min"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=7 * 24 * 60),
                name="workshop_duration_bounded",
            ),
            models.CheckConstraint(
                condition=Q(registration_deadline__lte=F("starts_at")),
                name="workshop_deadline_before_start",
            ),
            models.CheckConstraint(
                condition=(~Q(commune="") & Q(department__isnull=False)) | ~Q(online_url=""),
                name="workshop_has_a_place_or_a_link",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="workshop_cancellation_dated",
            ),
        ]
        indexes = [models.Index(fields=["status", "is_public", "starts_at"])]

    def __str__(self):
        return self.title

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class Registration(models.Model):
    """A seat, or a place in the waitlist, for a person with an account or a guest's e-mail.
    The waitlist is served in arrival order (`pk`: rows are inserted under the workshop's lock)."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("inscrit")
        WAITLISTED = "waitlisted", _("en liste d'attente")
        CANCELLED = "cancelled", _("annulé")

    workshop = models.ForeignKey(Workshop, on_delete=models.PROTECT, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="workshop_registrations",
    )
    name = models.CharField(_("nom"), max_length=150)
    email = models.EmailField(_("adresse e-mail"))
    status = models.CharField(_("état"), max_length=20, choices=Status.choices)
    registered_at = models.DateTimeField(_("inscrit le"))
    promoted_at = models.DateTimeField(_("sorti de la liste d'attente le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    attended = models.BooleanField(_("présent"), null=True, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)
    # The language the person registered in: their e-mails are written in it (an account's
    # own choice wins, tilab.outbox.language_of).
    language = models.CharField(_("langue"), max_length=8, default="fr", db_default="fr")

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "email"],
                condition=~Q(status="cancelled"),
                name="registration_one_per_email",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="registration_cancellation_dated",
            ),
        ]
        indexes = [models.Index(fields=["workshop", "status"])]

    def __str__(self):
        return f"{self.name} – {self.workshop}"


class PendingRegistration(models.Model):
    """A guest's registration waiting for its confirmation: the person follows the link e-mailed
    to the address (workshops.services.registration_confirm), which proves the address is
    theirs, and only then takes a seat or a place in the waitlist. Until then it holds nothing
    and shows nowhere but in the facilitators' counts, so that registering a stranger's address
    tells nobody anything. Forgotten once expired (housekeeping)."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="pending_registrations"
    )
    # A signed-in person whose address is not verified yet confirms it as a guest does.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("nom"), max_length=150)
    email = models.EmailField(_("adresse e-mail"))
    language = models.CharField(_("langue"), max_length=8, default="fr", db_default="fr")
    requested_at = models.DateTimeField(_("demandée le"))
    expires_at = models.DateTimeField(_("expire le"))
    # Set by the confirmation: a second click on the link finds the registration it made.
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("inscription à confirmer")
        verbose_name_plural = _("inscriptions à confirmer")
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "email"],
                condition=Q(confirmed_at__isnull=True),
                name="pending_registration_one_per_email",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True, registration__isnull=True)
                | Q(confirmed_at__isnull=False, registration__isnull=False),
                name="pending_registration_confirmation_consistent",
            ),
        ]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self):
        return f"{self.name} – {self.workshop}"


class WorkshopMessage(models.Model):
    """A message a facilitator sent to a workshop's registrants (delivered by a task)."""

    workshop = models.ForeignKey(Workshop, on_delete=models.PROTECT, related_name="messages")
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("message"))
    include_waitlist = models.BooleanField(_("aussi à la liste d'attente"), default=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("écrit le"))
    delivered_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(_("destinataires"), default=0)

    class Meta:
        verbose_name = _("message aux inscrits")
        verbose_name_plural = _("messages aux inscrits")

    def __str__(self):
        return self.subject


class Synthesis(models.Model):
    """What came out of a workshop, written in Markdown; public once published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        PUBLISHED = "published", _("publiée")

    workshop = models.OneToOneField(Workshop, on_delete=models.PROTECT, related_name="synthesis")
    body = models.TextField(_("synthèse (Markdown)"))
    status = models.CharField(
        _("état"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("modifiée le"))
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("synthèse")
        verbose_name_plural = _("synthèses")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="synthesis_publication_dated",
            ),
        ]

    def __str__(self):
        return str(self.workshop)


class CalendarFeed(models.Model):
    """A person's secret calendar address, listing the workshops they registered for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=43, unique=True, default=new_token)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("agenda personnel")
        verbose_name_plural = _("agendas personnels")

    def __str__(self):
        return str(self.user)
