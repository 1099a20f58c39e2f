"""A deprecated API operation says so on every answer (Deprecation, Sunset and Link headers)
and in the schema; the others say nothing (tilab/deprecation.py)."""

from datetime import date

import pytest
from django.test import override_settings
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from tilab.deprecation import deprecated
from tilab.errors import NotFound
from tilab.permissions import PUBLIC

ON = date(2027, 1, 15)
SUNSET = date(2027, 7, 15)


class Echo(serializers.Serializer):
    said = serializers.CharField()


class OldView(APIView):
    permission = PUBLIC

    @extend_schema(responses=Echo)
    @deprecated(on=ON, sunset=SUNSET, link="/changelog/#old")
    def get(self, request):
        return Response({"said": "old"})

    @extend_schema(request=Echo, responses=Echo)
    def post(self, request):
        return Response({"said": "new"})


class ThingViewSet(viewsets.ViewSet):
    permission = PUBLIC

    @extend_schema(responses=Echo)
    def list(self, request):
        return Response([])

    @extend_schema(request=None, responses=Echo)
    @deprecated(on=ON)
    @action(detail=False, methods=["post"])
    def poke(self, request):
        raise NotFound("thing_not_found", "Rien ici.")


router = SimpleRouter()
router.register("things", ThingViewSet, basename="thing")
urlpatterns = [
    path("api/v1/old/", OldView.as_view()),
    path("api/v1/", include(router.urls)),
]


@pytest.fixture(autouse=True)
def _urls(db):
    with override_settings(ROOT_URLCONF=__name__):
        yield


def test_a_deprecated_operation_says_when_it_was_deprecated_and_when_it_stops(client):
    response = client.get("/api/v1/old/")
    assert response.status_code == 200
    assert response["Deprecation"] == "@1799971200"  # 2027-01-15T00:00:00Z
    assert response["Sunset"] == "Thu, 15 Jul 2027 00:00:00 GMT"
    assert (
        response["Link"]
        == '<http://testserver/changelog/#old>; rel="deprecation"; type="text/html"'
    )


def test_the_other_operations_of_the_same_address_say_nothing(client):
    response = client.post("/api/v1/old/", {"said": "x"}, content_type="application/json")
    assert response.status_code == 200
    assert not {"Deprecation", "Sunset"} & set(response.headers)


def test_a_deprecated_action_says_so_on_its_errors_too(client):
    response = client.post("/api/v1/things/poke/")
    assert (response.status_code, response.json()["code"]) == (404, "thing_not_found")
    assert response["Deprecation"] == "@1799971200"
    assert "Sunset" not in response and "Link" not in response
    assert "Deprecation" not in client.get("/api/v1/things/")


def test_the_schema_marks_the_deprecated_operations():
    schema = SchemaGenerator(patterns=urlpatterns).get_schema(request=None, public=True)
    deprecated_operations = {
        (route, method)
        for route, methods in schema["paths"].items()
        for method, operation in methods.items()
        if operation.get("deprecated")
    }
    assert deprecated_operations == {("/api/v1/old/", "get"), ("/api/v1/things/poke/", "post")}


def test_an_operation_cannot_stop_before_it_is_deprecated():
    with pytest.raises(ValueError):
        deprecated(on=SUNSET, sunset=ON)
