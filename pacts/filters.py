"""Filters of the API's register of pacts: the page's own (selectors.register_filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Pact, Party, Theme


def _by(name):
    def method(queryset, _name, value):
        return selectors.register_filter(queryset, **{name: value})

    return method


class PactFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Rechercher"), method=_by("q"))
    department = django_filters.CharFilter(
        label=_("Département (code INSEE, « 35 »)"), method=_by("department")
    )
    party_kind = django_filters.ChoiceFilter(
        label=_("Type de partie"), choices=Party.Kind.choices, method=_by("party_kind")
    )
    theme = django_filters.ChoiceFilter(
        label=_("Thème"), choices=Theme.choices, method=_by("theme")
    )

    class Meta:
        model = Pact
        fields = []
