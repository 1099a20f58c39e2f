"""API plumbing shared by every app: pagination, the router, and the core endpoints."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from . import roles
from .models import Department
from .permissions import has_totp


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name", "region_code", "region_name"]


class DepartmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The departments the platform knows, identified by their INSEE code. Public."""

    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = None

    def get_queryset(self):
        return Department.objects.order_by("code")


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    has_totp = serializers.BooleanField()


class MeView(APIView):
    """Who the caller is and which roles they hold."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        data = {
            "email": user.email,
            "full_name": user.full_name,
            "roles": sorted(roles.roles_of(user)),
            "has_totp": has_totp(user),
        }
        return Response(MeSerializer(data).data)
