"""Filters on production reports, shared by the pages, the API and the exports (the filters
on the totals are in `figures.filters`)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fablabs.models import Organisation
from tilab.filters import DayFilter, period_form
from tilab.models import Department

from .models import ItemType, Maker, ProductionReport

DATE_PICKER = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def department_filter():
    """A department given by its INSEE code, as every page and API filter takes it."""
    return django_filters.ModelChoiceFilter(
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        label=_("Département"),
        empty_label=_("Tous"),
    )


def item_type_filter():
    """An item of the catalogue given by its slug."""
    return django_filters.ModelChoiceFilter(
        queryset=ItemType.objects.order_by("position", "slug"),
        to_field_name="slug",
        label=_("Article"),
        empty_label=_("Tous"),
    )


class ProductionReportFilter(django_filters.FilterSet):
    department = department_filter()
    item_type = item_type_filter()
    status = django_filters.ChoiceFilter(
        choices=ProductionReport.Status.choices, label=_("Statut"), empty_label=_("Tous")
    )
    maker = django_filters.ModelChoiceFilter(
        queryset=Maker.objects.all(), label=_("Maker (identifiant)")
    )
    maker_name = django_filters.CharFilter(
        method="filter_maker_name", label=_("Maker"), help_text=_("Tout ou partie du nom.")
    )
    organisation = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.all(), label=_("Organisation (identifiant)")
    )
    produced_after = DayFilter(
        field_name="produced_on",
        lookup_expr="gte",
        label=_("Produit à partir du"),
        widget=DATE_PICKER,
    )
    produced_before = DayFilter(
        field_name="produced_on",
        lookup_expr="lte",
        label=_("Produit jusqu'au"),
        widget=DATE_PICKER,
    )
    # A likely double count of another report (makers/selectors.py, "Likely double counts").
    suspected_duplicate = django_filters.BooleanFilter(
        label=_("Double compte probable"),
        widget=forms.Select(choices=[("", _("Tous")), ("true", _("Oui")), ("false", _("Non"))]),
    )
    corroborated = django_filters.BooleanFilter(
        method="filter_corroborated",
        label=_("Corroborée par une livraison"),
        widget=forms.Select(choices=[("", _("Tous")), ("true", _("Oui")), ("false", _("Non"))]),
    )

    class Meta:
        model = ProductionReport
        fields = []
        form = period_form("produced_after", "produced_before")

    def filter_corroborated(self, queryset, name, value):
        return queryset.filter(corroborated_at__isnull=not value)

    def filter_maker_name(self, queryset, name, value):
        words = value.split()
        condition = Q()
        for word in words:
            condition &= Q(maker__display_name__icontains=word)
        return queryset.filter(condition)


class ItemAliasFilter(django_filters.FilterSet):
    item_type = item_type_filter()
    text = django_filters.CharFilter(
        field_name="text", lookup_expr="icontains", label=_("Nom (tout ou partie)")
    )
