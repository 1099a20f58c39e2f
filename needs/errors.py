"""The refusals of needs, pledges and deliveries, each declared once (code, kind, message,
field): the services raise them, pages and the API show them (tilab/errors.py)."""

from django.utils.translation import gettext_lazy as _

from tilab.errors import BadInput, Code, NotAllowed, WrongState

QUANTITY_OUT_OF_RANGE = Code(
    "quantity_out_of_range", BadInput, _("La quantité va de 1 à 100 000."), "quantity"
)

# --- Signed links ---------------------------------------------------------------------------

LINK_INVALID = Code(
    "link_invalid",
    BadInput,
    _(
        "Ce lien de confirmation n'est pas valide (incomplet ou modifié) : reprenez le lien exact "
        "de l'e-mail reçu."
    ),
    "token",
)
LINK_EXPIRED = Code(
    "link_expired",
    WrongState,
    _(
        "Ce lien a expiré : il a fait son office. Demandez les liens de vos besoins en cours "
        "avec votre adresse e-mail."
    ),
    "token",
)
DELIVERY_LINK_OF_ANOTHER_DELIVERY = Code(
    "delivery_link_of_another_delivery",
    BadInput,
    _("Ce lien de confirmation concerne une autre livraison."),
    "token",
)

# --- Needs ----------------------------------------------------------------------------------

ESTABLISHMENT_INCOMPLETE = Code(
    "establishment_incomplete",
    BadInput,
    _("Indiquez le nom de l'établissement et sa commune."),
    "establishment_name",
)
CARE_TYPE_UNKNOWN = Code(
    "care_type_unknown", BadInput, _("Choisissez le type d'établissement."), "care_type"
)
NEEDED_BY_PAST = Code("needed_by_past", BadInput, _("La date souhaitée est passée."), "needed_by")
CONTACT_NAME_MISSING = Code(
    "contact_name_missing", BadInput, _("Indiquez la personne à contacter."), "contact_name"
)
ITEM_TYPE_NOT_OFFERED = Code(
    "item_type_not_offered", BadInput, _("Cet objet n'est plus proposé."), "item_type"
)
NEED_ALREADY_CLOSED = Code("need_already_closed", WrongState, _("Ce besoin est déjà clos."))
MODERATION_REASON_MISSING = Code(
    "moderation_reason_missing",
    BadInput,
    _("Indiquez le motif de la modération."),
    "reason",
)
NEED_ALREADY_REMOVED = Code("need_already_removed", WrongState, _("Ce besoin est déjà retiré."))
NEED_REMOVED = Code(
    "need_removed",
    WrongState,
    _("Ce besoin a été retiré par la modération : il ne reçoit plus ni livraison ni confirmation."),
)

# --- Checking a need (before its deliveries corroborate production) ------------------------

NEED_NOT_PUBLISHED = Code(
    "need_not_published",
    WrongState,
    _("Ce besoin n'est pas publié (adresse à confirmer, ou retiré) : rien à vérifier."),
)
NEED_ALREADY_CHECKED = Code("need_already_checked", WrongState, _("Ce besoin est déjà vérifié."))
NEED_CHECK_BY_ITS_AUTHOR = Code(
    "need_check_by_its_author",
    NotAllowed,
    _(
        "Vous avez déposé ce besoin, ou vous en êtes le contact : un autre membre d'un relais "
        "qui couvre son département, ou un facilitateur, le vérifie."
    ),
)

# --- Pledges --------------------------------------------------------------------------------

PRODUCER_AMBIGUOUS = Code(
    "producer_ambiguous",
    BadInput,
    _("Promettez en votre nom ou au nom d'une organisation."),
)
MAKER_PROFILE_REQUIRED = Code(
    "maker_profile_required",
    NotAllowed,
    _("Il faut un profil de maker pour promettre en votre nom."),
)
NEED_NOT_OPEN = Code("need_not_open", WrongState, _("Ce besoin n'est plus ouvert."))
ALREADY_PLEDGED = Code(
    "already_pledged",
    WrongState,
    _("Vous avez déjà promis pour ce besoin : retirez d'abord votre promesse."),
)
PLEDGE_ALREADY_WITHDRAWN = Code(
    "pledge_already_withdrawn", WrongState, _("Cette promesse est déjà retirée.")
)
PLEDGE_HAS_DELIVERY = Code(
    "pledge_has_delivery",
    WrongState,
    _("Une livraison est enregistrée : la promesse ne se retire plus."),
)

# --- Deliveries -----------------------------------------------------------------------------

DELIVERED_ON_IN_FUTURE = Code(
    "delivered_on_in_future",
    BadInput,
    _("La date de livraison ne peut pas être dans le futur."),
    "delivered_on",
)
PLEDGE_WITHDRAWN = Code("pledge_withdrawn", WrongState, _("Cette promesse est retirée."))
DELIVERY_BEYOND_PRODUCTION = Code(
    "delivery_beyond_production",
    WrongState,
    _(
        "Vos déclarations de production comptent %(produced)s pour cet objet, dont "
        "%(delivered)s déjà livrés : déclarez d'abord ce que vous avez produit."
    ),
)
RECEIVED_QUANTITY_OUT_OF_RANGE = Code(
    "received_quantity_out_of_range",
    BadInput,
    _("Indiquez une quantité reçue entre 0 et %(max)s."),
    "confirmed_quantity",
)

# --- Messages -------------------------------------------------------------------------------

MESSAGE_EMPTY = Code("message_empty", BadInput, _("Le message est vide."), "body")

# --- Posting limits (a need e-mails the address typed in) -----------------------------------------

CONTACT_EMAIL_BUSY = Code(
    "contact_email_busy",
    WrongState,
    _(
        "Cette adresse a déjà reçu plusieurs besoins à confirmer ces dernières 24 heures : "
        "confirmez d'abord ceux-là, ou réessayez demain."
    ),
    "contact_email",
)
