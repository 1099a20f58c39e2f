"""Text in another language than the page's is marked with its `lang` (RGAA 8.7): the language
switch names each language in itself, and French user content on an English page is marked
French, so a screen reader reads it with the right voice."""

import re

import pytest
from django.template import Context, Template
from django.utils import translation

from tests.factories import make_workshop

pytestmark = pytest.mark.django_db


def english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def options(html: str) -> dict[str, str]:
    """The language switch's options: their `lang`, by value."""
    return dict(re.findall(r'<option value="(\w+)" lang="(\w+)"', html))


def test_the_language_switch_names_each_language_in_itself(client, reference_data):
    html = client.get("/").content.decode()
    assert options(html) == {"fr": "fr", "en": "en"}
    assert re.search(r'<option value="en" lang="en"[^>]*>English</option>', html)
    english(client)
    html = client.get("/").content.decode()
    assert options(html) == {"fr": "fr", "en": "en"}
    assert re.search(r'<option value="fr" lang="fr"[^>]*>Français</option>', html)


def render_french(text) -> str:
    return Template("{% load tilab_format %}{{ text|french }}").render(Context({"text": text}))


def test_french_content_is_marked_on_an_english_page():
    with translation.override("en"):
        assert render_french("Atelier <visières>") == (
            '<span lang="fr">Atelier &lt;visières&gt;</span>'
        )


def test_french_content_is_left_as_it_is_on_a_french_page():
    with translation.override("fr"):
        assert render_french("Atelier <visières>") == "Atelier &lt;visières&gt;"
        assert render_french("") == ""


def test_workshop_titles_on_the_english_agenda_are_marked_french(client, facilitator):
    make_workshop(by=facilitator, title="Visières : retour d'expérience")
    english(client)
    html = client.get("/workshops/").content.decode()
    assert '<span lang="fr">Visières : retour d&#x27;expérience</span>' in html
