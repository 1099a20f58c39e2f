"""The refusals of cooperation pacts, each declared once (code, kind, message, field): the
services raise them, pages and the API show them (tilab/errors.py)."""

from django.utils.translation import gettext_lazy as _

from tilab.errors import BadInput, Code, NotAllowed, NotFound, WrongState

PARTY_NOT_FOUND = Code(
    "pact_party_not_found", NotFound, _("Aucune partie que vous représentez ne répond à ce numéro.")
)
COMMITMENT_NOT_FOUND = Code(
    "pact_commitment_not_found",
    NotFound,
    _("Aucun engagement de ce brouillon ne répond à ce numéro."),
)
PACT_NOT_EDITABLE = Code(
    "pact_not_editable",
    WrongState,
    _(
        "Ce texte n'est plus un brouillon : un texte proposé ou signé ne change plus. Proposez "
        "un avenant pour le modifier."
    ),
)
PACT_NOT_STEWARD = Code(
    "pact_not_steward",
    NotAllowed,
    _("Seuls la personne qui a rédigé ce pacte, les facilitateurs et la Région le modifient."),
)
PACT_DATES_ORDER = Code(
    "pact_dates_order", BadInput, _("La fin du pacte vient après son début."), "ends_on"
)
PACT_REVIEW_OUTSIDE = Code(
    "pact_review_outside",
    BadInput,
    _("Les dates de revue tombent entre le début et la fin du pacte."),
    "review_dates",
)
PACT_TEXT_MISSING = Code(
    "pact_text_missing",
    BadInput,
    _("Indiquez le titre, l'objet du pacte et les communs qu'il produit."),
    "title",
)
PACT_LICENCE_UNKNOWN = Code(
    "pact_licence_unknown", BadInput, _("Choisissez une licence ouverte de la liste."), "licence"
)
PACT_PARTIES_MISSING = Code(
    "pact_parties_missing",
    WrongState,
    _(
        "Un pacte réunit au moins une personne publique (Région, département, commune, Ti Lab) "
        "et au moins un acteur des communs (FabLab, collectif, maker)."
    ),
)
PARTY_INCOMPLETE = Code(
    "party_incomplete",
    BadInput,
    _("Indiquez l'organisation ou le maker de cette partie."),
    "organisation",
)
PARTY_REPRESENTATIVE_TWICE = Code(
    "party_representative_twice",
    BadInput,
    _("Cette personne signe déjà pour une autre partie de ce pacte."),
    "representative",
)
PARTY_REPRESENTATIVE_UNKNOWN = Code(
    "party_representative_unknown",
    BadInput,
    _("Aucun compte actif ne répond à cette adresse e-mail."),
    "representative",
)
COMMITMENT_AMOUNT = Code(
    "commitment_amount",
    BadInput,
    _("Un engagement financier indique un montant positif ; les autres n'en ont pas."),
    "amount_cents",
)
COMMITMENT_DESCRIPTION_MISSING = Code(
    "commitment_description_missing",
    BadInput,
    _("Décrivez ce que la partie apporte."),
    "description",
)
PACT_NOT_PROPOSED = Code(
    "pact_not_proposed", WrongState, _("Ce texte n'est pas proposé à la signature.")
)
PACT_SIGN_NOT_REPRESENTATIVE = Code(
    "pact_sign_not_representative",
    NotAllowed,
    _("Seul·e le ou la représentant·e de cette partie la signe, depuis son propre compte."),
)
PACT_ALREADY_SIGNED = Code(
    "pact_already_signed", WrongState, _("Cette partie a déjà signé ce texte.")
)
PACT_SIGN_NOT_CONFIRMED = Code(
    "pact_sign_not_confirmed",
    BadInput,
    _("Cochez la case : vous avez relu le texte et vous engagez la partie que vous représentez."),
    "confirm",
)
PACT_WRONG_STATE = Code(
    "pact_wrong_state",
    WrongState,
    _("Le pacte est « %(status)s » : cette étape ne s'y applique pas."),
)
PACT_NOT_STARTED = Code(
    "pact_not_started",
    WrongState,
    _("Le pacte commence le %(starts_on)s : il s'active à partir de cette date."),
)
PACT_AMENDMENT_OPEN = Code(
    "pact_amendment_open",
    WrongState,
    _("Un avenant est déjà en cours de rédaction ou de signature."),
)
PACT_NOT_PARTY = Code(
    "pact_not_party",
    NotAllowed,
    _("Seules les parties du pacte et les facilitateurs agissent sur un pacte signé."),
)
REPORT_SUMMARY_MISSING = Code(
    "pact_report_summary_missing",
    BadInput,
    _("Dites en quelques mots ce que le pacte a fait."),
    "summary",
)
REPORT_FIGURE_INVALID = Code(
    "pact_report_figure_invalid",
    BadInput,
    _("Chaque chiffre a un intitulé et une valeur entière positive ou nulle."),
    "figures",
)
REPORT_ATTACHMENT_TOO_BIG = Code(
    "pact_report_attachment_too_big",
    BadInput,
    _("La pièce jointe « %(name)s » dépasse %(limit)s Mo."),
    "attachments",
)
REPORT_TOO_MANY_ATTACHMENTS = Code(
    "pact_report_too_many_attachments",
    BadInput,
    _("Un rapport porte au plus %(limit)s pièces jointes."),
    "attachments",
)
MOTIVATION_MISSING = Code(
    "pact_motivation_missing", BadInput, _("Indiquez le motif."), "motivation"
)
PACT_PDF_UNAVAILABLE = Code(
    "pact_pdf_unavailable",
    WrongState,
    _("Ce serveur ne sait pas écrire de PDF pour le moment : l'exploitant est prévenu."),
)
