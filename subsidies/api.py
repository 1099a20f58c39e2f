"""API of the subsidy chain."""

from rest_framework import mixins, permissions, serializers, viewsets

from .models import Relay


class RelaySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="organisation.name", read_only=True)
    commune = serializers.CharField(source="organisation.commune", read_only=True)
    departments = serializers.SerializerMethodField()

    class Meta:
        model = Relay
        fields = ["id", "name", "commune", "departments"]

    def get_departments(self, relay) -> list[str]:
        return sorted(coverage.department_id for coverage in relay.coverage.all())


class RelayViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The relays and the departments each one covers. Public: coverage is public knowledge."""

    serializer_class = RelaySerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return Relay.objects.select_related("organisation").prefetch_related("coverage")
