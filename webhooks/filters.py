"""Filters of the webhook delivery log (API): by endpoint."""

import django_filters
from django.utils.translation import gettext_lazy as _

from tilab.filters import IdFilter

from .models import WebhookDelivery


class WebhookDeliveryFilter(django_filters.FilterSet):
    endpoint = IdFilter(
        field_name="endpoint_id", label=_("Seulement les envois vers cette adresse")
    )

    class Meta:
        model = WebhookDelivery
        fields = []
