"""The language column of a catalogue is chosen in one place (tilab/i18n.py): items, themes
and capabilities show their English name on English pages and their French one otherwise."""

from types import SimpleNamespace

import pytest
from django.utils import translation

from fablabs.models import Capability
from makers.models import ItemType
from tests.factories import make_workshop
from tilab.i18n import catalogue_field, english, localised
from tilab.templatetags.tilab_format import thousands
from workshops.models import Theme

SHIELD = SimpleNamespace(name_fr="Visière", name_en="Face shield", unit_fr="visière")


@pytest.mark.parametrize(
    "language, column, name",
    [("fr", "name_fr", "Visière"), ("en", "name_en", "Face shield"), ("en-gb", "name_en", None)],
)
def test_the_column_follows_the_active_language(language, column, name):
    with translation.override(language):
        assert catalogue_field("name") == column
        assert english() == (column == "name_en")
        if name:
            assert localised(SHIELD, "name") == name


def test_without_an_active_language_it_is_french():
    with translation.override(None):
        assert catalogue_field("unit") == "unit_fr"
        assert localised(SHIELD, "unit") == "visière"


def test_every_catalogue_reads_its_names_through_it(reference_data):
    item = ItemType.objects.get(slug="visor")
    theme, capability = Theme.objects.order_by("pk").first(), Capability.objects.first()
    for language in ("fr", "en"):
        with translation.override(language):
            column = catalogue_field("name")
            assert item.name == getattr(item, column)
            assert localised(theme, "name") == getattr(theme, column)
            if capability is not None:
                assert localised(capability, "name") == getattr(capability, column)
    with translation.override("en"):
        assert thousands(25000) == "25,000"
    with translation.override("fr"):
        assert thousands(25000) == "25\u202f000"


def test_the_api_and_the_pages_name_a_theme_alike(client, facilitator):
    workshop = make_workshop(by=facilitator)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    api = client.get(f"/api/v1/workshops/{workshop.pk}/").json()
    page = client.get(f"/workshops/{workshop.pk}/")

    assert api["theme"]["name"] == workshop.theme.name_en
    assert workshop.theme.name_en in page.content.decode()
