"""The project's model serializers build their fields from the model once per class."""

import importlib
import pkgutil

from rest_framework import serializers

from makers.models import Maker
from makers.serializers import ProductionReportCreateSerializer, ProductionReportOutputSerializer
from tilab.serializers import ModelSerializer

APPS = ["tilab", "fablabs", "makers", "directory", "figures", "subsidies", "workshops", "needs",
        "audit", "webhooks", "recognition", "accounts"]  # fmt: skip


def _project_modules():
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.iter_modules(package.__path__, f"{app}."):
            if info.name.rsplit(".", 1)[-1] in {"api", "serializers", "recap_serializers"}:
                yield importlib.import_module(info.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_model_serializer_of_the_project_builds_its_fields_once():
    list(_project_modules())
    ours = [
        cls for cls in _subclasses(serializers.ModelSerializer)
        if cls.__module__.split(".")[0] in APPS and cls is not ModelSerializer
    ]  # fmt: skip
    assert ours
    assert [cls.__qualname__ for cls in ours if not issubclass(cls, ModelSerializer)] == []


def test_each_serializer_gets_fields_of_its_own(db):
    """A serializer narrowing a field for its caller (the makers one may enter reports for)
    leaves the next one's field as the class defines it (no maker at all)."""
    narrowed = ProductionReportCreateSerializer(makers=Maker.objects.filter(display_name="Anne"))
    plain = ProductionReportCreateSerializer()
    assert not narrowed.fields["maker"].queryset.query.is_empty()
    assert plain.fields["maker"].queryset.query.is_empty()
    assert narrowed.fields["quantity"] is not plain.fields["quantity"]


def test_fields_built_once_equal_those_built_each_time():
    once = ProductionReportOutputSerializer().fields
    fresh = serializers.ModelSerializer.get_fields(ProductionReportOutputSerializer())
    assert list(once) == list(fresh)
    for name, field in fresh.items():
        assert type(once[name]) is type(field), name
        assert repr(once[name]) == repr(field), name
