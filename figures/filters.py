"""Filters on the production totals, shared by the public figures, the dashboard and the API."""

import datetime

import django_filters
from django.utils.translation import gettext_lazy as _

from makers.filters import DATE_PICKER, department_filter, item_type_filter
from tilab.filters import DayFilter, period_form

from .models import OrganisationKind, ProductionTotal


class ProductionTotalFilter(django_filters.FilterSet):
    """Filters on the totals: period (by ISO week), department, item type, producer kind."""

    period_start = DayFilter(
        field_name="week_start",
        method="filter_period_start",
        label=_("Du"),
        widget=DATE_PICKER,
    )
    period_end = DayFilter(
        field_name="week_start",
        lookup_expr="lte",
        label=_("Au"),
        widget=DATE_PICKER,
    )
    department = department_filter()
    item_type = item_type_filter()
    org_kind = django_filters.ChoiceFilter(
        choices=OrganisationKind.choices, label=_("Producteurs"), empty_label=_("Tous")
    )

    class Meta:
        model = ProductionTotal
        fields = []
        form = period_form("period_start", "period_end")

    def filter_period_start(self, queryset, name, value):
        # A week counts when it ends on or after the first day asked for.
        return queryset.filter(week_start__gt=value - datetime.timedelta(days=7))
