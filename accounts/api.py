"""API of a person's own data: the export of everything the platform holds about the caller,
as JSON, walking the same registry as the page's download (accounts/services.py)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from tilab.permissions import SIGNED_IN

from . import services


class PersonalDataView(APIView):
    """Everything the platform holds about you, and only about you: one section per kind of
    record (account, maker profile, memberships, production reports, subsidy lines and bank
    details, workshop registrations, needs, pledges, deliveries and messages, attestations…),
    then the decisions recorded about them. Other people appear by no name nor address. The
    same content as the JSON download of the page « Mes données »."""

    permission = SIGNED_IN

    @extend_schema(
        summary=gettext_lazy("Exporter mes données personnelles"),
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=gettext_lazy(
                    "`exported_at`, puis une clé par section (un objet, une liste d'objets, "
                    "ou null), puis `decisions`. Dates et heures en ISO 8601, montants en "
                    "centimes."
                ),
            )
        },
    )
    def get(self, request):
        data = services.personal_data_export(user=request.user, now=timezone.now())
        response = Response(data)
        response["Cache-Control"] = "private, no-store"
        return response
