"""The directory's map: communes placed where they are, public entries only, counts per
department, and the same few queries however large the network grows."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.communes import COMMUNES, DEPARTMENT_CENTRES, commune_locate, commune_normalise
from fablabs.models import Organisation
from tests.conftest import figure_captions
from tests.factories import make_maker, make_organisation
from tilab import svg

URL = "/annuaire/carte/"


# --- Communes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["Saint-Malo", "ST-MALO", "saint malo", "35400 Saint-Malo", "St Malo CEDEX"]
)
def test_a_commune_is_found_however_its_name_is_typed(typed):
    place = commune_locate(typed, "35")
    assert place.exact
    assert place.name == "Saint-Malo"
    assert (place.lat, place.lon) == (48.65, -2.01)


def test_accents_and_case_do_not_matter_and_merged_communes_keep_their_old_name():
    assert commune_normalise("FOUGERES") == commune_normalise("Fougères")
    assert commune_locate("Carhaix", "29").name == "Carhaix-Plouguer"
    assert commune_locate("pont l abbe", "29").name == "Pont-l'Abbé"


def test_an_unknown_commune_falls_back_to_its_departments_centre():
    place = commune_locate("Trifouilly-les-Oies", "29")
    assert not place.exact
    assert (place.lat, place.lon) == DEPARTMENT_CENTRES["29"]
    assert place.name == "Trifouilly-les-Oies"


def test_a_commune_typed_in_the_wrong_department_is_not_trusted():
    place = commune_locate("Rennes", "29")
    assert not place.exact
    assert (place.lat, place.lon) == DEPARTMENT_CENTRES["29"]


def test_a_department_outside_brittany_is_not_placed():
    assert commune_locate("Nantes", "44") is None


def test_the_table_knows_the_main_communes_of_the_four_departments():
    for name in [
        "Rennes",
        "Saint-Malo",
        "Fougères",
        "Vitré",
        "Redon",
        "Brest",
        "Quimper",
        "Morlaix",
        "Douarnenez",
        "Landerneau",
        "Lorient",
        "Vannes",
        "Auray",
        "Pontivy",
        "Ploërmel",
        "Lannion",
        "Saint-Brieuc",
        "Guingamp",
        "Dinan",
        "Loudéac",
        "Paimpol",
        "Concarneau",
        "Quimperlé",
        "Carhaix-Plouguer",
    ]:
        assert name in COMMUNES
    assert len(COMMUNES) >= 60
    assert {department for department, _lat, _lon in COMMUNES.values()} == {"22", "29", "35", "56"}


def test_every_commune_of_the_table_is_drawn_inside_its_own_department():
    for name, (department, lat, lon) in COMMUNES.items():
        x, y = svg.map_position(lat, lon, department)
        polygon = svg._polygon(svg.DEPARTMENT_SHAPES[department][0])
        assert svg.point_in_polygon(x, y, polygon), name
        for other, (points, _label) in svg.DEPARTMENT_SHAPES.items():
            if other != department:
                assert not svg.point_in_polygon(x, y, svg._polygon(points)), name


def test_brest_is_west_of_rennes_and_vannes_south_of_saint_brieuc_on_the_map():
    brest = svg.map_position(48.39, -4.49, "29")
    rennes = svg.map_position(48.11, -1.68, "35")
    vannes = svg.map_position(47.66, -2.76, "56")
    saint_brieuc = svg.map_position(48.51, -2.76, "22")
    assert brest[0] < rennes[0]
    assert vannes[1] > saint_brieuc[1]


# --- The page -----------------------------------------------------------------------------------


@pytest.fixture
def network(reference_data):
    """Public entries in three departments, and everything the public must never see."""
    fablab = make_organisation(name="FabLab de Brest", department="29", commune="Brest")
    make_organisation(name="Ti Wood", kind="sme", department="29", commune="brest")
    make_organisation(
        name="Couturières du Blavet",
        kind="collective",
        department="56",
        commune="Pontivy",
        has_place=False,
    )
    make_organisation(name="Labo Caché", department="35", commune="Rennes", is_public=False)
    make_organisation(name="Doublon de Brest", department="29", commune="Brest", merged_into=fablab)
    make_maker(display_name="Gwen Public", department="35", commune="St-Malo", is_public=True)
    make_maker(display_name="Yann Sansville", department="22", commune="", is_public=True)
    make_maker(display_name="Nolwenn Secrète", department="35", commune="Vitré")
    return fablab


def _svg(response) -> str:
    return re.search(r"<svg.*?</svg>", response.content.decode(), re.S).group(0)


def test_the_map_shows_public_organisations_and_opted_in_makers_at_their_commune(client, network):
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    for name in ["FabLab de Brest", "Ti Wood", "Couturières du Blavet", "Gwen Public"]:
        assert name in page
    assert f'href="/annuaire/organisations/{network.slug}/"' in page
    svg = _svg(response)
    # Brest (two organisations), Pontivy, Saint-Malo, and Yann placed at the centre of 22.
    assert svg.count('class="dot') == 4
    assert 'data-count="2"><title>Brest : 2 organisations</title>' in svg
    assert "Saint-Malo : 1 maker" in svg
    assert svg.count('class="dot approximate"') == 1
    # Its dots are links, so the picture is a named group: an image would hide them.
    assert "<title" in svg and "<desc" in svg and 'role="group"' in svg


def _dot_links(svg: str) -> dict[str, str]:
    """The map's dots as a keyboard meets them: accessible name → where the link leads."""
    links = re.findall(r'<a class="place-link" href="([^"]+)" aria-label="([^"]+)"><circle', svg)
    return {html.unescape(label): target for target, label in links}


def test_every_dot_on_the_map_is_a_link_named_by_its_place_and_count(client, network):
    svg = _svg(client.get(URL))
    links = _dot_links(svg)
    pontivy = Organisation.objects.get(name="Couturières du Blavet")
    assert svg.count('<circle class="dot') == len(links) == 4
    assert links == {
        "Brest : 2 organisations": "#map-commune-29-brest",
        "Pontivy : 1 organisation, Couturières du Blavet": (
            f"/annuaire/organisations/{pontivy.slug}/"
        ),
        "Saint-Malo : 1 maker": "#map-commune-35-saint-malo",
        "commune non précisée : 1 maker (placé au centre du département)": "#map-commune-22--",
    }


def test_each_dot_leads_to_the_same_entries_in_the_list_beside_the_map(client, network):
    page = client.get(URL).content.decode()
    for target in _dot_links(_svg(client.get(URL))).values():
        if target.startswith("#"):
            # The commune in the list, focusable, with the names the dot counts.
            assert f'id="{target[1:]}" tabindex="-1"' in page
        else:
            assert page.count(f'href="{target}"') == 2  # the dot and the list
    brest = re.search(r'id="map-commune-29-brest".*?</ul>', page, re.S).group(0)
    assert "FabLab de Brest" in brest and "Ti Wood" in brest


def test_communes_the_map_cannot_place_lead_to_their_department_in_the_list(client, reference_data):
    make_organisation(name="Atelier Perdu", department="29", commune="Trifouilly")
    make_organisation(name="Atelier Égaré", department="29", commune="Pétaouchnok")
    links = _dot_links(_svg(client.get(URL)))
    assert list(links.values()) == ["#map-list-29"]
    assert "Pétaouchnok, Trifouilly : 2 organisations" in next(iter(links))


def test_the_map_is_a_figure_named_by_its_caption(client, network):
    [caption] = figure_captions(client.get(URL).content.decode())
    assert caption.startswith("Carte schématique des quatre départements bretons.")


def test_what_the_public_may_not_see_is_nowhere_on_the_map_or_in_its_list(client, network):
    page = client.get(URL).content.decode()
    for name in ["Nolwenn Secrète", "Labo Caché", "Doublon de Brest", "Vitré"]:
        assert name not in page
    assert "@" not in _svg(client.get(URL))


def test_the_map_counts_organisations_by_kind_and_makers_per_department(client, network):
    response = client.get(URL)
    rows = {row["code"]: row for row in response.context["per_department"]}
    assert rows["29"]["organisations"] == 2
    assert dict(rows["29"]["per_kind"])["PME"] == 1
    assert dict(rows["29"]["per_kind"])["FabLab associatif"] == 1
    assert rows["56"]["organisations"] == 1 and rows["56"]["makers"] == 0
    assert rows["35"]["organisations"] == 0 and rows["35"]["makers"] == 1
    assert rows["22"]["makers"] == 1
    svg = _svg(response)
    assert re.search(r'data-department="29".*?Finistère</tspan> 2 organisations<', svg)
    assert response.context["totals"]["organisations"] == 3
    assert response.context["totals"]["makers"] == 2


def test_the_list_groups_names_by_department_then_commune(client, network):
    response = client.get(URL)
    finistere = next(g for g in response.context["groups"] if g.code == "29")
    [brest] = finistere.communes_sorted
    assert brest.name == "Brest"
    assert [e.name for e in brest.entries] == ["FabLab de Brest", "Ti Wood"]
    assert "Commune non précisée" in response.content.decode()


def test_a_visitor_filters_the_map_by_department_and_by_kind(client, network):
    page = client.get(URL, {"department": "29"}).content.decode()
    assert "FabLab de Brest" in page and "Gwen Public" not in page
    assert 'class="department highlighted" data-department="29"' in page
    page = client.get(URL, {"kind": "maker"}).content.decode()
    assert "Gwen Public" in page and "FabLab de Brest" not in page
    page = client.get(URL, {"kind": "collective"}).content.decode()
    assert "Couturières du Blavet" in page and "Ti Wood" not in page and "Gwen" not in page


def test_a_filter_that_cannot_be_read_shows_everything_and_says_so(client, network):
    response = client.get(URL, {"department": "99"})
    assert response.status_code == 200
    assert "FabLab de Brest" in response.content.decode()
    assert response.context["filter_form"].errors


def test_the_map_makes_the_same_few_queries_however_large_the_network(client, network):
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(15):
        make_organisation(department=["29", "22", "56", "35"][n % 4], commune=f"Bourg {n}")
        make_maker(display_name=f"Maker {n}", department="56", commune="Vannes", is_public=True)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert "Maker 14" in response.content.decode()
    assert len(many) == len(few)
    assert len(few) <= 4
