"""Filters on the needs of the API. They narrow what the caller may already see; a department
or item that does not exist simply matches nothing."""

import django_filters
from django.utils.translation import gettext_lazy as _

from tilab.filters import IdFilter

from .models import Need, Pledge


class NeedFilter(django_filters.FilterSet):
    department = django_filters.CharFilter(
        field_name="department_id", label=_("Département (code INSEE, « 35 »)")
    )
    item_type = django_filters.CharFilter(
        field_name="item_type__slug", label=_("Objet (identifiant, « visor »)")
    )
    status = django_filters.ChoiceFilter(
        choices=Need.Status.choices,
        label=_("État (suivi du réseau : facilitateurs et relais ; par défaut, ouverts)"),
        empty_label=_("Ouverts"),
    )

    class Meta:
        model = Need
        fields = []


class PledgeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=Pledge.Status.choices, label=_("État"), empty_label=_("Tous")
    )
    need = IdFilter(field_name="need_id", label=_("Besoin"))

    class Meta:
        model = Pledge
        fields = []
