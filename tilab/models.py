"""Core data: people (e-mail login), departments, the immutable record of decisions, and what
each personal API token may do."""

import rules
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class UserManager(DjangoUserManager):
    """Users are identified by their e-mail address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("adresse e-mail"), unique=True)
    full_name = models.CharField(_("nom complet"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("accès à l'administration"),
        default=False,
        help_text=_("Peut se connecter à l'interface d'administration technique."),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)
    sessions_ended_at = models.DateTimeField(
        _("sessions fermées le"),
        null=True,
        blank=True,
        help_text=_(
            "Dernier changement de mot de passe ou de double authentification : les autres "
            "sessions et les jetons d'API ont été fermés à ce moment."
        ),
    )

    language = models.CharField(
        _("langue"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="fr",
        # In the database too: rows written by code that predates the column still get one.
        db_default="fr",
        help_text=_("La langue des e-mails que la plateforme lui écrit."),
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    # A session stays signed in while the hash it was opened with matches the account's. Django
    # derives it from the password; the moment the sessions were ended joins it, so ending them
    # (tilab.services.account_sessions_end) signs every session out without listing them.
    # Accounts whose sessions were never ended keep Django's hash: nobody is signed out by an
    # upgrade.
    def get_session_auth_hash(self):
        return self._with_sessions_ended_at(super().get_session_auth_hash())

    def get_session_auth_fallback_hash(self):
        for value in super().get_session_auth_fallback_hash():
            yield self._with_sessions_ended_at(value)

    def _with_sessions_ended_at(self, value: str) -> str:
        if self.sessions_ended_at is None:
            return value
        return salted_hmac(
            "tilab.User.sessions_ended_at",
            f"{value}:{self.sessions_ended_at.isoformat()}",
            algorithm="sha256",
        ).hexdigest()

    def has_perm(self, perm, obj=None):
        # Roles decide what a person does in the platform, superuser or not: the technical
        # administrator's flag opens the admin, never a relay's queue or the Région's money
        # (Django would grant a superuser every rule, and the API would then write objects the
        # same person is not allowed to see).
        if rules.perm_exists(perm):
            return self.is_active and rules.has_perm(perm, self, obj)
        return super().has_perm(perm, obj)


class Department(models.Model):
    """A French département, identified by its INSEE code ("35"). Added as data, never code."""

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=100, unique=True)
    region_code = models.CharField(_("code région"), max_length=3)
    region_name = models.CharField(_("région"), max_length=100)

    class Meta:
        verbose_name = _("département")
        verbose_name_plural = _("départements")

    def __str__(self):
        return f"{self.name} ({self.code})"


class Decision(models.Model):
    """Who decided what, on which object, from which state to which, and why.

    Append-only: the database itself refuses UPDATE and DELETE on this table (see the migration
    that installs the triggers), so a decision can only be corrected by a new decision.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("auteur"),
        help_text=_("Vide pour une décision prise par le système (tâche planifiée)."),
    )
    decided_at = models.DateTimeField(_("date"))
    action = models.CharField(_("action"), max_length=50)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    from_state = models.CharField(_("état avant"), max_length=50, blank=True)
    to_state = models.CharField(_("état après"), max_length=50, blank=True)
    motivation = models.TextField(_("motivation"), blank=True)
    data = models.JSONField(_("données"), default=dict, blank=True)

    class Meta:
        verbose_name = _("décision")
        verbose_name_plural = _("décisions")
        indexes = [models.Index(fields=["content_type", "object_id", "decided_at"])]

    def __str__(self):
        return (
            f"{self.action} {self.content_type.model}#{self.object_id} ({self.decided_at:%Y-%m-%d})"
        )


class TokenScope(models.TextChoices):
    """What a personal API token may do; each scope includes those before it."""

    READ = "read", _("lecture")
    WRITE = "write", _("lecture et écriture")
    MONEY = "money", _("lecture, écriture et décisions financières")

    @classmethod
    def includes(cls, scope: str, needed: str) -> bool:
        order = list(cls.values)
        return order.index(scope) >= order.index(needed)


class PersonalTokenScope(models.Model):
    """The scope of a personal API token (knox keeps the token itself, its digest and expiry).

    A token without this row may only read. Tokens made before scopes existed were given
    "write" by the migration that added them: what they did before, money decisions aside.
    """

    token = models.OneToOneField(
        "knox.AuthToken",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="scope",
        verbose_name=_("jeton"),
    )
    scope = models.CharField(_("portée"), max_length=8, choices=TokenScope.choices)
    second_factor_at = models.DateTimeField(
        _("double authentification présentée le"),
        null=True,
        blank=True,
        help_text=_(
            "Dans la session qui a créé le jeton ; vide si elle ne l'avait pas présentée (une "
            "démonstration peut s'en passer)."
        ),
    )

    class Meta:
        verbose_name = _("portée d'un jeton d'API")
        verbose_name_plural = _("portées des jetons d'API")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=TokenScope.values), name="token_scope_known"
            ),
        ]

    def __str__(self):
        return f"{self.token_id[:8]}… {self.scope}"

    @property
    def scopes(self) -> list[str]:
        """Every scope this one includes, in order: ["read", "write"]."""
        return [value for value in TokenScope.values if TokenScope.includes(self.scope, value)]


class OutboxEmail(models.Model):
    """One e-mail to one person, written in the transaction of the event that causes it and
    sent by the worker (tilab/outbox.py). `key` names the event, so it is never queued twice;
    a row unsent is due again at `due_at` (back-off after each failure)."""

    key = models.CharField(_("clé"), max_length=300, unique=True)
    to = models.CharField(_("destinataire"), max_length=254)
    from_email = models.CharField(_("expéditeur"), max_length=254)
    subject = models.CharField(_("objet"), max_length=998)
    body = models.TextField(_("texte"))
    html = models.TextField(_("HTML"), blank=True)
    reply_to = models.JSONField(_("répondre à"), default=list, blank=True)
    headers = models.JSONField(_("en-têtes"), default=dict, blank=True)
    language = models.CharField(_("langue"), max_length=8)
    created_at = models.DateTimeField(_("écrit le"))
    due_at = models.DateTimeField(_("à envoyer le"))
    attempts = models.PositiveIntegerField(_("essais"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail sortant")
        verbose_name_plural = _("e-mails sortants")
        indexes = [
            # What beat looks for: the unsent rows, by when they are due.
            models.Index(
                fields=["due_at"], condition=models.Q(sent_at=None), name="outbox_unsent_due"
            )
        ]

    def __str__(self):
        return f"{self.to}: {self.subject}"


class NoticePreference(models.Model):
    """How a person wants to hear of one kind of notice (tilab/notices.py). No row: the kind's
    default. Security notices have no row: they always go at once."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", _("Tout de suite")
        DIGEST = "digest", _("Dans le résumé quotidien")
        NONE = "none", _("Jamais")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notice_preferences",
        verbose_name=_("personne"),
    )
    kind = models.CharField(_("sorte d'avis"), max_length=64)
    delivery = models.CharField(_("envoi"), max_length=16, choices=Delivery.choices)
    updated_at = models.DateTimeField(_("modifié le"))

    class Meta:
        verbose_name = _("préférence d'avis")
        verbose_name_plural = _("préférences d'avis")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notice_preference_once"),
            models.CheckConstraint(
                condition=models.Q(delivery__in=["immediate", "digest", "none"]),
                name="notice_preference_delivery_known",
            ),
        ]

    def __str__(self):
        return f"{self.user}: {self.kind} → {self.delivery}"


class PendingNotice(models.Model):
    """A notice waiting for its person's daily digest, written in their language when its
    event happened. `digested_at` is set once a digest e-mail holds it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pending_notices",
        verbose_name=_("personne"),
    )
    kind = models.CharField(_("sorte d'avis"), max_length=64)
    key = models.CharField(_("clé"), max_length=300, unique=True)
    subject = models.CharField(_("objet"), max_length=998)
    body = models.TextField(_("texte"))
    created_at = models.DateTimeField(_("écrit le"))
    digested_at = models.DateTimeField(_("résumé envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("avis en attente du résumé")
        verbose_name_plural = _("avis en attente du résumé")
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                condition=models.Q(digested_at=None),
                name="notice_pending_per_user",
            )
        ]

    def __str__(self):
        return f"{self.user}: {self.subject}"


class KnownDevice(models.Model):
    """A browser a person has signed in with, known by the device cookie it was given at
    sign-in (`device_key`, a hash of it; empty for a browser known from before the cookie) and
    by its family, browser and system without a version (tilab.devices): a sign-in from
    another one is a security notice (tilab.security_notices)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="known_devices",
        verbose_name=_("personne"),
    )
    device_key = models.CharField(_("clé de l'appareil"), max_length=64, blank=True)
    family = models.CharField(_("famille de navigateur"), max_length=80)
    user_agent = models.CharField(_("navigateur"), max_length=300, blank=True)
    first_seen_at = models.DateTimeField(_("vu la première fois le"))
    last_seen_at = models.DateTimeField(_("vu la dernière fois le"))

    class Meta:
        verbose_name = _("appareil connu")
        verbose_name_plural = _("appareils connus")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "device_key"],
                condition=~models.Q(device_key=""),
                name="known_device_once",
            )
        ]
        indexes = [models.Index(fields=["user", "family"], name="known_device_family")]

    def __str__(self):
        return f"{self.user}: {self.user_agent[:40]}"
