"""The network graph stays readable: names wrapped between words, a department filter, and
the whole network drawn per department once it is too big to draw person by person."""

import re

import pytest

from recognition.graph_views import MAX_DETAILED_NODES, label_lines
from tests.conftest import figure_captions
from tests.factories import make_maker, make_organisation
from tests.recognition.networks import LONG_NAME, six_hundred_makers

URL = "/reseau/"


@pytest.mark.parametrize(
    ("name", "lines", "shortened"),
    [
        ("Ti Wood", ["Ti Wood"], False),
        ("FabLab de la Côte de Granit", ["FabLab de la", "Côte de Granit"], False),
        (LONG_NAME, ["Association des", "Couturières …"], True),
        # A word longer than a line stands alone, whole.
        ("Intercommunalité-Landerneau-Daoulas", ["Intercommunalité-Landerneau-Daoulas"], False),
    ],
)
def test_a_name_is_wrapped_between_words_and_never_cut_inside_one(name, lines, shortened):
    assert label_lines(name) == (lines, shortened)
    written = " ".join(lines).removesuffix(" …")
    assert name.startswith(written)
    assert name[len(written) : len(written) + 1] in ("", " ")


def _labels(page: str) -> list[str]:
    """The names written on the graph, line by line joined."""
    return [
        " ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", text))
        for text in re.findall(r'<text class="label"[^>]*>(.*?)</text>', page, re.S)
    ]


def test_a_long_name_on_the_graph_keeps_its_whole_words_and_its_full_name(
    client, facilitator, reference_data
):
    lab = make_organisation(name=LONG_NAME, department="29")
    make_maker(display_name="Gwenola Le Floc'h-Kerbrat", department="29")
    client.force_login(facilitator)
    page = client.get(URL).content.decode()
    assert "Association des Couturières …" in _labels(page)
    assert f"<title>{LONG_NAME}</title>" in page
    names = re.search(r'<details class="graph-names">(.*?)</details>', page, re.S).group(1)
    assert LONG_NAME in names and lab.name in names


def test_the_department_filter_narrows_the_graph_and_the_links(client, facilitator, reference_data):
    six_hundred_makers()
    client.force_login(facilitator)
    response = client.get(URL, {"department": "56"})
    page = response.content.decode()
    assert response.context["graph_mode"] == "organisations"  # 154 in Morbihan: too many
    assert page.count('class="node organisation"') == 4
    assert 'class="node maker"' not in page
    assert "Le graphe : Morbihan" in page
    rows = response.context["rows"]
    assert rows and all("56" in (row["a"].department, row["b"].department) for row in rows)


def test_six_hundred_makers_are_drawn_per_department_with_a_table_beside(
    client, facilitator, reference_data
):
    six_hundred_makers()
    client.force_login(facilitator)
    response = client.get(URL)
    page = response.content.decode()
    assert response.context["node_count"] > MAX_DETAILED_NODES
    assert response.context["graph_mode"] == "clusters"
    assert page.count('class="cluster"') == 4
    assert 'class="node maker"' not in page
    [caption] = figure_captions(page)
    assert caption.startswith("Le réseau par département")
    finistere = next(c for c in response.context["clusters"] if c.department == "29")
    assert (finistere.organisations, finistere.makers) == (4, 150)
    assert "Finistère (29)" in _labels(page)[1]
    between = {(p["one"], p["other"]): p["links"] for p in response.context["between"]}
    # Every third maker crossing into the next department links there to its FabLab.
    assert between[("Côtes-d'Armor", "Finistère")] > 0
    assert 'id="graph-between"' in page
