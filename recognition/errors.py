"""The refusals of recognition (attestations), each declared once: code, kind, message, field
(tilab/errors.py)."""

from django.utils.translation import gettext_lazy as _

from tilab.errors import Code, NotFound, WrongState

ATTESTATION_NOT_FOUND = Code(
    "attestation_not_found",
    NotFound,
    _("Aucune attestation ne porte ce code : vérifiez-le sur le document."),
    "code",
)
ORGANISATION_NOT_MANAGED = Code(
    "organisation_not_managed",
    NotFound,
    _("Vous ne gérez aucune organisation « %(slug)s »."),
    "organisation",
)
ATTESTATION_MAKER_PROFILE_MISSING = Code(
    "attestation_maker_profile_missing",
    WrongState,
    _("Complétez d'abord votre profil de maker : l'attestation dit ce que ce profil a fait."),
)
ATTESTATION_PDF_UNAVAILABLE = Code(
    "attestation_pdf_unavailable",
    WrongState,
    _(
        "Le serveur ne peut pas produire de PDF pour l'instant : l'attestation n'a pas été "
        "délivrée. Réessayez plus tard ou prévenez l'équipe Ti Lab."
    ),
)
