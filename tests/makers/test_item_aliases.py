"""Item names as volunteers wrote them in 2020: read against the catalogue and the aliases the
network remembered, asked in the import's preview when they cannot be read, kept for next time."""

import datetime

import pytest

from makers import importing, services
from makers.item_names import BY_ALIAS, BY_NAME, BY_WORDS, item_names_index
from makers.models import ItemAlias, ItemType
from tests.refusals import refused

NOW = datetime.datetime(2020, 5, 10, 12, 0, tzinfo=datetime.UTC)


def item(slug: str) -> ItemType:
    return ItemType.objects.get(slug=slug)


# --- Reading names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Visières PETG", "visor"),
        ("Visiere 3D", "visor"),
        ("Visière 3D PETG", "visor"),
        ("VISIERES", "visor"),
        ("Masques tissu AFNOR", "fabric-mask"),
        ("masque en tissu lavable", "fabric-mask"),
        ("Ouvre porte", "door-opener"),
        ("Ouvre-porte", "door-opener"),
        ("Ouvreporte", "door-opener"),
        ("ouvre portes 3D", "door-opener"),
        ("Sur blouses", "gown"),
        ("Attaches-masques", "ear-saver"),
        ("Attache masque enfant", "ear-saver"),
        ("face shields", "visor"),
    ],
)
def test_names_written_in_2020_are_read_as_their_item(reference_data, text, slug):
    reading = item_names_index().read(text)
    assert reading.item is not None, text
    assert reading.item.slug == slug


def test_a_name_of_the_catalogue_is_read_as_written_and_others_by_their_words(reference_data):
    names = item_names_index()
    assert names.read("Visière de protection").how == BY_NAME
    assert names.read("visières").how == BY_NAME  # the unit, plural and accents aside
    assert names.read("Visières PETG").how == BY_WORDS
    assert names.read("Visières PETG").told
    assert not names.read("Surblouse").told


@pytest.mark.parametrize(
    "text",
    [
        "Gel hydroalcoolique",
        "Blouse",  # not "Surblouse"
        "Porte",  # one word of a name says nothing
        "Protection",
        "Visio",  # no spelling distance
        "Pièces imprimées",  # the door opener's unit is no name of it
        "Contact",
        "",
    ],
)
def test_names_that_are_no_item_are_not_read(reference_data, text):
    reading = item_names_index().read(text)
    assert reading.item is None
    assert not reading.ambiguous


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("Visière masque", {"visor", "fabric-mask"}),
        ("Masque tissu attache", {"fabric-mask", "ear-saver"}),
        ("Strap visière", {"visor", "ear-saver"}),
    ],
)
def test_a_name_two_items_match_equally_is_not_guessed(reference_data, text, candidates):
    reading = item_names_index().read(text)
    assert reading.item is None
    assert reading.ambiguous
    assert {c.slug for c in reading.candidates} == candidates


def test_an_alias_reads_a_name_the_words_cannot(reference_data, relay_staff):
    assert item_names_index().read("Kit soignant").item is None
    services.item_alias_create(text="Kit soignant", item_type=item("gown"), by=relay_staff, now=NOW)
    reading = item_names_index().read("KITS SOIGNANTS")
    assert reading.item.slug == "gown"
    assert reading.how == BY_ALIAS
    assert reading.alias.created_by == relay_staff


def test_an_alias_settles_a_name_two_items_tie_on(reference_data, relay_staff):
    services.item_alias_create(
        text="Visière masque", item_type=item("visor"), by=relay_staff, now=NOW
    )
    assert item_names_index().read("visieres masques").item.slug == "visor"


def test_an_alias_of_an_item_withdrawn_reads_nothing(reference_data, relay_staff):
    services.item_alias_create(text="Kit soignant", item_type=item("gown"), by=relay_staff, now=NOW)
    ItemType.objects.filter(slug="gown").update(is_active=False)
    assert item_names_index().read("Kit soignant").item is None
