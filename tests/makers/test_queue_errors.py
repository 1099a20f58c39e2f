"""The validation queue when a decision is refused or made without JavaScript: ticked rows stay
ticked, each row can be refused with its own reason, Enter on a box decides nothing, and the
confirmation names the reports decided."""

import lxml.html
import pytest

from makers.models import ProductionReport
from tests.factories import make_maker, make_report


@pytest.fixture
def three_reports(maker, reference_data):
    return [
        make_report(maker=maker.maker),
        make_report(maker=make_maker(display_name="Yann Kerbrat", department="22")),
        make_report(maker=make_maker(display_name="Nolwenn Le Bihan", department="35")),
    ]


def tree(response):
    return lxml.html.fromstring(response.content.decode())


def ticked(doc) -> set[int]:
    return {int(box.get("value")) for box in doc.xpath('//input[@name="ids"][@checked]')}


def test_a_refusal_without_reason_keeps_the_ticked_rows_and_links_to_the_reason(
    client, relay_staff, three_reports
):
    first, second, _ = three_reports
    client.force_login(relay_staff)
    response = client.post(
        "/validation/decider/",
        {"ids": [first.pk, second.pk], "action": "reject", "reason": "", "filters": ""},
    )
    assert response.status_code == 200
    assert response.context["decision_form"].has_error("reason", "rejection_reason_missing")
    doc = tree(response)
    assert doc.findtext(".//title").startswith("Erreur : ")
    assert ticked(doc) == {first.pk, second.pk}
    assert [a.get("href") for a in doc.xpath('//*[@id="resume-erreurs"]//a')] == ["#id_reason"]
    assert set(ProductionReport.objects.values_list("status", flat=True)) == {"submitted"}


def test_nothing_ticked_is_said_above_the_buttons_of_the_selection(
    client, relay_staff, three_reports
):
    client.force_login(relay_staff)
    doc = tree(client.post("/validation/decider/", {"action": "validate", "filters": ""}))
    refusal = doc.get_element_by_id("formulaire-erreurs")
    assert refusal.getnext().get("value") == "validate"  # "Valider la sélection" follows
    assert "#formulaire-erreurs" in [
        a.get("href") for a in doc.xpath('//*[@id="resume-erreurs"]//a')
    ]


def test_a_row_is_refused_on_its_own_with_its_reason(client, relay_staff, maker, three_reports):
    first, second, _ = three_reports
    client.force_login(relay_staff)
    response = client.post(
        "/validation/decider/",
        {"reject_one": second.pk, f"row_reason_{second.pk}": "Lot sans photo", "filters": ""},
        follow=True,
    )
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.status, second.rejection_reason) == ("rejected", "Lot sans photo")
    assert first.status == "submitted"
    assert f"n° {second.pk}" in response.content.decode()


def test_a_row_refused_without_reason_opens_with_its_error_and_decides_nothing(
    client, relay_staff, three_reports
):
    _, second, _ = three_reports
    client.force_login(relay_staff)
    response = client.post(
        "/validation/decider/",
        {
            "reject_one": second.pk,
            f"row_reason_{second.pk}": " ",
            "filters": "",
            "ids": [second.pk],
        },
    )
    field = f"row_reason_{second.pk}"
    assert response.context["decision_form"].has_error(field, "rejection_reason_missing")
    doc = tree(response)
    reason = doc.get_element_by_id(f"id_{field}")
    assert reason.get("aria-invalid") == "true"
    assert reason.getparent().get("open") is not None  # the row's <details> is open
    assert f"#id_{field}" in [a.get("href") for a in doc.xpath('//*[@id="resume-erreurs"]//a')]
    assert ticked(doc) == {second.pk}
    second.refresh_from_db()
    assert second.status == "submitted"


def test_every_row_offers_its_own_refusal_with_a_labelled_reason(
    client, relay_staff, three_reports
):
    client.force_login(relay_staff)
    doc = tree(client.get("/validation/"))
    for report in three_reports:
        assert doc.xpath(f'//button[@name="reject_one"][@value="{report.pk}"]')
        assert doc.xpath(f'//label[@for="id_row_reason_{report.pk}"]')


def test_the_first_button_of_the_decision_form_is_the_one_that_decides_nothing(
    client, relay_staff, three_reports
):
    client.force_login(relay_staff)
    doc = tree(client.get("/validation/"))
    form = doc.xpath('//form[contains(@class, "decisions")]')[0]
    first_button = form.xpath(".//button")[0]
    assert (first_button.get("name"), first_button.get("value")) == ("action", "nothing")


def test_enter_in_a_box_without_javascript_decides_nothing_and_keeps_the_boxes_ticked(
    client, relay_staff, three_reports
):
    first, second, _ = three_reports
    client.force_login(relay_staff)
    # What a browser sends on Enter in a box: the form, with its first button.
    response = client.post(
        "/validation/decider/", {"action": "nothing", "ids": [second.pk], "filters": ""}
    )
    assert response.status_code == 200
    assert ticked(tree(response)) == {second.pk}
    assert set(ProductionReport.objects.values_list("status", flat=True)) == {"submitted"}
    assert not response.context["decision_form"].errors


def test_a_validation_names_the_reports_it_decided(client, relay_staff, three_reports):
    first, _, third = three_reports
    client.force_login(relay_staff)
    response = client.post(
        "/validation/decider/",
        {"ids": [third.pk, first.pk], "action": "validate", "filters": ""},
        follow=True,
    )
    assert f"2 déclarations validées : n° {first.pk}, {third.pk}." in response.content.decode()
