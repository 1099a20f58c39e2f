"""Serializer fields shared by the apps' APIs, and the base of their model serializers."""

import copy

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


class ModelSerializer(serializers.ModelSerializer):
    """DRF's, with the fields it derives from the model built once per class instead of on
    every request: reading the model's fields, their options and validators cost an API answer
    more than rendering it. Each serializer still gets its own copies (DRF's deep copy, as for
    declared fields), so one may change its fields (a queryset narrowed per caller) without
    touching another's. The fields depend on the class alone (its Meta and declared fields),
    never on the instance or its context."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return copy.deepcopy(built)
