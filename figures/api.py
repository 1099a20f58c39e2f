"""API of the figures: production totals per week, or grouped. Public: no names.

Registered by the root urls as `/api/v1/figures/` (basename "figures").
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, mixins, viewsets
from rest_framework.response import Response

from makers.models import ItemType
from tilab.pagination import CursorPagination
from tilab.permissions import PUBLIC
from tilab.public_cache import cached_for_everyone
from tilab.schema import error_responses
from tilab.throttling import AnonThrottle

from . import open_data, selectors
from .filters import ProductionTotalFilter
from .serializers import (
    FigureRowPageSerializer,
    FigureRowSerializer,
    FiguresBreakdownSerializer,
)

# The answer to a filter or a grouping the API does not know, as every endpoint documents it.
BAD_INPUT = error_responses(
    400, about={400: gettext_lazy("Données invalides : chaque champ en cause est nommé.")}
)


class FiguresPagination(CursorPagination):
    # Weeks in time, then the rest of the bucket: a unique order, so no cursor skips a row.
    # (Cursors position on the first field only; the others break ties within a week.)
    ordering = ("week_start", "department_id", "item_type_id", "org_kind")


# A page of weekly totals, or (with `group_by`) the totals grouped: an object, never a list.
FIGURES = PolymorphicProxySerializer(
    component_name="Figures",
    serializers=[FigureRowPageSerializer, FiguresBreakdownSerializer],
    resource_type_field_name=None,
    many=False,
)


def _keyed(groups: list[dict], dimension: str) -> list[dict]:
    """Group keys as the filters take them: an item's slug rather than its id, dates in ISO."""
    slugs = dict(ItemType.objects.values_list("pk", "slug")) if dimension == "item_type" else {}
    for group in groups:
        key = group["key"]
        if dimension == "item_type":
            key = slugs.get(key, key)
        elif dimension == "week":
            key = key.isoformat()
        group["key"] = None if key is None else str(key)
    return groups


class FiguresViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Production figures: validated production per ISO week, department, item type and
    producer kind, read from the totals the platform keeps up to date. Public: no names.

    Without `group_by`: the weekly total rows, by cursor, oldest week first. With `group_by`
    (week, department, relay, item_type or org_kind): the same rows summed per group, with the
    overall totals, in one unpaginated answer. The filters apply to both.

    Small counts: the public (anonymous callers, and signed-in people who do not see the staff
    dashboard) gets only the weekly totals made by at least `TILAB_PUBLIC_MIN_PRODUCERS` (3 by
    default) distinct producers (an organisation counts once, whatever its members; a maker on
    their own once), as the figures page and the open data; every sum is made from
    those rows alone, so none reveals a withheld total. Région and relay staff and auditors get
    the exact figures, every total included, as their dashboard shows them.
    """

    serializer_class = FigureRowSerializer
    permission = PUBLIC
    filterset_class = ProductionTotalFilter
    pagination_class = FiguresPagination

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        # Outside DRF: an anonymous reader's answer comes from the cache before any of its work,
        # counted by the anonymous limit all the same.
        return cached_for_everyone(
            version=selectors.TOTALS_VERSION, prefix="figures", counted=AnonThrottle
        )(super().as_view(actions, **initkwargs))

    def get_queryset(self):
        return selectors.production_totals(exact=selectors.figures_exact_for(self.request.user))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "relays": open_data.relay_names()}

    @extend_schema(
        summary=gettext_lazy("Chiffres de production, par semaine ou regroupés"),
        parameters=[
            OpenApiParameter(
                "group_by",
                str,
                enum=list(selectors.FIGURE_DIMENSIONS),
                description=gettext_lazy(
                    "Regrouper les totaux par semaine, département, relais, article ou type "
                    "de producteur ; sans lui, les lignes hebdomadaires page par page."
                ),
            )
        ],
        responses={200: FIGURES, **BAD_INPUT},
    )
    def list(self, request, *args, **kwargs):
        group_by = request.query_params.get("group_by")
        if not group_by:
            return super().list(request, *args, **kwargs)
        if group_by not in selectors.FIGURE_DIMENSIONS:
            raise exceptions.ValidationError(
                {
                    "group_by": [
                        _("« %(value)s » n'est pas un regroupement connu : choisissez %(allowed)s.")
                        % {"value": group_by, "allowed": ", ".join(selectors.FIGURE_DIMENSIONS)}
                    ]
                }
            )
        totals = self.filter_queryset(self.get_queryset())
        breakdown = {
            "group_by": group_by,
            "overall": selectors.figures_overall(totals),
            "results": _keyed(selectors.figures_by(totals, group_by), group_by),
        }
        return Response(FiguresBreakdownSerializer(breakdown).data)
