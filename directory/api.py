"""API of the directory's organisations: the public list and one organisation, with the same
filters as the page. Public fields only: members are named only if they opted in, never with
an e-mail."""

import django_filters
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fablabs.models import Capability, Organisation
from makers.models import Membership
from tilab.models import Department
from tilab.pagination import CursorPagination
from tilab.permissions import PUBLIC
from tilab.schema import error_responses
from tilab.serializers import ModelSerializer, SlugRelatedField

from . import selectors, services


class OrganisationFilter(django_filters.FilterSet):
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.order_by("code"),
        to_field_name="code",
        label=gettext_lazy("Département"),
    )
    kind = django_filters.ChoiceFilter(
        choices=Organisation.Kind.choices, label=gettext_lazy("Type")
    )
    capability = django_filters.ModelChoiceFilter(
        queryset=Capability.objects.all(),
        to_field_name="slug",
        field_name="capabilities",
        label=gettext_lazy("Savoir-faire (identifiant)"),
    )
    search = django_filters.CharFilter(
        method="filter_search",
        label=gettext_lazy("Recherche"),
        help_text=gettext_lazy("Mots du nom, de la commune, de la description ou de l'équipement."),
    )

    class Meta:
        model = Organisation
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            selectors.words_search(value, "name", "commune", "description", "equipment")
        )


class PublicMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="maker_id")
    display_name = serializers.CharField(source="maker.display_name")
    is_manager = serializers.BooleanField()


class CapabilitySerializer(ModelSerializer):
    class Meta:
        model = Capability
        fields = ["slug", "name_fr", "name_en"]


class OrganisationPublicSerializer(ModelSerializer):
    """An organisation as the public directory shows it."""

    department = serializers.CharField(source="department_id", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    capabilities = CapabilitySerializer(many=True, read_only=True)
    siret = serializers.SerializerMethodField()
    members = PublicMemberSerializer(source="public_memberships", many=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = [
            "id",
            "slug",
            "name",
            "kind",
            "kind_label",
            "department",
            "commune",
            "website",
            "siret",
            "description",
            "equipment",
            "capabilities",
            "has_place",
            "members",
            "url",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_siret(self, organisation) -> str | None:
        """An SME's SIRET (public information); null for others."""
        return organisation.siret or None if organisation.kind == Organisation.Kind.SME else None

    def get_url(self, organisation) -> str:
        path = reverse("directory:organisation", kwargs={"slug": organisation.slug})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class OrganisationMergeSerializer(serializers.Serializer):
    into = SlugRelatedField(
        slug_field="slug",
        queryset=Organisation.objects.filter(merged_into__isnull=True),
        help_text=gettext_lazy("L'organisation qui reste (son identifiant)."),
    )
    # Blank passes here so that the service's own refusal explains what to write.
    motivation = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        help_text=gettext_lazy("La raison de la fusion, consignée dans le journal des décisions."),
    )


class OrganisationMergedSerializer(serializers.Serializer):
    duplicate = serializers.CharField(help_text=gettext_lazy("La fiche fusionnée (identifiant)."))
    into = serializers.CharField(help_text=gettext_lazy("L'organisation qui reste."))
    members = serializers.IntegerField(
        help_text=gettext_lazy("Membres passés, comme simples membres.")
    )
    requests = serializers.IntegerField(help_text=gettext_lazy("Demandes en attente passées."))
    reports = serializers.IntegerField(help_text=gettext_lazy("Déclarations passées."))


class OrganisationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The organisations of the public directory (merged duplicates and hidden entries are
    not listed), filterable by department, kind, capability and words. Public. Members are
    the makers who opted in to the directory. By cursor, in the order organisations were
    added."""

    serializer_class = OrganisationPublicSerializer
    permission = PUBLIC
    permissions_by_action = {"merge": "directory.merge"}
    filterset_class = OrganisationFilter
    pagination_class = CursorPagination
    lookup_field = "slug"
    # A slug, as the model's field takes it; anything else is no organisation (a JSON 404).
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_queryset(self):
        if self.action == "merge":
            # A duplicate may be hidden from the directory; a merged one is history (404).
            return Organisation.objects.filter(merged_into__isnull=True)
        # The filters are the FilterSet's; the selector gives the public scope and the joins.
        return (
            selectors.organisations_listed()
            .order_by("pk")
            .prefetch_related(
                Prefetch(
                    "memberships",
                    queryset=Membership.objects.filter(maker__is_public=True)
                    .select_related("maker")
                    .order_by("-is_manager", "maker__display_name", "pk"),
                    to_attr="public_memberships",
                )
            )
        )

    @extend_schema(
        summary=gettext_lazy("Fusionner un doublon dans une autre organisation"),
        request=OrganisationMergeSerializer,
        responses={200: OrganisationMergedSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def merge(self, request, slug=None):
        """Facilitators and Région staff (others: 403). The duplicate's members (as plain
        members: a merge names no manager), pending requests and production reports move to
        `into`; the duplicate leaves the directory. A merge that would hand validated reports
        to another department or relay, or to a relay's own organisation, is the Région's: a
        facilitator gets 403 `merge_moves_validated_reports`. All of it, or nothing; the
        decision is recorded with the motivation."""
        duplicate = self.get_object()
        data = OrganisationMergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        into = data.validated_data["into"]
        moved = services.organisations_merge(
            duplicate=duplicate,
            into=into,
            by=request.user,
            motivation=data.validated_data["motivation"],
            now=timezone.now(),
        )
        return Response({"duplicate": duplicate.slug, "into": into.slug, **moved})
