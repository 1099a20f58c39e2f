"""API of recognition: the cooperation links of the whole network (for those who see its graph),
issuing attestations of participation and checking one by its code (anyone). The same
selectors, services and rules as the pages (recognition/views.py, recognition/graph_views.py)."""

import base64
import binascii
import bisect
import json

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from makers.selectors import maker_of
from tilab.models import Department
from tilab.pagination import CursorPagination
from tilab.permissions import PUBLIC, SIGNED_IN, require
from tilab.schema import error_responses
from tilab.serializers import SlugRelatedField
from tilab.throttling import AddressThrottle

from . import attestations, errors, selectors, services
from . import links as network
from .views import CHECK_SCOPE, pdf_response

# --- Cooperation links ----------------------------------------------------------------------


class NodeSerializer(serializers.Serializer):
    node_type = serializers.CharField(help_text=gettext_lazy("« organisation » ou « maker »."))
    id = serializers.IntegerField()
    name = serializers.CharField()
    department = serializers.CharField(help_text=gettext_lazy("Code INSEE du département."))
    commune = serializers.CharField()
    kind = serializers.CharField(help_text=gettext_lazy("Le type d'organisation, ou « maker »."))
    is_public = serializers.BooleanField(help_text=gettext_lazy("Visible dans l'annuaire public."))


class LinkKindSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(network.KINDS))
    label = serializers.CharField()
    count = serializers.IntegerField(help_text=gettext_lazy("Combien de fois ce lien est vu."))


class LinkSerializer(serializers.Serializer):
    a = NodeSerializer()
    b = NodeSerializer()
    kinds = LinkKindSerializer(many=True)
    weight = serializers.IntegerField(help_text=gettext_lazy("La somme des comptes."))


class LinkQuerySerializer(serializers.Serializer):
    """The query parameters of the list: shapes only (which department exists is data)."""

    department = SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), required=False
    )
    kind = serializers.ChoiceField(choices=list(network.KINDS), required=False)
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=CursorPagination.max_page_size
    )


def _node(node: network.Node) -> dict:
    return {
        "node_type": "organisation" if node.is_organisation else "maker",
        "id": node.key[1],
        "name": node.name,
        "department": node.department,
        "commune": node.commune,
        "kind": node.kind,
        "is_public": node.is_public,
    }


def _link(link: network.Link, nodes) -> dict:
    return {
        "a": _node(nodes[link.a]),
        "b": _node(nodes[link.b]),
        "kinds": [
            {"kind": kind, "label": str(network.KIND_LABELS[kind]), "count": link.kinds[kind]}
            for kind in network.KINDS
            if link.kinds.get(kind)
        ],
        "weight": link.weight,
    }


class OrderedListPagination(CursorPagination):
    """Cursor pages over a list computed in memory (the links are no table), sorted by a total
    order: the cursor is the order key of the last item of the previous page, so a page's
    items stay in place as the cursor moves on. Its schema is that of the cursor pages."""

    def paginate_ordered(self, items: list, keys: list[tuple], request) -> list:
        """The page of `items` (sorted, `keys` their order keys) the request asks for."""
        self.request = request
        self.page_size = self.get_page_size(request)
        encoded = request.query_params.get(self.cursor_query_param)
        start = bisect.bisect_right(keys, self._decode(encoded)) if encoded else 0
        page = items[start : start + self.page_size]
        url = request.build_absolute_uri()
        self.next_url = None
        if start + self.page_size < len(items):
            last = keys[start + self.page_size - 1]
            self.next_url = replace_query_param(url, self.cursor_query_param, self._encode(last))
        # Back to the first page: a position is what holds when the list is computed afresh.
        self.previous_url = remove_query_param(url, self.cursor_query_param) if start else None
        return page

    def get_next_link(self):
        return self.next_url

    def get_previous_link(self):
        return self.previous_url

    @staticmethod
    def _encode(key: tuple) -> str:
        return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")

    def _decode(self, text: str) -> tuple:
        """An order key of links (links.link_order); anything else answers 400 naming it."""
        try:
            key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            valid = (
                isinstance(key, list)
                and len(key) == 7
                and isinstance(key[0], int)
                and all(isinstance(part, str) for part in (key[1], key[2], key[3], key[5]))
                and all(isinstance(part, int) for part in (key[4], key[6]))
            )
        except (binascii.Error, ValueError, UnicodeDecodeError):
            valid = False
        if not valid:
            raise exceptions.ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}
            )
        return tuple(key)


class CooperationLinkViewSet(viewsets.ViewSet):
    """The cooperation links of the whole network, every node named (never an e-mail): who
    worked with whom, through shared organisations, workshops attended together and
    production for the same recipients. Strongest first, by cursor; filter by `department`
    (either end in it) and `kind`. For facilitators, Région staff and auditors, as the
    network page (403 for anyone else)."""

    permission = "network.view_graph"
    pagination_class = OrderedListPagination

    @extend_schema(
        summary=gettext_lazy("Les liens de coopération du réseau"),
        parameters=[
            OpenApiParameter(
                "department",
                OpenApiTypes.STR,
                description=gettext_lazy("Code INSEE : les liens dont un bout y est."),
            ),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=list(network.KINDS)),
        ],
        responses={200: LinkSerializer(many=True), **error_responses(400, 403)},
    )
    def list(self, request):
        """Computed from what the platform records, in a constant number of queries whatever
        the size of the network; a page's links stay in place as the cursor moves on."""
        query = LinkQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        given = query.validated_data
        department = given.get("department")
        nodes = network.all_nodes()
        listed = network.links_listed(
            nodes,
            network.network_links(),
            kind=given.get("kind", ""),
            department=department.code if department else "",
        )
        paginator = self.pagination_class()
        page = paginator.paginate_ordered(
            listed, [network.link_order(link, nodes) for link in listed], request
        )
        data = LinkSerializer([_link(link, nodes) for link in page], many=True).data
        return paginator.get_paginated_response(data)


# --- Attestations ---------------------------------------------------------------------------


class AttestationSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("Code de vérification (ABCD-EFGH-JKMN)."))
    verification_url = serializers.URLField(
        help_text=gettext_lazy("Où chacun vérifie l'attestation (imprimé sur le PDF).")
    )
    holder_name = serializers.CharField()
    issued_at = serializers.DateTimeField()
    content = serializers.DictField(
        help_text=gettext_lazy(
            "Ce que l'attestation dit, figé le jour où elle est délivrée : production validée "
            "par article et relais, sommes reçues, ateliers suivis, totaux."
        )
    )


def _attestation(attestation) -> dict:
    return {
        "code": attestations.code_display(attestation.code),
        "verification_url": attestations.verification_url(attestation.code),
        "holder_name": attestation.holder_name,
        "issued_at": attestation.issued_at,
        "content": attestation.content,
    }


class AttestationIssueSerializer(serializers.Serializer):
    organisation = serializers.SlugField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "Pour une organisation que vous gérez (son slug) ; sans lui, pour vous-même."
        ),
    )


class AttestationViewSet(viewsets.ViewSet):
    """Attestations of participation. A maker issues theirs, a manager that of their
    organisation (anyone else's organisation answers 404): what was done is frozen with a
    code, and asking again the same day for the same content gives the same attestation.
    Anyone checks an attestation by its code (case, dashes and spaces do not matter), at a
    bounded pace per address: its frozen content, or 404 `attestation_not_found`. Its holder
    downloads its PDF (`pdf`)."""

    permission = SIGNED_IN
    permissions_by_action = {"retrieve": PUBLIC}
    lookup_field = "code"
    # Codes are 12 letters and digits, shown in groups of four; anything else is no code.
    lookup_value_regex = r"[A-Za-z0-9-]{1,64}"

    def perform_content_negotiation(self, request, force=False):
        # The PDF is no rendering of data: a program asking for application/pdf gets it, and
        # a refusal in JSON, rather than 406 for want of a PDF renderer.
        return super().perform_content_negotiation(request, force=force or self.action == "pdf")

    def get_throttles(self):
        if self.action == "retrieve":
            # The page's limit, counted together with it.
            return [*super().get_throttles(), AddressThrottle(CHECK_SCOPE)]
        return super().get_throttles()

    @extend_schema(
        summary=gettext_lazy("Délivrer une attestation de participation"),
        request=AttestationIssueSerializer,
        responses={
            201: AttestationSerializer,
            200: AttestationSerializer,
            **error_responses(
                400,
                403,
                404,
                409,
                about={
                    404: gettext_lazy("Aucune organisation que vous gérez sous ce slug."),
                    409: gettext_lazy("Votre compte n'a pas encore de profil de maker."),
                },
            ),
        },
    )
    def create(self, request):
        """201 with a new attestation; 200 with today's when nothing changed since."""
        data = AttestationIssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slug = data.validated_data.get("organisation")
        now = timezone.now()
        if slug:
            organisation = selectors.organisation_managed_by(request.user, slug)
            if organisation is None:
                raise errors.ORGANISATION_NOT_MANAGED(slug=slug)
            holder = {"organisation": organisation}
        else:
            require(request.user, "makers.access_maker_space")
            maker = maker_of(request.user)
            if maker is None:
                raise errors.ATTESTATION_MAKER_PROFILE_MISSING()
            holder = {"maker": maker}
        attestation = services.attestation_issue(by=request.user, now=now, **holder)
        created = attestation.issued_at == now
        return Response(
            AttestationSerializer(_attestation(attestation)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary=gettext_lazy("Vérifier une attestation par son code"),
        responses={200: AttestationSerializer, **error_responses(404, 429)},
    )
    def retrieve(self, request, code=None):
        attestation = selectors.attestation_by_code(code)
        if attestation is None:
            raise errors.ATTESTATION_NOT_FOUND()
        return Response(AttestationSerializer(_attestation(attestation)).data)

    @extend_schema(
        summary=gettext_lazy("Le PDF d'une de vos attestations"),
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **error_responses(404)},
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request, code=None):
        """The accessible PDF the page downloads, for its holder only: the maker it is about,
        or the person who asked for it (an organisation's manager). Anyone else's answers 404
        `attestation_not_found`."""
        attestation = selectors.attestation_of(request.user, code)
        if attestation is None:
            raise errors.ATTESTATION_NOT_FOUND()
        return pdf_response(attestation)
