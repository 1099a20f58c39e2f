"""French first, English second."""

import pytest


@pytest.mark.django_db
def test_pages_are_in_french_by_default(client):
    response = client.get("/")
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.content.decode()
    assert "Se connecter" in response.content.decode()


@pytest.mark.django_db
def test_the_language_switch_turns_the_site_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Se connecter" not in html
    legal = client.get("/mentions-legales/").content.decode()
    assert "Legal notice" in legal


@pytest.mark.django_db
def test_an_english_browser_still_gets_french_until_the_person_chooses(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="fr">' in html


@pytest.mark.django_db
def test_an_unknown_language_cookie_falls_back_to_french(client):
    client.cookies["django_language"] = "xx"
    assert '<html lang="fr">' in client.get("/").content.decode()
