"""Filters shared by the apps' API lists."""

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

# What an id column holds: beyond it the database would be asked what it cannot answer.
BIGINT_MAX = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": BIGINT_MAX})
class IdFilter(django_filters.NumberFilter):
    """An object's id: a whole number the database can hold, else 400 naming the parameter
    (django-filter's NumberFilter takes 1.5 and 1e300 alike)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


class MomentField(forms.DateTimeField):
    """A date and time, in UTC: one with an offset PostgreSQL cannot hold ("-20:56"), or that
    falls before year 1 once in UTC, is refused with a message instead of a server error."""

    default_error_messages = {
        "out_of_range": _("Cette date est hors des limites : entre l'an 1 et l'an 9999."),
    }

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from None


class MomentFilter(django_filters.DateTimeFilter):
    """A DateTimeFilter on MomentField: ISO 8601, Paris time when no offset is given."""

    field_class = MomentField
