"""Filters on the workshops of the API. They narrow what the selectors already scoped to the
caller; a department or theme that does not exist simply matches nothing."""

import django_filters
from django.utils.translation import gettext_lazy as _

from tilab.filters import MomentFilter

from .models import Workshop


class WorkshopFilter(django_filters.FilterSet):
    department = django_filters.CharFilter(
        field_name="department_id", label=_("Département (code INSEE, « 35 »)")
    )
    theme = django_filters.CharFilter(
        field_name="theme__slug", label=_("Thème (identifiant, « cooperation »)")
    )
    starts_after = MomentFilter(
        field_name="starts_at",
        lookup_expr="gte",
        label=_("Commence à partir de (date ISO 8601, heure de Paris sans décalage précisé)"),
    )
    starts_before = MomentFilter(
        field_name="starts_at",
        lookup_expr="lt",
        label=_("Commence avant (date ISO 8601, heure de Paris sans décalage précisé)"),
    )
    status = django_filters.ChoiceFilter(
        choices=Workshop.Status.choices, label=_("État"), empty_label=_("Tous")
    )

    class Meta:
        model = Workshop
        fields = []
