"""The refusals of the staff exports, each declared once (code, kind, message, field): the
services raise them, the exports page shows them (tilab/errors.py)."""

from django.utils.translation import gettext_lazy as _

from tilab.errors import BadInput, Code, NotAllowed, WrongState

EXPORT_FORMAT_UNKNOWN = Code(
    "export_format_unknown", BadInput, _("Format inconnu : %(format)s."), "format"
)
EXPORT_FILTERS_UNKNOWN = Code(
    "export_filters_unknown", BadInput, _("Filtres inconnus : %(names)s.")
)
# One per filter in error, on its field: its label, then what the filter form says of it.
EXPORT_FILTER_INVALID = Code("export_filter_invalid", BadInput, _("%(label)s : %(errors)s"))
EXPORT_TOO_LARGE = Code(
    "export_too_large",
    BadInput,
    _(
        "Cet export compterait %(count)s lignes : au-delà de %(max)s en %(format)s, "
        "choisissez une période ou un département plus restreints (ou le format CSV)."
    ),
)
EXPORT_NO_LONGER_ALLOWED = Code(
    "export_no_longer_allowed",
    NotAllowed,
    _("Vous n'avez plus le droit d'exporter les déclarations."),
)
EXPORT_NOT_RETRYABLE = Code(
    "export_not_retryable",
    WrongState,
    _("L'export n° %(id)s est %(status)s : il n'y a rien à relancer."),
)
