"""Errors you can see (RGAA 11.10, 11.11): after a refused form the page's title starts with
"Erreur", a summary at the top links each error to its field, a form's own refusal shows just
above its buttons, every required field is marked in its label, and e-mail errors show an example.
These come from one place (the form renderer and base.html), so a few pages stand for all."""

import lxml.html
import pytest
from django import forms

from makers.models import ProductionReport
from tests.subsidies import test_programme_pages as programmes

# The programme pages' fixtures: three relays and the 2020 programme.
relays, programme_2020 = programmes.relays, programmes.programme_2020


def tree(response):
    return lxml.html.fromstring(response.content.decode())


def summary_links(doc) -> list[str]:
    return [a.get("href") for a in doc.xpath('//*[@id="resume-erreurs"]//a')]


@pytest.fixture
def visor():
    from makers.models import ItemType

    return ItemType.objects.get(slug="visor")


def test_a_refused_report_puts_erreur_in_the_title_and_a_focusable_summary_first(
    client, maker, visor
):
    client.force_login(maker)
    response = client.post(
        "/maker/", {"item_type": visor.pk, "quantity": "0", "produced_on": "2020-04-02"}
    )
    doc = tree(response)
    assert doc.findtext(".//title").startswith("Erreur : ")
    summary = doc.get_element_by_id("resume-erreurs")
    assert (summary.get("role"), summary.get("tabindex")) == ("alert", "-1")
    # First thing in the page's content, before the heading and the form.
    assert summary.getparent().get("id") == "contenu"
    assert "#id_quantity" in summary_links(doc)
    # Each link leads to a field of the page.
    for href in summary_links(doc):
        assert doc.get_element_by_id(href[1:]) is not None
    assert not ProductionReport.objects.exists()


def test_a_page_shown_without_error_has_its_plain_title_and_no_summary(client, maker):
    client.force_login(maker)
    doc = tree(client.get("/maker/"))
    assert not doc.findtext(".//title").startswith("Erreur")
    assert not doc.xpath('//*[@id="resume-erreurs"]')


def test_required_fields_are_marked_in_their_label_and_the_mark_is_explained_once(client, maker):
    client.force_login(maker)
    doc = tree(client.get("/maker/"))
    quantity = doc.xpath('//label[@for="id_quantity"]')[0]
    assert quantity.xpath('span[@class="required-mark"]')
    recipient = doc.xpath('//label[@for="id_recipient"]')[0]
    assert not recipient.xpath('span[@class="required-mark"]')  # optional
    assert len(doc.xpath('//*[@class="required-note"]')) == 1


def test_an_adjustment_without_motivation_links_to_it_and_keeps_the_refusal_above_the_button(
    client, region_staff, relays, programme_2020
):
    client.force_login(region_staff)
    data = programmes.adjustment(
        programme_2020, relays, motivation=" ", rennes="14 000", loch="9 000"
    )
    response = client.post(f"/subventions/{programme_2020.pk}/ajuster/", data)
    doc = tree(response)
    assert doc.findtext(".//title").startswith("Erreur : ")
    assert "#id_motivation" in summary_links(doc)
    # The amounts typed come back as typed, not the saved ones.
    rennes = next(k for k in data if k.startswith("amount_"))
    assert doc.xpath(f'//input[@name="{rennes}"]')[0].get("value") == "14 000"


class Contact(forms.Form):
    email = forms.EmailField()


def test_an_email_refused_gives_an_example_of_the_expected_form():
    form = Contact({"email": "pas-une-adresse"})
    assert form.has_error("email", "invalid")
    assert "nom@exemple.fr" in form.errors["email"][0]


def test_a_refused_delivery_is_summarised_at_the_top_of_the_pledges_page(client, maker):
    from tests.needs.test_maker_pages import TODAY, make_need, pledge, produce

    produce(maker, 30)
    mine = pledge(maker, make_need(quantity=50), 50)
    client.force_login(maker)
    response = client.post(
        f"/besoins/promesses/{mine.pk}/livraison/",
        {f"p{mine.pk}-quantity": "40", f"p{mine.pk}-delivered_on": TODAY.isoformat()},
    )
    doc = tree(response)
    assert doc.findtext(".//title").startswith("Erreur : ")
    # The refusal links to where this pledge's delivery form shows it, far down on a phone.
    assert summary_links(doc) == ["#formulaire-erreurs"]
    refusal = doc.get_element_by_id("formulaire-erreurs")
    assert refusal.getparent().get("action") == f"/besoins/promesses/{mine.pk}/livraison/"
