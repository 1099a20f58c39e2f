"""API plumbing shared by every app: pagination, the router, and the core endpoints."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from knox.models import AuthToken
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from . import notices
from .models import Department, NoticePreference, TokenScope
from .permissions import PUBLIC, SIGNED_IN, TOKEN_SCOPE, has_totp, roles_held
from .schema import error_responses
from .serializers import ModelSerializer


class DepartmentSerializer(ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name", "region_code", "region_name"]


class DepartmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The departments the platform knows, identified by their INSEE code. Public."""

    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    permission = PUBLIC
    pagination_class = None
    # INSEE codes ("35", "2A", "971"); anything else is no department (a JSON 404).
    lookup_value_regex = r"[0-9A-Za-z]{1,3}"

    def get_queryset(self):
        return Department.objects.order_by("code")


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    has_totp = serializers.BooleanField()
    token_scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=TokenScope.choices),
        allow_null=True,
        help_text=_("Ce que permet le jeton de l'appel (null pour une session de navigateur)."),
    )
    token_expires_at = serializers.DateTimeField(
        allow_null=True, help_text=_("Quand le jeton de l'appel expire (null sans jeton).")
    )


class MeView(APIView):
    """Who the caller is, which roles they hold, and, for a program with a personal token,
    what the token may do and until when."""

    permission = SIGNED_IN

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        data = {
            "email": user.email,
            "full_name": user.full_name,
            "roles": sorted(roles_held(user)),
            "has_totp": has_totp(user),
            "token_scopes": None,
            "token_expires_at": None,
        }
        if isinstance(request.auth, AuthToken):
            scope = getattr(user, TOKEN_SCOPE)
            data["token_scopes"] = [s for s in TokenScope.values if TokenScope.includes(scope, s)]
            data["token_expires_at"] = request.auth.expiry
        return Response(MeSerializer(data).data)


class NoticePreferenceSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=_("Le code de la sorte d'avis (« report_rejected »)."))
    label = serializers.CharField()
    delivery = serializers.ChoiceField(
        choices=NoticePreference.Delivery.choices,
        help_text=_(
            "immediate : un e-mail tout de suite ; digest : dans le résumé quotidien ; "
            "none : jamais."
        ),
    )
    choices = serializers.ListField(
        child=serializers.ChoiceField(choices=NoticePreference.Delivery.choices),
        help_text=_("Les envois proposés pour cette sorte d'avis."),
    )
    always_sent = serializers.BooleanField(
        help_text=_("Un avis de sécurité : toujours envoyé tout de suite, sans choix.")
    )


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"$ref": "#/components/schemas/NoticeDeliveryEnum"},
    }
)
class _DeliveriesByKind(serializers.DictField):
    """Kind of notice → delivery, the delivery named by its enum component (an inline enum in
    a map would reach client generators unnamed)."""


class NoticePreferencesInputSerializer(serializers.Serializer):
    preferences = _DeliveriesByKind(
        child=serializers.ChoiceField(choices=NoticePreference.Delivery.choices),
        help_text=_(
            'Les choix à changer, sorte d\'avis → envoi ({"report_rejected": "digest"}) ; '
            "les autres restent comme ils sont."
        ),
    )


def _preferences(user) -> list[dict]:
    current = notices.notice_preferences_of(user)
    return [
        {
            "kind": kind.code,
            "label": str(kind.label),
            "delivery": current[kind.code],
            "choices": [NoticePreference.Delivery.IMMEDIATE] if kind.security else kind.choices,
            "always_sent": kind.security,
        }
        for kind in notices.notice_kinds_of(user)
    ]


class NoticePreferencesView(APIView):
    """How the caller hears of each kind of notice the platform sends them by e-mail: at
    once, in one daily digest, or never. Security notices are listed, always sent."""

    permission = SIGNED_IN

    @extend_schema(responses=NoticePreferenceSerializer(many=True))
    def get(self, request):
        return Response(NoticePreferenceSerializer(_preferences(request.user), many=True).data)

    @extend_schema(
        request=NoticePreferencesInputSerializer,
        responses={200: NoticePreferenceSerializer(many=True), **error_responses(400)},
    )
    def patch(self, request):
        """Change some choices; refuses an unknown kind (notice_kind_unknown), a security kind
        (notice_kind_always_sent) and a delivery the kind does not offer
        (notice_delivery_not_offered), all with the kind as `field`."""
        data = NoticePreferencesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notices.notice_preferences_set(
            user=request.user, choices=data.validated_data["preferences"], now=timezone.now()
        )
        return Response(NoticePreferenceSerializer(_preferences(request.user), many=True).data)


class NoSuchEndpoint(APIView):
    """Any other path under the API (an id that is not a number, say): a 404 in JSON, as the
    API's own objects answer it, never the site's HTML page. Not an operation of the schema."""

    permission = PUBLIC
    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound(_("Aucune ressource de l'API à cette adresse."))
