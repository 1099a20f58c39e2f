"""API of the production domain: item catalogue, makers and production reports."""

import django_filters
import rules
from django.db.models import Q, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fablabs.selectors import departments_covered_by
from tilab.models import Department
from tilab.pagination import CursorPagination
from tilab.permissions import PUBLIC, SIGNED_IN
from tilab.schema import AnyOf, error_responses
from tilab.serializers import ModelSerializer, SlugRelatedField

from . import errors, selectors, services
from .filters import ItemAliasFilter, ProductionReportFilter
from .models import ItemAlias, ItemType, Maker, ProductionReport
from .serializers import (
    BulkDecisionSerializer,
    BulkRejectionSerializer,
    MakerCreateSerializer,
    MakerPublicSerializer,
    MakerStaffSerializer,
    ProductionReportCorrectionSerializer,
    ProductionReportCreateSerializer,
    ProductionReportOutputSerializer,
    ProductionReportUpdateSerializer,
    SingleRejectionSerializer,
)


class ItemTypeSerializer(ModelSerializer):
    class Meta:
        model = ItemType
        fields = ["slug", "name_fr", "name_en", "unit_fr", "unit_en"]


class ItemTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The catalogue of items makers can report. Public."""

    serializer_class = ItemTypeSerializer
    permission = PUBLIC
    pagination_class = None
    lookup_field = "slug"
    # A slug, as the model's field takes it; anything else is no item (a JSON 404).
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_queryset(self):
        return selectors.item_types_active()


# What the error answers mean here (tilab/schema.py); the exception handler gives them.
ERRORS_ABOUT = {
    400: gettext_lazy("Données invalides : chaque champ en cause est nommé."),
    403: gettext_lazy("Action non permise, avec la raison."),
    409: gettext_lazy("L'état de la déclaration l'empêche."),
}


def _errors(*statuses: int) -> dict:
    return error_responses(*statuses, about=ERRORS_ABOUT)


# --- Production reports --------------------------------------------------------------------


class NewestFirstPagination(CursorPagination):
    # The primary key is unique and never changes: a stable cursor, newest entries first.
    ordering = "-pk"


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Déclarations visibles")),
    retrieve=extend_schema(
        summary=gettext_lazy("Une déclaration"),
        responses={200: ProductionReportOutputSerializer, **_errors(404)},
    ),
)
class ProductionReportViewSet(viewsets.ModelViewSet):
    """Production reports: what makers produced, and the relays' decisions on them.

    A maker sees their own reports, relay staff those of the departments their relay covers,
    Région staff and auditors every report, anyone else none; any other report answers 404.
    Makers enter their own production, relay staff that of makers of their departments (who may
    have no account), and get 201 with the report, flagged if it looks like a double count.
    A report awaiting a decision (or rejected) may be changed or withdrawn by its maker or its
    relay; a validated one only through a correction (`{id}/correct/`), which supersedes it
    once validated.
    Four eyes decide who decides (`to_be_decided_by`, `you_may_decide`): relay staff covering
    the report's department, never on a report they made, entered, imported or last changed;
    the relay's own reports (its organisation's, its staff's, those its staff entered) go to
    Région staff, or to another staffer when the network sets it so. Every refusal has its
    code and says who decides instead. Every decision is written to the decision log. Newest
    reports first, by cursor.
    """

    serializer_class = ProductionReportOutputSerializer
    # What one sees is scoped by `selectors.reports_visible_to` (anything else: 404). Makers
    # and relay staff enter reports; the maker or the relay changes an open one. Deciding is
    # left to the services, which give the reason a decision is refused.
    permission = SIGNED_IN
    permissions_by_action = {"create": "makers.submit_reports"}
    object_permissions_by_action = dict.fromkeys(
        ["update", "partial_update", "destroy", "correct"], "makers.change_report"
    )
    filterset_class = ProductionReportFilter
    pagination_class = NewestFirstPagination
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if self.action in ("list", "retrieve"):
            return selectors.reports_visible_to(self.request.user)
        # A write finds its report without the double counts; its answer reads them (_render).
        return selectors.reports_to_act_on(self.request.user)

    def filter_queryset(self, queryset):
        # The list's filters (the likely double counts among them) apply to reads only.
        if self.action not in ("list", "retrieve"):
            return queryset
        return super().filter_queryset(queryset)

    def _render(self, reports):
        """Reports written by a service, as a read shows them: their likely double counts
        found for them alone (`selectors.double_counts_of_written`), not read again through
        the list's query. A report moved to a department the writer does not cover is still
        shown to them."""
        reports = list(reports)
        # What the answer shows of each, for those a service did not load: a query per
        # relation, not per report (a bulk decision answers many).
        prefetch_related_objects(reports, "maker", "organisation", "item_type", "decided_by")
        selectors.double_counts_of_written(reports)
        return self.get_serializer(reports, many=True).data

    def _render_one(self, report, *, status_code=status.HTTP_200_OK) -> Response:
        return Response(self._render([report])[0], status=status_code)

    @extend_schema(
        summary=gettext_lazy("Saisir une déclaration"),
        request=ProductionReportCreateSerializer,
        responses={201: ProductionReportOutputSerializer, **_errors(400, 403)},
    )
    def create(self, request, *args, **kwargs):
        """A maker leaves `maker` out; relay staff name a maker of their departments."""
        user = request.user
        makers = Maker.objects.filter(user=user)
        if user.has_perm("makers.enter_reports"):
            makers = Maker.objects.filter(
                Q(pk__in=selectors.makers_decided_by(user).values("pk")) | Q(user=user)
            )
        serializer = ProductionReportCreateSerializer(data=request.data, makers=makers)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        maker = data.pop("maker", None) or selectors.maker_of(user)
        if maker is None:
            if user.has_perm("makers.enter_reports"):
                raise errors.MAKER_MISSING()
            raise errors.MAKER_PROFILE_MISSING(
                url=request.build_absolute_uri(reverse("makers:space"))
            )
        report = services.production_report_submit(by=user, now=timezone.now(), maker=maker, **data)
        return self._render_one(report, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy(
            "Modifier une déclaration en attente (ou corriger une déclaration refusée)"
        ),
        request=ProductionReportUpdateSerializer,
        responses={200: ProductionReportOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    def update(self, request, *args, **kwargs):
        report = self.get_object()
        serializer = ProductionReportUpdateSerializer(
            data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        report = services.production_report_update(
            report=report, by=request.user, now=timezone.now(), **serializer.validated_data
        )
        return self._render_one(report)

    @extend_schema(
        summary=gettext_lazy("Modifier une partie d'une déclaration en attente"),
        request=ProductionReportUpdateSerializer,
        responses={200: ProductionReportOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(
        summary=gettext_lazy("Retirer une déclaration en attente"),
        responses={204: None, **_errors(403, 404, 409)},
    )
    def destroy(self, request, *args, **kwargs):
        """Withdraw the report: it stays on record, counted nowhere."""
        report = self.get_object()
        services.production_report_withdraw(report=report, by=request.user, now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary=gettext_lazy("Proposer une correction d'une déclaration validée"),
        request=ProductionReportCorrectionSerializer,
        responses={201: ProductionReportOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """A new submitted report with the changed fields; validated, it supersedes this one."""
        report = self.get_object()
        serializer = ProductionReportCorrectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = (
            ProductionReport.Source.MAKER
            if report.maker.user_id == request.user.pk
            else ProductionReport.Source.RELAY
        )
        correction = services.production_report_correct(
            report=report,
            by=request.user,
            now=timezone.now(),
            source=source,
            **serializer.validated_data,
        )
        return self._render_one(correction, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Valider une déclaration"),
        request=None,
        responses={200: ProductionReportOutputSerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        report = self.get_object()
        report = services.production_report_validate(
            report=report, by=request.user, now=timezone.now()
        )
        return self._render_one(report)

    @extend_schema(
        summary=gettext_lazy("Refuser une déclaration, avec le motif"),
        request=SingleRejectionSerializer,
        responses={200: ProductionReportOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """With `double_count_of`, the report kept instead: this one is rejected as its double
        count, with a reason naming it (four eyes apply to both)."""
        report = self.get_object()
        serializer = SingleRejectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kept_id = serializer.validated_data["double_count_of"]
        if kept_id is not None:
            report = services.production_report_reject_as_double_count(
                report=report,
                kept_id=kept_id,
                by=request.user,
                now=timezone.now(),
                note=serializer.validated_data["reason"],
            )
        else:
            report = services.production_report_reject(
                report=report,
                by=request.user,
                now=timezone.now(),
                reason=serializer.validated_data["reason"],
            )
        return self._render_one(report)

    def _visible_ids(self, ids: list[int]) -> list[int]:
        """The ids, once each; 404 if the caller cannot see one of them."""
        ids = list(dict.fromkeys(ids))
        seen = set(self.get_queryset().filter(pk__in=ids).values_list("pk", flat=True))
        unseen = [pk for pk in ids if pk not in seen]
        if unseen:
            raise errors.REPORTS_NOT_FOUND(ids=", ".join(f"n° {pk}" for pk in unseen))
        return ids

    @extend_schema(
        operation_id="production_reports_validate_many",
        summary=gettext_lazy("Valider plusieurs déclarations : toutes, ou aucune"),
        request=BulkDecisionSerializer,
        responses={
            200: ProductionReportOutputSerializer(many=True),
            **_errors(400, 403, 404, 409),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="validate",
        url_name="validate-many",
        filter_backends=[],
        pagination_class=None,
    )
    def validate_many(self, request):
        serializer = BulkDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reports = services.production_reports_validate(
            report_ids=self._visible_ids(serializer.validated_data["ids"]),
            by=request.user,
            now=timezone.now(),
        )
        return Response(self._render(reports))

    @extend_schema(
        operation_id="production_reports_reject_many",
        summary=gettext_lazy(
            "Refuser plusieurs déclarations avec un même motif : toutes, ou aucune"
        ),
        request=BulkRejectionSerializer,
        responses={
            200: ProductionReportOutputSerializer(many=True),
            **_errors(400, 403, 404, 409),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="reject",
        url_name="reject-many",
        filter_backends=[],
        pagination_class=None,
    )
    def reject_many(self, request):
        serializer = BulkRejectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reports = services.production_reports_reject(
            report_ids=self._visible_ids(serializer.validated_data["ids"]),
            by=request.user,
            now=timezone.now(),
            reason=serializer.validated_data["reason"],
        )
        return Response(self._render(reports))


# --- Makers --------------------------------------------------------------------------------


class MakerFilter(django_filters.FilterSet):
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        label=gettext_lazy("Département"),
    )
    q = django_filters.CharFilter(
        method="filter_name",
        label=gettext_lazy("Nom"),
        help_text=gettext_lazy("Tout ou partie du nom affiché."),
    )

    class Meta:
        model = Maker
        fields = []

    def filter_name(self, queryset, name, value):
        condition = Q()
        for word in value.split():
            condition &= Q(display_name__icontains=word)
        return queryset.filter(condition)


# Staff entries extend public ones: an entry matches one shape or both.
MAKER_ENTRY = AnyOf(
    component_name="MakerEntry",
    serializers=[MakerPublicSerializer, MakerStaffSerializer],
    resource_type_field_name=None,
)


@extend_schema_view(
    list=extend_schema(responses=MAKER_ENTRY),
    retrieve=extend_schema(responses={200: MAKER_ENTRY, **_errors(404)}),
)
class MakerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The makers' directory.

    Anyone sees the makers who opted in to the public directory (name, department, commune,
    skills), and a maker their own profile. Relay staff also see every maker of the departments
    their relay covers, Région staff and auditors every maker; they get the equipment, whether
    the profile is public and whether the maker has an account (never an e-mail address).
    Relay staff add makers who have no account, in the departments they cover.
    """

    # Reading the directory is public (scoped per caller); only relay staff add makers.
    permission = PUBLIC
    permissions_by_action = {"create": "makers.enter_reports"}
    filterset_class = MakerFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.makers_visible_to(self.request.user)

    def _sees_staff_fields(self) -> bool:
        return rules.has_perm("makers.view_staff_fields", self.request.user)

    def get_serializer_class(self):
        return MakerStaffSerializer if self._sees_staff_fields() else MakerPublicSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        if rules.has_perm("makers.view_all", user):
            context["covered_departments"] = None
        elif self._sees_staff_fields():
            context["covered_departments"] = set(
                departments_covered_by(user).values_list("code", flat=True)
            )
        return context

    @extend_schema(
        summary=gettext_lazy("Ajouter un maker sans compte"),
        request=MakerCreateSerializer,
        responses={201: MakerStaffSerializer, **_errors(400, 403)},
    )
    def create(self, request, *args, **kwargs):
        serializer = MakerCreateSerializer(
            data=request.data, departments=departments_covered_by(request.user)
        )
        serializer.is_valid(raise_exception=True)
        maker = services.maker_create(by=request.user, **serializer.validated_data)
        output = MakerStaffSerializer(maker, context=self.get_serializer_context())
        return Response(output.data, status=status.HTTP_201_CREATED)


# --- Other names of items, remembered for the network ----------------------------------------


class ItemAliasSerializer(ModelSerializer):
    item_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    item_name = serializers.CharField(source="item_type.name", read_only=True)
    created_by = serializers.CharField(source="created_by_name", read_only=True)
    updated_by = serializers.CharField(source="updated_by_name", read_only=True)

    class Meta:
        model = ItemAlias
        fields = [
            "id",
            "text",
            "key",
            "item_type",
            "item_name",
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
        ]


class ItemAliasCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=200, help_text=gettext_lazy("Le nom tel qu'écrit."))
    item_type = SlugRelatedField(
        slug_field="slug",
        queryset=ItemType.objects.all(),
        help_text=gettext_lazy("L'identifiant de l'article du catalogue (visor…)."),
    )


class ItemAliasUpdateSerializer(serializers.Serializer):
    item_type = SlugRelatedField(slug_field="slug", queryset=ItemType.objects.all())


ALIAS_ERRORS_ABOUT = {
    400: gettext_lazy("Nom vide ou trop long, article retiré du catalogue : le champ est nommé."),
    403: gettext_lazy("Rôle qui ne le permet pas (role_not_allowed)."),
    409: gettext_lazy("Ce nom se lit déjà comme un article (item_alias_taken, qui le nomme)."),
}


def _alias_errors(*statuses: int) -> dict:
    return error_responses(*statuses, about=ALIAS_ERRORS_ABOUT)


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("Autres noms des articles"),
        responses={200: ItemAliasSerializer(many=True), **_alias_errors(403)},
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("Un autre nom d'article"),
        responses={200: ItemAliasSerializer, **_alias_errors(403, 404)},
    ),
)
class ItemAliasViewSet(viewsets.ModelViewSet):
    """Other names of items (as written in spreadsheets), remembered for the whole network: the
    import reads them as their item. Relay staff, Région staff, facilitators and auditors list
    them; whoever imports adds one; facilitators alone change its item or delete
    it. Each change is a decision of the log; reports already imported keep their item. Newest
    first, by cursor."""

    serializer_class = ItemAliasSerializer
    permission = "makers.view_item_aliases"
    permissions_by_action = {
        "create": "makers.create_item_aliases",
        **dict.fromkeys(["update", "partial_update", "destroy"], "makers.change_item_aliases"),
    }
    filterset_class = ItemAliasFilter
    pagination_class = NewestFirstPagination
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.item_aliases_listed()

    def _render(self, alias, *, status_code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=alias.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    @extend_schema(
        summary=gettext_lazy("Enregistrer un autre nom d'article"),
        request=ItemAliasCreateSerializer,
        responses={201: ItemAliasSerializer, **_alias_errors(400, 403, 409)},
    )
    def create(self, request, *args, **kwargs):
        given = ItemAliasCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        alias = services.item_alias_create(
            **given.validated_data, by=request.user, now=timezone.now()
        )
        return self._render(alias, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Lire un autre nom comme un autre article"),
        request=ItemAliasUpdateSerializer,
        responses={200: ItemAliasSerializer, **_alias_errors(400, 403, 404)},
    )
    def update(self, request, *args, **kwargs):
        alias = self.get_object()
        given = ItemAliasUpdateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        alias = services.item_alias_update(
            alias=alias, by=request.user, now=timezone.now(), **given.validated_data
        )
        return self._render(alias)

    @extend_schema(
        summary=gettext_lazy("Lire un autre nom comme un autre article"),
        request=ItemAliasUpdateSerializer,
        responses={200: ItemAliasSerializer, **_alias_errors(400, 403, 404)},
    )
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    @extend_schema(
        summary=gettext_lazy("Oublier un autre nom d'article"),
        responses={204: None, **_alias_errors(403, 404)},
    )
    def destroy(self, request, *args, **kwargs):
        services.item_alias_delete(alias=self.get_object(), by=request.user, now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)
