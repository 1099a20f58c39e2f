"""The refusals of organisations' own data, each declared once (code, kind, message, field):
a SIRET that is not one (tilab/errors.py)."""

from django.utils.translation import gettext_lazy as _

from tilab.errors import BadInput, Code

SIRET_LENGTH = Code(
    "siret_length", BadInput, _("Un SIRET compte 14 chiffres (%(count)s saisis)."), "siret"
)
SIRET_NOT_DIGITS = Code(
    "siret_not_digits", BadInput, _("Un SIRET ne contient que des chiffres."), "siret"
)
SIRET_CHECKSUM = Code(
    "siret_checksum",
    BadInput,
    _("Ce SIRET n'existe pas : sa clé de contrôle est fausse. Vérifiez chaque chiffre."),
    "siret",
)
