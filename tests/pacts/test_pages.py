"""Pages of pacts: the register and its filters, the open data against its schema, the PDF,
the work on a pact (another person's answers 404), signing after the recap, reports with
attachments, and the facilitator's follow-up."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pacts import services
from pacts.models import Pact
from tests.factories import make_organisation, make_user
from tests.figures.test_open_data import frictionless_report
from tests.pacts.helpers import add_parties, make_pact, signed_pact

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(facilitator, region_staff):
    return {
        "facilitator": facilitator,
        "region": region_staff,
        "rep": make_user(email="rep@fablab.example.org"),
        "fablab": make_organisation(name="FabLab de Lannion", department="22"),
    }


def _signed(people, **kwargs):
    return signed_pact(
        by=people["facilitator"], public_rep=people["region"], commons_rep=people["rep"],
        organisation=people["fablab"], **kwargs,
    )  # fmt: skip


def test_the_register_shows_signed_pacts_only_and_filters_them(client, people):
    _signed(people, title="Atelier de réparation", department="35")
    make_pact(by=people["facilitator"], title="Brouillon caché")
    page = client.get("/pactes/")
    assert "Atelier de réparation" in page.text and "Brouillon caché" not in page.text
    assert "Atelier" not in client.get("/pactes/?department=29").text.split("</h2>")[1]
    assert "Atelier de réparation" in client.get("/pactes/?q=Lannion").text
    assert "Atelier de réparation" in client.get("/pactes/?party_kind=organisation").text


def test_a_signed_pact_has_its_page_and_pdf_and_a_draft_has_neither(client, people):
    pact = _signed(people)
    assert client.get(f"/pactes/{pact.pk}/").status_code == 200
    pdf = client.get(f"/pactes/{pact.pk}/pacte.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    draft = make_pact(by=people["facilitator"])
    assert client.get(f"/pactes/{draft.pk}/").status_code == 404
    assert client.get(f"/pactes/{draft.pk}/pacte.pdf").status_code == 404


def test_the_open_data_validates_against_its_table_schema(client, people):
    _signed(people, title="Pacte, avec « guillemets »")
    _signed_again = signed_pact(
        by=people["facilitator"], public_rep=make_user(email="a@example.org"),
        commons_rep=make_user(email="b@example.org"), organisation=people["fablab"],
        department=None,
    )  # fmt: skip
    schema = client.get("/pactes/donnees/pactes.schema.json").json()
    csv_bytes = client.get("/pactes/donnees/pactes.csv").content
    report = frictionless_report(csv_bytes, schema)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert csv_bytes.decode().count("\r\n") == 3


def test_another_person_s_pact_answers_404(client, people):
    pact = make_pact(by=people["facilitator"])
    stranger = make_user(email="stranger@example.org")
    client.force_login(stranger)
    assert client.get(f"/pactes/{pact.pk}/travail/").status_code == 404
    assert client.post(f"/pactes/{pact.pk}/travail/", {"action": "propose"}).status_code == 404
    assert client.get(f"/pactes/{pact.pk}/rapport/").status_code == 404


def test_each_representative_signs_on_the_recap_page_and_only_their_party(client, people):
    pact = make_pact(by=people["facilitator"])
    public, commons = add_parties(
        pact, by=people["facilitator"], public_rep=people["region"], commons_rep=people["rep"],
        organisation=people["fablab"],
    )  # fmt: skip
    client.force_login(people["facilitator"])
    assert client.post(f"/pactes/{pact.pk}/travail/", {"action": "propose"}).status_code == 302
    client.force_login(people["rep"])
    assert client.get(f"/pactes/parties/{public.pk}/signer/").status_code == 404
    recap = client.get(f"/pactes/parties/{commons.pk}/signer/")
    assert recap.status_code == 200 and "Atelier de réparation partagé" in recap.text
    unconfirmed = client.post(f"/pactes/parties/{commons.pk}/signer/", {})
    assert unconfirmed.context["form"].has_error("confirm", "pact_sign_not_confirmed")
    assert (
        client.post(f"/pactes/parties/{commons.pk}/signer/", {"confirm": "on"}).status_code == 302
    )
    client.force_login(people["region"])
    client.post(f"/pactes/parties/{public.pk}/signer/", {"confirm": "on"})
    pact.refresh_from_db()
    assert pact.status == Pact.Status.SIGNED


def test_a_report_with_figures_and_an_attachment_reaches_the_register(client, people):
    pact = _signed(people)
    services.pact_activate(pact=pact, by=people["rep"], now=timezone.now())
    client.force_login(people["rep"])
    answer = client.post(
        f"/pactes/{pact.pk}/rapport/",
        {
            "summary": "40 objets réparés.",
            "figures": "Objets réparés ; 40 ; pièces",
            "attachments": [SimpleUploadedFile("bilan.txt", b"bilan", "text/plain")],
        },
    )
    assert answer.status_code == 302
    client.logout()
    page = client.get(f"/pactes/{pact.pk}/")
    assert "40 objets réparés." in page.text and "bilan.txt" in page.text
    attachment = pact.reports.get().attachments.get()
    download = client.get(f"/pactes/pieces-jointes/{attachment.pk}/")
    assert download.content == b"bilan"


def test_the_facilitator_sees_pacts_past_review_and_without_report(client, people):
    pact = _signed(people, reviews=(datetime.date(2026, 1, 10),))
    services.pact_activate(pact=pact, by=people["rep"], now=timezone.now())
    client.force_login(people["facilitator"])
    page = client.get("/pactes/suivi/")
    assert page.context["review_passed"] == [pact]
    assert page.context["without_report"] == [pact]
    client.force_login(people["rep"])
    assert client.get("/pactes/suivi/").status_code == 403


def test_the_facilitator_s_to_do_counts_the_pacts_to_follow(people):
    from accounts.todo import todo_of

    pact = _signed(people, reviews=(datetime.date(2026, 1, 10),))
    services.pact_activate(pact=pact, by=people["rep"], now=timezone.now())
    (section,) = [s for s in todo_of(people["facilitator"], now=timezone.now())
                  if s.role == "facilitator"]  # fmt: skip
    counts = {item.code: item.count for item in section.items}
    assert counts["pacts_review_passed"] == 1 and counts["pacts_without_report"] == 1
    assert [item.url for item in section.items if item.code.startswith("pacts")] == [
        "/pactes/suivi/#review-title",
        "/pactes/suivi/#no-report-title",
    ]


def test_an_attachment_over_the_upload_cap_is_refused_on_its_field(client, people, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 1024 * 1024
    pact = _signed(people)
    services.pact_activate(pact=pact, by=people["rep"], now=timezone.now())
    client.force_login(people["rep"])
    big = SimpleUploadedFile("photos.zip", b"x" * (1024 * 1024 + 1), "application/zip")
    answer = client.post(
        f"/pactes/{pact.pk}/rapport/", {"summary": "Bilan.", "figures": "", "attachments": [big]}
    )
    assert answer.status_code == 200
    assert answer.context["form"].has_error("attachments", "pact_report_attachment_too_big")
    assert not pact.reports.exists()
