"""The auditor's view: reads of the money ledger and of the decision log, and their filters,
shared by the pages and the API. Auditors and Région staff read them; relay staff do not (the
ledger and the decisions span every relay, and a relay's own money is on its pages)."""

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from subsidies.models import LedgerEntry
from tilab.filters import DayFilter, IdFilter, period_form
from tilab.models import Decision


def ledger_entries() -> QuerySet[LedgerEntry]:
    """Every entry of the ledger, with what a row shows, in a fixed number of queries."""
    return LedgerEntry.objects.select_related("programme", "actor")


def decisions() -> QuerySet[Decision]:
    """Every decision of the platform (money, reports, workshops…), with what a row shows."""
    return Decision.objects.select_related("actor", "content_type")


def _object_types() -> list[tuple[str, str]]:
    types = ContentType.objects.filter(
        pk__in=Decision.objects.values("content_type").distinct().order_by()
    ).order_by("app_label", "model")
    return [(f"{t.app_label}.{t.model}", f"{t.app_label}.{t.model}") for t in types]


class DecisionFilter(django_filters.FilterSet):
    """Filters on decisions: the object (its type, and its id), the person, a date range (in
    the platform's time zone, both days included), the action."""

    object_type = django_filters.ChoiceFilter(
        method="filter_object_type",
        choices=_object_types,
        label=_("Type d'objet"),
        empty_label=_("Tous"),
        help_text=_("« subsidies.allocation », « makers.productionreport »…"),
    )
    object_id = django_filters.CharFilter(
        field_name="object_id", label=_("Identifiant de l'objet"), max_length=64
    )
    actor = IdFilter(field_name="actor_id", label=_("Personne (identifiant)"))
    action = django_filters.CharFilter(field_name="action", label=_("Action"), max_length=50)
    decided_from = DayFilter(field_name="decided_at", lookup_expr="date__gte", label=_("Du (date)"))
    decided_to = DayFilter(field_name="decided_at", lookup_expr="date__lte", label=_("Au (date)"))

    class Meta:
        model = Decision
        fields = []
        form = period_form("decided_from", "decided_to")

    def filter_object_type(self, queryset, name, value: str):
        app_label, _dot, model = value.partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


class LedgerFilter(django_filters.FilterSet):
    programme = IdFilter(field_name="programme_id", label=_("Programme (identifiant)"))
    kind = django_filters.ChoiceFilter(
        choices=LedgerEntry.Kind.choices, label=_("Mouvement"), empty_label=_("Tous")
    )

    class Meta:
        model = LedgerEntry
        fields = []
