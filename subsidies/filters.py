"""Filters on programmes, allocations and redistributions, shared by the pages and the API.

They narrow what the selectors already scoped to the caller. Programmes and relays are given by
id and never checked for existence: an id the caller may not see simply matches nothing.
"""

import django_filters
from django.utils.translation import gettext_lazy as _

from tilab.filters import IdFilter

from . import selectors
from .models import Allocation, Programme, Redistribution


class ProgrammeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=Programme.Status.choices, label=_("État"), empty_label=_("Tous")
    )
    basis = django_filters.ChoiceFilter(
        choices=Programme.Basis.choices, label=_("Base de calcul"), empty_label=_("Toutes")
    )
    relay = IdFilter(
        method="filter_relay",
        label=_("Relais (identifiant)"),
        help_text=_("Les programmes où ce relais a une allocation que vous voyez."),
    )

    class Meta:
        model = Programme
        fields = []

    def filter_relay(self, queryset, name, value):
        # Through the allocations the caller sees: no one learns which other relays take part.
        user = getattr(self.request, "user", None)
        allocations = selectors.allocations_visible_to(user) if user else Allocation.objects.none()
        return queryset.filter(pk__in=allocations.filter(relay_id=value).values("programme"))


class AllocationFilter(django_filters.FilterSet):
    programme = IdFilter(field_name="programme_id", label=_("Programme (identifiant)"))
    relay = IdFilter(field_name="relay_id", label=_("Relais (identifiant)"))
    status = django_filters.ChoiceFilter(
        choices=Allocation.Status.choices, label=_("État"), empty_label=_("Tous")
    )

    class Meta:
        model = Allocation
        fields = []


class RedistributionFilter(django_filters.FilterSet):
    programme = IdFilter(field_name="allocation__programme_id", label=_("Programme (identifiant)"))
    relay = IdFilter(field_name="allocation__relay_id", label=_("Relais (identifiant)"))
    status = django_filters.ChoiceFilter(
        choices=Redistribution.Status.choices, label=_("État"), empty_label=_("Tous")
    )

    class Meta:
        model = Redistribution
        fields = []
