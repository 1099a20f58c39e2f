"""Serializer fields shared by the apps' APIs."""

from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers


def _refuse_nul(value) -> None:
    # PostgreSQL text cannot hold a NUL byte: looking one up would be a server error.
    if isinstance(value, str) and "\x00" in value:
        validator = ProhibitNullCharactersValidator()
        raise serializers.ValidationError(validator.message, code=validator.code)


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's, refusing a value with a NUL byte (400) instead of looking it up."""

    def to_internal_value(self, data):
        _refuse_nul(data)
        return super().to_internal_value(data)


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """DRF's, refusing a value with a NUL byte (400) instead of looking it up (a department's
    key is its code, a text)."""

    def to_internal_value(self, data):
        _refuse_nul(data)
        return super().to_internal_value(data)


class DocumentedBoundsIntegerField(serializers.IntegerField):
    """A whole number whose bounds are a service's rule: the schema documents them (`minimum`,
    `maximum`), the service checks them and its refusal names the field; not checked twice."""

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, **kwargs):
        super().__init__(**kwargs)
        # Read by drf-spectacular; DRF checks bounds only through the validators it would
        # have added for min_value and max_value given to __init__.
        self.min_value, self.max_value = minimum, maximum
