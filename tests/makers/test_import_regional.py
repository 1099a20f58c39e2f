"""Files that span relays, and the organisations they name: the Région and facilitators import a
regional collective's file into each relay's queue; a relay hands other relays' lines over or
refuses the file; organisations are matched only among those the importer may see, and a maker
named with one they are not a member of gets a request to join, never a silent membership."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from directory import receivers
from directory import services as directory
from directory.models import MembershipRequest
from fablabs.models import Organisation
from makers import importing, selectors, services, signals
from makers.models import Maker, Membership, ProductionImport, ProductionReport
from tests.conftest import text
from tests.factories import make_maker, make_organisation
from tests.refusals import refused
from tilab.models import Decision

NOW = datetime.datetime(2020, 5, 10, 12, 0, tzinfo=datetime.UTC)
HEADER = "Date;Nom du maker;Structure;Département;Article;Quantité;Coût matière (€);Livré à"
FILENAME = "collectif-regional.csv"
# A regional collective's sheet: Ille-et-Vilaine (LabFab de Rennes), Finistère (ENSTA
# Bretagne), Morbihan (La Fabrique du Loch).
REGIONAL = "\n".join(
    [
        HEADER,
        "02/04/2020;Anne Le Goff;;35;Visière;24;12,50;CHU Rennes",
        "03/04/2020;Maëlle Tanguy;;29;Visière;40;20,00;CHU Brest",
        "03/04/2020;Erwan Morvan;;56;Masque en tissu;15;;EHPAD Auray",
        "04/04/2020;Gwen Le Bras;;35;Visière;10;5,00;CHU Rennes",
    ]
).encode()


def sheet(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


def preview(content, by, **options):
    return importing.production_import_preview(
        content=content,
        filename=FILENAME,
        by=by,
        now=NOW,
        options=importing.ImportOptions(**options),
    )


def apply(content, by, **options):
    return importing.production_import_apply(
        content=content,
        filename=FILENAME,
        by=by,
        now=NOW,
        options=importing.ImportOptions(**options),
    )


def departments_in_queue(user) -> list[str]:
    return sorted(selectors.validation_queue_of(user).values_list("department_id", flat=True))


@pytest.fixture
def relays(relay_staff, other_relay_staff, loch_staff):
    """The three relays of 2020 and one staffer each: Camille (Rennes: 35, 22), Sophie (ENSTA
    Bretagne: 29), Yannick (La Fabrique du Loch: 56)."""
    return {"35": relay_staff, "29": other_relay_staff, "56": loch_staff}


# --- The Région and facilitators ------------------------------------------------------------------


def test_a_regional_file_imported_by_the_region_lands_in_the_queues_of_three_relays(
    relays, region_staff
):
    plan = preview(REGIONAL, region_staff)
    assert plan.choices_needed == []
    assert plan.handed_over == [
        {"relay": "ENSTA Bretagne", "departments": ["29"], "rows": 1},
        {"relay": "La Fabrique du Loch", "departments": ["56"], "rows": 1},
        {"relay": "LabFab de Rennes", "departments": ["35"], "rows": 2},
    ]

    apply(REGIONAL, region_staff)

    reports = ProductionReport.objects.all()
    assert {(r.status, r.source, r.entered_by) for r in reports} == {
        ("submitted", "import", region_staff)
    }
    assert departments_in_queue(relays["35"]) == ["35", "35"]
    assert departments_in_queue(relays["29"]) == ["29"]
    assert departments_in_queue(relays["56"]) == ["56"]


def test_each_relay_validates_the_regions_lines_and_the_importer_none(relays, region_staff):
    apply(REGIONAL, region_staff)
    by_department = {r.department_id: r for r in ProductionReport.objects.order_by("pk")}

    with refused("own_entry"):
        services.production_report_validate(report=by_department["29"], by=region_staff, now=NOW)
    with refused("report_outside_relay"):
        services.production_report_validate(report=by_department["29"], by=relays["35"], now=NOW)
    for code, staff in relays.items():
        services.production_report_validate(report=by_department[code], by=staff, now=NOW)
        by_department[code].refresh_from_db()
        assert (by_department[code].status, by_department[code].decided_by) == (
            "validated",
            staff,
        )


def test_a_facilitator_imports_a_regional_file_through_the_page(client, relays, facilitator):
    client.force_login(facilitator)
    response = client.post("/validation/import/", {"file": SimpleUploadedFile(FILENAME, REGIONAL)})
    batch = ProductionImport.objects.get()
    assert response["Location"] == f"/validation/import/{batch.pk}/"
    page = text(client.get(response["Location"]))
    assert "Lignes transmises à d'autres relais" in page
    assert "ENSTA Bretagne" in page and "La Fabrique du Loch" in page

    response = client.post(f"/validation/import/{batch.pk}/")
    # A facilitator has no queue of their own: back to the upload page.
    assert response["Location"] == "/validation/import/"
    assert {r.entered_by for r in ProductionReport.objects.all()} == {facilitator}
    assert departments_in_queue(relays["29"]) == ["29"]
    with refused("report_outside_relay"):
        services.production_reports_validate(
            report_ids=list(ProductionReport.objects.values_list("pk", flat=True)),
            by=facilitator,
            now=NOW,
        )


def test_an_auditor_gets_403_on_the_import_pages_and_the_api(client, relays, auditor):
    client.force_login(auditor)
    assert client.get("/validation/import/").status_code == 403
    upload = {"file": SimpleUploadedFile(FILENAME, REGIONAL)}
    assert client.post("/validation/import/", upload).status_code == 403
    api = {"file": SimpleUploadedFile(FILENAME, REGIONAL), "dry_run": "false"}
    assert client.post("/api/v1/production-reports/import/", api).status_code == 403
    assert not ProductionReport.objects.exists()


def test_a_line_of_a_department_no_relay_covers_is_refused_with_its_code(relay_staff, region_staff):
    # Only LabFab de Rennes exists: nobody could decide the lines of 29 and 56.
    with refused("import_rejected", kind=importing.ImportRejected) as rejected:
        apply(REGIONAL, region_staff)
    assert [(e.line, e.code) for e in rejected.value.errors] == [
        (3, "department_without_relay"),
        (4, "department_without_relay"),
    ]
    assert not ProductionReport.objects.exists()


# --- A relay's file with other relays' lines ------------------------------------------------------


def test_a_relay_is_asked_about_other_relays_lines_and_cannot_confirm_before_choosing(
    relays, relay_staff
):
    plan = preview(REGIONAL, relay_staff)
    assert [choice["option"] for choice in plan.choices_needed] == ["other_departments"]
    assert [hand["relay"] for hand in plan.handed_over] == [
        "ENSTA Bretagne",
        "La Fabrique du Loch",
    ]

    with refused("import_choice_needed"):
        apply(REGIONAL, relay_staff)
    assert not ProductionReport.objects.exists()
    assert not ProductionImport.objects.exists()


def test_a_relay_handing_over_imports_its_lines_and_the_others_wait_in_their_relays_queues(
    client, relays, relay_staff, other_relay_staff
):
    relay_staff.full_name = "Camille Riou"
    relay_staff.save(update_fields=["full_name"])
    plan = apply(REGIONAL, relay_staff, other_departments="hand_over")
    assert plan.counts["rows_to_create"] == 4
    assert {r.entered_by for r in ProductionReport.objects.all()} == {relay_staff}
    assert departments_in_queue(relays["29"]) == ["29"]
    assert departments_in_queue(relays["56"]) == ["56"]

    # Sophie, at ENSTA Bretagne, sees the line waiting, with the file it came from.
    client.force_login(other_relay_staff)
    page = text(client.get("/validation/"))
    assert "Maëlle Tanguy" in page and "Anne Le Goff" not in page
    assert f"importé de « {FILENAME} » par LabFab de Rennes / Camille R." in page
    [handed] = ProductionReport.objects.filter(department="29")
    services.production_report_validate(report=handed, by=other_relay_staff, now=NOW)


def test_the_preview_page_asks_then_hands_over_once_chosen(client, relays, relay_staff):
    client.force_login(relay_staff)
    client.post("/validation/import/", {"file": SimpleUploadedFile(FILENAME, REGIONAL)})
    batch = ProductionImport.objects.get()
    url = f"/validation/import/{batch.pk}/"

    page = text(client.get(url))
    assert 'name="other_departments"' in page
    assert "Refuser ce fichier" in page
    assert "Importer 4 déclarations" not in page

    # Confirming before choosing is refused, nothing imported.
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == url
    assert not ProductionReport.objects.exists()

    client.post(url, {"action": "choose", "other_departments": "hand_over"})
    assert "Importer 4 déclarations" in text(client.get(url))
    response = client.post(url)
    assert response["Location"] == "/validation/"
    assert ProductionReport.objects.count() == 4


def test_refusing_the_file_discards_it_and_records_the_refusal(client, relays, relay_staff):
    client.force_login(relay_staff)
    client.post("/validation/import/", {"file": SimpleUploadedFile(FILENAME, REGIONAL)})
    batch = ProductionImport.objects.get()

    response = client.post(f"/validation/import/{batch.pk}/", {"action": "refuse"})
    assert response["Location"] == "/validation/import/"
    assert not ProductionImport.objects.exists()
    assert not ProductionReport.objects.exists()
    decision = Decision.objects.get(action="import_refuse")
    assert (decision.actor, decision.object_id, decision.data["filename"]) == (
        relay_staff,
        str(batch.pk),
        FILENAME,
    )
    assert client.get(f"/validation/import/{batch.pk}/").status_code == 404


def test_a_confirmed_import_cannot_be_refused_any_more(relays, region_staff):
    batch = importing.production_import_upload(
        content=REGIONAL, filename=FILENAME, by=region_staff, now=NOW
    )
    importing.production_import_confirm(batch=batch, by=region_staff, now=NOW)
    with refused("import_already_refused"):
        importing.production_import_refuse(batch=batch, by=region_staff, now=NOW)
    assert ProductionReport.objects.count() == 4


def test_reimporting_a_regional_file_duplicates_nothing(relays, region_staff, relay_staff):
    apply(REGIONAL, region_staff)
    again = apply(REGIONAL, region_staff)
    assert (again.counts["rows_to_create"], again.already_there) == (0, [2, 3, 4, 5])

    # The relay's copy of the same file: every line is already there, nothing to choose.
    plan = preview(REGIONAL, relay_staff)
    assert (plan.rows, plan.choices_needed) == ([], [])
    assert ProductionReport.objects.count() == 4
    assert Maker.objects.count() == 4


def test_the_api_refuses_a_relays_file_until_it_hands_over(client, relays, relay_staff):
    client.force_login(relay_staff)

    def post(**fields):
        return client.post(
            "/api/v1/production-reports/import/",
            {"file": SimpleUploadedFile(FILENAME, REGIONAL), **fields},
        )

    body = post().json()
    assert [choice["option"] for choice in body["choices_needed"]] == ["other_departments"]
    assert body["handed_over"] == [
        {"relay": "ENSTA Bretagne", "departments": ["29"], "rows": 1},
        {"relay": "La Fabrique du Loch", "departments": ["56"], "rows": 1},
    ]
    refused_answer = post(dry_run="false")
    assert (refused_answer.status_code, refused_answer.json()["code"]) == (
        400,
        "import_choice_needed",
    )
    assert not ProductionReport.objects.exists()
    assert post(dry_run="false", other_departments="hand_over").status_code == 201
    assert ProductionReport.objects.count() == 4


# --- Organisations and memberships ----------------------------------------------------------------


def test_another_relays_organisation_of_the_same_name_is_not_matched(relays, relay_staff):
    brest = make_organisation(name="Fablab du Port", department="29")
    plan = apply(sheet("02/04/2020;Anne Le Goff;Fablab du Port;35;Visière;24;;"), relay_staff)
    assert [(o.name, o.department) for o in plan.organisations_to_create] == [
        ("Fablab du Port", "35")
    ]
    report = ProductionReport.objects.get()
    assert report.organisation != brest
    assert report.organisation.department_id == "35"
    assert not MembershipRequest.objects.exists()


def test_a_relay_matches_an_organisation_of_any_department_it_covers(relays, relay_staff):
    lab = make_organisation(name="FabLab Lannion", department="22")
    apply(sheet("02/04/2020;Anne Le Goff;fablab lannion;35;Visière;24;;"), relay_staff)
    assert ProductionReport.objects.get().organisation == lab


def test_a_hidden_organisation_is_never_matched_nor_revealed(client, relays, relay_staff):
    hidden = make_organisation(
        name="Atelier Caché de Vitré", department="35", commune="Vitré", is_public=False
    )
    anne = make_maker(display_name="Anne Le Goff", department="35")
    content = sheet("02/04/2020;Anne Le Goff;ATELIER CACHE DE VITRE;35;Visière;24;;")

    plan = preview(content, relay_staff)
    assert [o.name for o in plan.organisations_to_create] == ["ATELIER CACHE DE VITRE"]
    assert plan.membership_requests_to_open == []

    client.force_login(relay_staff)
    api = client.post(
        "/api/v1/production-reports/import/",
        {"file": SimpleUploadedFile(FILENAME, content), "dry_run": "false"},
    )
    assert api.status_code == 201
    assert hidden.name not in api.content.decode()
    client.post("/validation/import/", {"file": SimpleUploadedFile("autre.csv", content)})
    batch = ProductionImport.objects.get(filename="autre.csv")
    page = text(client.get(f"/validation/import/{batch.pk}/"))
    assert hidden.name not in page and "Vitré" not in page

    report = ProductionReport.objects.get()
    assert report.organisation != hidden
    assert (report.organisation.name, report.organisation.is_public) == (
        "ATELIER CACHE DE VITRE",
        False,
    )
    assert not hidden.memberships.exists()
    assert not MembershipRequest.objects.filter(organisation=hidden).exists()
    # The new organisation has nobody to ask: its maker is its member.
    assert Membership.objects.filter(maker=anne, organisation=report.organisation).exists()


def test_an_organisation_an_earlier_import_created_is_found_again(relays, relay_staff):
    apply(sheet("02/04/2020;Anne Le Goff;Collectif des Couturières;35;Visière;24;;"), relay_staff)
    plan = apply(
        sheet("03/04/2020;Anne Le Goff;Collectif des Couturières;35;Visière;30;;"), relay_staff
    )
    assert plan.organisations_to_create == []
    assert Organisation.objects.filter(name="Collectif des Couturières").count() == 1


def test_a_maker_named_with_a_visible_organisation_gets_a_request_to_join(
    client, relays, relay_staff, maker
):
    lab = make_organisation(name="FabLab de Bréquigny", department="35")
    manager = make_maker(display_name="Loïc Manager", department="35")
    Membership.objects.create(maker=manager, organisation=lab, is_manager=True)
    content = sheet("02/04/2020;Anne Le Goff;Fablab de Bréquigny;35;Visière;24;;")

    client.force_login(relay_staff)
    body = client.post(
        "/api/v1/production-reports/import/", {"file": SimpleUploadedFile(FILENAME, content)}
    ).json()
    assert body["counts"]["membership_requests_to_open"] == 1
    assert body["membership_requests_to_open"] == [
        {"maker": "Anne Le Goff", "organisation": "FabLab de Bréquigny", "department": "35"}
    ]
    client.post("/validation/import/", {"file": SimpleUploadedFile(FILENAME, content)})
    batch = ProductionImport.objects.get()
    page = text(client.get(f"/validation/import/{batch.pk}/"))
    assert "Demandes d'adhésion à ouvrir" in page

    client.post(f"/validation/import/{batch.pk}/")
    anne = maker.maker
    assert not Membership.objects.filter(maker=anne, organisation=lab).exists()
    request = MembershipRequest.objects.get(maker=anne, organisation=lab)
    assert request.status == "pending"
    assert FILENAME in request.message
    assert Decision.objects.filter(action="membership_request_open", actor=relay_staff).exists()
    assert ProductionReport.objects.get().organisation == lab

    # Imported again: nothing more is asked.
    plan = apply(content, relay_staff)
    assert plan.membership_requests_to_open == []
    assert MembershipRequest.objects.count() == 1

    # A line more, once the request waits: still one request.
    apply(sheet("03/04/2020;Anne Le Goff;Fablab de Bréquigny;35;Visière;30;;"), relay_staff)
    assert MembershipRequest.objects.count() == 1

    # The organisation's manager decides, as for any request.
    loic = manager
    loic.user = type(relay_staff).objects.create_user(email="loic@example.org")
    loic.save(update_fields=["user"])
    directory.membership_request_decide(request=request, by=loic.user, accept=True, now=NOW)
    assert Membership.objects.filter(maker=anne, organisation=lab).exists()


def test_the_import_signal_reaches_the_directorys_receiver_once(db):
    receivers.connect()  # connecting again (a reloaded app, say) adds nothing
    answered = signals.memberships_requested.send(
        sender=ProductionImport, pairs=[], by=None, now=NOW, source=None
    )
    assert [listener for listener, _response in answered] == [receivers.memberships_requested]
