"""API of the production domain."""

from rest_framework import mixins, permissions, serializers, viewsets

from . import selectors
from .models import ItemType


class ItemTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ItemType
        fields = ["slug", "name_fr", "name_en", "unit_fr", "unit_en"]


class ItemTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The catalogue of items makers can report. Public."""

    serializer_class = ItemTypeSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = None
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.item_types_active()
