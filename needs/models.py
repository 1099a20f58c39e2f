"""Care establishments' needs, the network's pledges and deliveries, confirmed by the
establishment through a signed link."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fablabs.models import Organisation
from makers.models import MAX_QUANTITY, CorroborationWithheld, ItemType, Maker
from tilab.models import Department


class Establishment(models.Model):
    """A place that cares for people and receives what the network makes. Not a member of the
    network's directory: it asks, the network answers."""

    class CareType(models.TextChoices):
        HOSPITAL = "hospital", _("hôpital ou clinique")
        EHPAD = "ehpad", _("EHPAD")
        PHARMACY = "pharmacy", _("pharmacie")
        MEDICAL_PRACTICE = "medical_practice", _("cabinet médical")
        HOME_CARE = "home_care", _("service de soins à domicile")
        OTHER = "other", _("autre")

    name = models.CharField(_("nom"), max_length=200)
    care_type = models.CharField(_("type"), max_length=30, choices=CareType.choices)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("département")
    )
    commune = models.CharField(_("commune"), max_length=100)
    created_at = models.DateTimeField(_("créé le"))

    class Meta:
        verbose_name = _("établissement")
        verbose_name_plural = _("établissements")
        constraints = [
            models.UniqueConstraint(
                fields=["name", "commune", "department"], name="establishment_unique"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.commune})"


class Need(models.Model):
    """What an establishment lacks. Published once its contact confirms the e-mail address;
    relays and facilitators may take it down."""

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("adresse à confirmer")
        OPEN = "open", _("ouvert")
        FULFILLED = "fulfilled", _("satisfait")
        EXPIRED = "expired", _("expiré")
        WITHDRAWN = "withdrawn", _("retiré par l'établissement")
        REMOVED = "removed", _("retiré par la modération")

    establishment = models.ForeignKey(Establishment, on_delete=models.PROTECT, related_name="needs")
    item_type = models.ForeignKey(
        ItemType, on_delete=models.PROTECT, related_name="+", verbose_name=_("objet")
    )
    quantity = models.PositiveIntegerField(_("quantité"))
    needed_by = models.DateField(_("pour le"))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("département")
    )
    delivery_constraints = models.TextField(_("conditions de livraison"), blank=True)
    contact_name = models.CharField(_("personne à contacter"), max_length=150)
    contact_email = models.EmailField(_("adresse e-mail de contact"))
    # The language the need was posted in: the contact's e-mails are written in it.
    language = models.CharField(_("langue"), max_length=8, default="fr", db_default="fr")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("déposé le"))
    confirmed_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)
    status = models.CharField(
        _("état"), max_length=20, choices=Status.choices, default=Status.UNCONFIRMED
    )
    closed_at = models.DateTimeField(_("clos le"), null=True, blank=True)
    moderation_reason = models.TextField(_("motif de la modération"), blank=True)
    # A relay or a facilitator checked that the establishment and its contact are real: only
    # then does a delivery to this need corroborate production (needs/selectors.py).
    checked_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vérifié par"),
    )

    class Meta:
        verbose_name = _("besoin")
        verbose_name_plural = _("besoins")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_QUANTITY),
                name="need_quantity_bounded",
            ),
            models.CheckConstraint(
                condition=Q(status="unconfirmed") | Q(confirmed_at__isnull=False),
                name="need_published_once_confirmed",
            ),
            models.CheckConstraint(
                condition=~Q(status="removed") | ~Q(moderation_reason=""),
                name="need_removal_has_a_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "department", "item_type"])]

    def __str__(self):
        return f"{self.establishment}: {self.quantity} × {self.item_type}"


class Pledge(models.Model):
    """A maker or an organisation promises part of a need."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("engagée")
        WITHDRAWN = "withdrawn", _("retirée")

    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="pledges")
    maker = models.ForeignKey(
        Maker, on_delete=models.PROTECT, null=True, blank=True, related_name="pledges"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="pledges"
    )
    quantity = models.PositiveIntegerField(_("quantité promise"))
    message = models.TextField(_("message"), blank=True)
    pledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    pledged_at = models.DateTimeField(_("promis le"))
    status = models.CharField(
        _("état"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )

    class Meta:
        verbose_name = _("promesse")
        verbose_name_plural = _("promesses")
        constraints = [
            models.CheckConstraint(
                condition=Q(maker__isnull=False, organisation__isnull=True)
                | Q(maker__isnull=True, organisation__isnull=False),
                name="pledge_one_producer",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_QUANTITY),
                name="pledge_quantity_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} → {self.need}"

    @property
    def producer_name(self) -> str:
        return self.maker.display_name if self.maker_id else self.organisation.name


class Delivery(models.Model):
    """What a producer says they delivered against a pledge; the establishment confirms what it
    received (once: confirming again changes nothing)."""

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="deliveries")
    quantity = models.PositiveIntegerField(_("quantité livrée"))
    delivered_on = models.DateField(_("livré le"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("enregistrée le"))
    confirmed_quantity = models.PositiveIntegerField(_("quantité reçue"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    # Set at confirmation when the delivery proves nothing (the establishment's contact is the
    # producer, the need was never checked...): the producer's reports are not corroborated.
    corroboration_withheld = models.CharField(
        _("non probante"),
        max_length=30,
        null=True,
        blank=True,
        choices=CorroborationWithheld.choices,
    )

    class Meta:
        verbose_name = _("livraison")
        verbose_name_plural = _("livraisons")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_QUANTITY),
                name="delivery_quantity_bounded",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True, confirmed_quantity__isnull=True)
                | Q(
                    confirmed_at__isnull=False,
                    confirmed_quantity__isnull=False,
                    confirmed_quantity__lte=models.F("quantity"),
                ),
                name="delivery_confirmation_consistent",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} ({self.delivered_on})"


class NeedMessage(models.Model):
    """A message between an establishment and a producer who pledged, relayed by e-mail: no
    address is ever shown to the other side."""

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="messages")
    from_establishment = models.BooleanField()
    body = models.TextField(_("message"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("écrit le"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return self.body[:40]
