"""Attestations of participation: what they state, the accessible PDF, the public check by code,
and who may download which."""

import datetime
import re
import zlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone, translation

from makers.models import Membership
from recognition import services
from recognition.attestations import code_display, maker_content
from recognition.models import Attestation
from subsidies import services as money
from tests.conftest import text
from tests.factories import (
    approve_all,
    make_maker,
    make_organisation,
    make_programme,
    make_report,
    make_user,
    make_workshop,
    region_controller,
    relay_colleague,
)
from tilab import roles
from workshops import services as workshops

ATTESTATION = "/maker/attestation/"
CHECK = "/attestations/verifier/"


def pdf_text(pdf: bytes) -> str:
    """The text a PDF reader extracts, in a few lines and no dependency: every text-showing
    operation of the (Flate-compressed) content streams, decoded with the ToUnicode maps the
    fonts carry. A run is kept with the first map that knows all its glyphs."""
    streams = []
    for match in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", match.end())
        try:
            streams.append(zlib.decompress(pdf[match.end() : end]))
        except zlib.error:
            continue
    maps = []
    for stream in streams:
        if b"begincmap" not in stream:
            continue
        mapping = {}
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
            for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
            for lo, hi, dst in re.findall(
                rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
            ):
                start = ord(bytes.fromhex(dst.decode()).decode("utf-16-be")[0])
                for offset, glyph in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    mapping[glyph] = chr(start + offset)
        maps.append(mapping)
    runs = []
    for stream in streams:
        if b"BT" not in stream:
            continue
        for array in re.findall(rb"\[(.*?)\]\s*TJ", stream, re.S):
            glyphs = [
                int(h[i : i + 4], 16)
                for h in re.findall(rb"<([0-9a-fA-F]+)>", array)
                for i in range(0, len(h), 4)
            ]
            for mapping in maps:
                if glyphs and all(g in mapping for g in glyphs):
                    runs.append("".join(mapping[g] for g in glyphs))
                    break
    return " ".join(runs)


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF's dictionaries, compressed object streams included, as one byte string."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", match.end())
        try:
            parts.append(zlib.decompress(pdf[match.end() : end]))
        except zlib.error:
            continue
    return b"\n".join(parts)


@pytest.fixture
def workshop_details():
    """`workshop` with the title an attestation names, and the default ten seats."""
    return {"title": "Atelier visières et hôpitaux"}


def attend(workshop, user, facilitator, *, present=True):
    registration = workshops.registration_create(workshop=workshop, now=timezone.now(), user=user)
    workshops.attendance_record(
        workshop=workshop,
        attended={registration.pk: present},
        by=facilitator,
        now=workshop.starts_at,
    )
    return registration


@pytest.fixture
def anne_participated(anne, maker, relay_staff, other_relay_staff, region_staff, facilitator):
    """Anne: 24 + 36 visors and 10 masks validated by LabFab de Rennes, one report waiting and
    one rejected; 250 € paid by the relay; one workshop attended, one missed."""
    make_report(
        maker=anne,
        quantity=24,
        produced_on=datetime.date(2020, 4, 2),
        status="validated",
        decided_by=relay_staff,
    )
    make_report(
        maker=anne,
        quantity=36,
        produced_on=datetime.date(2020, 4, 20),
        status="validated",
        decided_by=relay_staff,
    )
    make_report(
        maker=anne,
        item="fabric-mask",
        quantity=10,
        produced_on=datetime.date(2020, 4, 9),
        status="validated",
        decided_by=relay_staff,
    )
    make_report(maker=anne, quantity=500, status="submitted")
    make_report(maker=anne, quantity=700, status="rejected", decided_by=relay_staff)
    programme = make_programme(
        by=region_staff, relays=[relay_staff.relays.get()], envelope_cents=25_000
    )
    approve_all(programme, by=region_controller())
    redistribution = money.redistribution_propose(
        allocation=programme.allocations.get(), by=relay_staff, now=timezone.now()
    )
    money.redistribution_approve(
        redistribution=redistribution, by=relay_colleague(relay_staff), now=timezone.now()
    )
    line = redistribution.lines.get(maker=anne)
    money.payments_record(
        lines=[line],
        paid_on=timezone.localdate(),
        reference="VIR-2020-04",
        by=relay_staff,
        now=timezone.now(),
    )
    attend(make_workshop(by=facilitator, title="Atelier visières et hôpitaux"), maker, facilitator)
    attend(make_workshop(by=facilitator, title="Atelier manqué"), maker, facilitator, present=False)
    return anne


# --- What the attestation says ------------------------------------------------------------


def test_the_attestation_counts_validated_production_only_with_dates_and_the_relay(
    anne_participated,
):
    content = maker_content(anne_participated)
    rows = {row["item"]: row for row in content["production"]}
    assert rows["visor"] == {
        "item": "visor",
        "item_name": rows["visor"]["item_name"],
        "unit": rows["visor"]["unit"],
        "relay": "LabFab de Rennes",
        "quantity": 60,
        "reports": 2,
        "first_on": "2020-04-02",
        "last_on": "2020-04-20",
    }
    assert rows["fabric-mask"]["quantity"] == 10
    assert content["totals"]["quantity"] == 70  # neither the waiting 500 nor the rejected 700
    assert content["totals"]["relays"] == ["LabFab de Rennes"]


def test_the_attestation_states_the_money_received_and_whether_it_was_paid(anne_participated):
    content = maker_content(anne_participated)
    [line] = content["money"]
    assert line["programme"] == "Soutien aux makers 2020"
    assert line["relay"] == "LabFab de Rennes"
    assert line["amount_cents"] == 25_000
    assert line["paid"] is True
    assert content["totals"]["paid_cents"] == 25_000


def test_the_attestation_lists_only_the_workshops_attended(anne_participated):
    content = maker_content(anne_participated)
    assert [w["title"] for w in content["workshops"]] == ["Atelier visières et hôpitaux"]


def test_the_relay_is_the_one_of_who_validated_even_if_coverage_moved_since(
    anne, relay_staff, other_relay_staff
):
    make_report(maker=anne, status="validated", decided_by=relay_staff)
    # Ille-et-Vilaine moves to ENSTA Bretagne afterwards: LabFab de Rennes still validated it.
    from fablabs.models import RelayCoverage

    RelayCoverage.objects.filter(department_id="35").update(relay=other_relay_staff.relays.get())
    assert maker_content(anne)["totals"]["relays"] == ["LabFab de Rennes"]


# --- The PDF --------------------------------------------------------------------------------


def test_the_maker_downloads_an_accessible_pdf_carrying_the_code_as_text(
    client, maker, anne_participated
):
    client.force_login(maker)
    response = client.post(ATTESTATION)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    attestation = Attestation.objects.get(maker=anne_participated)
    code = code_display(attestation.code)
    assert response["Content-Disposition"] == (
        f'attachment; filename="attestation-tilab-{code}.pdf"'
    )
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    words = pdf_text(pdf)
    assert code in words
    assert "Attestation de participation" in words
    assert "LabFab de Rennes" in words
    # The address may wrap at the end of a line; the link behind it is whole.
    assert f"attestations/verifier/?code={code}" in "".join(words.split())
    objects = pdf_objects(pdf)
    assert f"/attestations/verifier/?code={code})".encode() in objects
    assert b"/Lang (fr)" in objects
    assert b"/MarkInfo <</Marked true>>" in objects
    title = re.search(rb"<dc:title>(.*?)</dc:title>", objects, re.S).group(1).decode()
    assert "Attestation de participation – Anne Le Goff" in title
    # Tagged: a reader finds the headings, the tables and their header cells.
    tags = set(re.findall(rb"/S /(\w+)", objects))
    assert {b"H1", b"H2", b"Table", b"Caption", b"TH", b"TD"} <= tags


def test_the_pdf_says_who_issues_it_where_and_when(client, maker, anne_participated, settings):
    settings.TILAB_ATTESTATION_PLACE = "Brest"
    client.force_login(maker)
    words = " ".join(pdf_text(client.post(ATTESTATION).content).split())
    attestation = Attestation.objects.get(maker=anne_participated)
    assert "Délivrée par" in words
    assert "Ti Lab, laboratoire d'innovation publique" in words
    with translation.override("fr"):
        day = formats.date_format(timezone.localtime(attestation.issued_at), "DATE_FORMAT")
    assert f"Fait à Brest, le {day}." in words


def test_downloading_twice_the_same_day_reuses_the_attestation(client, maker, anne_participated):
    client.force_login(maker)
    client.post(ATTESTATION)
    client.post(ATTESTATION)
    assert Attestation.objects.filter(maker=anne_participated).count() == 1


def test_new_validated_production_issues_a_new_attestation_and_the_old_one_stays_as_it_was(
    client, maker, anne_participated, relay_staff
):
    client.force_login(maker)
    client.post(ATTESTATION)
    make_report(maker=anne_participated, quantity=5, status="validated", decided_by=relay_staff)
    client.post(ATTESTATION)
    first, second = Attestation.objects.filter(maker=anne_participated).order_by("issued_at")
    assert first.content["totals"]["quantity"] == 70
    assert second.content["totals"]["quantity"] == 75
    assert first.code != second.code


def test_the_preview_shows_what_the_attestation_will_say_and_issues_nothing(
    client, maker, anne_participated
):
    client.force_login(maker)
    page = text(client.get(ATTESTATION))
    assert "Télécharger le PDF" in page
    assert "LabFab de Rennes" in page
    assert "Atelier visières et hôpitaux" in page
    assert "Atelier manqué" not in page
    assert not Attestation.objects.exists()


# --- Who may download which ---------------------------------------------------------------


def test_a_maker_only_ever_gets_their_own_attestation(client, anne_participated, reference_data):
    other = make_user(role=roles.MAKER, email="yann@example.org")
    make_maker(user=other, display_name="Yann Kervella", department="29")
    client.force_login(other)
    page = text(client.get(ATTESTATION))
    assert "Yann Kervella" in page
    assert "Anne Le Goff" not in page
    pdf = client.post(ATTESTATION).content
    assert "Anne Le Goff" not in pdf_text(pdf)
    assert Attestation.objects.get().holder_name == "Yann Kervella"


def test_staff_without_a_maker_role_are_refused_and_the_public_sent_to_log_in(client, relay_staff):
    assert client.get(ATTESTATION).status_code == 302
    client.force_login(relay_staff)
    assert client.get(ATTESTATION).status_code == 403


@pytest.fixture
def fablab(anne, relay_staff):
    organisation = make_organisation(name="FabLab de Lannion", department="22")
    Membership.objects.create(maker=anne, organisation=organisation, is_manager=True)
    make_report(
        maker=anne,
        organisation=organisation,
        quantity=300,
        status="validated",
        decided_by=relay_staff,
    )
    make_report(maker=anne, quantity=7, status="validated", decided_by=relay_staff)
    return organisation


def test_a_manager_downloads_the_organisations_attestation_with_its_production_only(
    client, maker, fablab
):
    client.force_login(maker)
    url = f"/annuaire/organisations/{fablab.slug}/attestation/"
    assert "FabLab de Lannion" in text(client.get(url))
    response = client.post(url)
    assert response["Content-Type"] == "application/pdf"
    attestation = Attestation.objects.get(organisation=fablab)
    assert attestation.maker is None
    assert attestation.content["totals"]["quantity"] == 300  # not Anne's own 7
    assert attestation.content["members"] == 1


def test_members_who_do_not_manage_and_strangers_get_404_for_an_organisations_attestation(
    client, fablab, facilitator
):
    url = f"/annuaire/organisations/{fablab.slug}/attestation/"
    member = make_user(role=roles.MAKER)
    Membership.objects.create(
        maker=make_maker(user=member, display_name="Loïc"), organisation=fablab
    )
    client.force_login(member)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(facilitator)
    assert client.get(url).status_code == 404
    assert not Attestation.objects.exists()


# --- The public check -----------------------------------------------------------------------


@pytest.fixture
def issued(anne_participated, maker):
    return services.attestation_issue(maker=anne_participated, by=maker, now=timezone.now())


def test_anyone_checks_an_attestation_by_its_code_and_sees_what_it_said(client, issued):
    page = text(client.get(CHECK, {"code": code_display(issued.code)}))
    assert "authentique" in page
    assert "Anne Le Goff" in page
    assert "60 × " in page.replace("\u202f", " ")
    assert "250,00" in page
    assert "anne@example.org" not in page


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.lower(),
        lambda code: f"  {code[:4]} {code[4:8]} {code[8:]} ",
        lambda code: f"{code[:4]}—{code[4:8]}-{code[8:]}".replace("—", "-").lower(),
    ],
)
def test_the_code_may_be_typed_in_lower_case_with_spaces_or_dashes(client, issued, typed):
    page = text(client.get(CHECK, {"code": typed(issued.code)}))
    assert "Anne Le Goff" in page


def test_an_unknown_code_says_only_that_no_attestation_carries_it(client, issued):
    wrong = "ZZZZZZZZZZZZ" if issued.code != "ZZZZZZZZZZZZ" else "YYYYYYYYYYYY"
    for typed in (wrong, issued.code[:11], "n'importe quoi"):
        response = client.get(CHECK, {"code": typed})
        assert response.status_code == 200
        page = text(response)
        assert "Aucune attestation ne porte ce code" in page
        assert "Anne Le Goff" not in page


def test_the_check_page_without_a_code_shows_the_form_only(client):
    page = text(client.get(CHECK))
    assert 'name="code"' in page
    assert "Aucune attestation" not in page


def test_checking_too_many_codes_in_a_row_is_slowed_down(client, issued, settings):
    from tilab.throttling import parse_rate

    check_limit, _window = parse_rate(settings.THROTTLE_RATES["attestation_check"])
    for _ in range(check_limit):
        assert client.get(CHECK, {"code": "ZZZZ-ZZZZ-ZZZZ"}).status_code == 200
    response = client.get(CHECK, {"code": code_display(issued.code)})
    assert response.status_code == 429
    assert "Anne Le Goff" not in text(response)


def test_the_check_shows_the_attestation_as_issued_even_after_new_production(
    client, issued, relay_staff, anne_participated
):
    make_report(maker=anne_participated, quantity=1000, status="validated", decided_by=relay_staff)
    page = text(client.get(CHECK, {"code": issued.code})).replace("\u202f", " ")
    assert "60 × " in page
    assert "1 060" not in page


def test_the_maker_space_links_to_the_attestation_and_the_personal_data(client, maker):
    client.force_login(maker)
    page = text(client.get("/maker/"))
    assert ATTESTATION in page
    assert "/maker/mes-donnees/" in page


def test_the_preview_costs_the_same_queries_with_more_production_money_and_workshops(
    client, maker, anne, relay_staff, facilitator
):
    client.force_login(maker)
    make_report(maker=anne, status="validated", decided_by=relay_staff)
    with CaptureQueriesContext(connection) as few:
        client.get(ATTESTATION)
    for n in range(6):
        make_report(
            maker=anne, item="gown", quantity=n + 1, status="validated", decided_by=relay_staff
        )
        attend(make_workshop(by=facilitator, title=f"Atelier {n}"), maker, facilitator)
    with CaptureQueriesContext(connection) as many:
        page = text(client.get(ATTESTATION))
    assert "Atelier 5" in page
    assert len(many.captured_queries) == len(few.captured_queries)


# --- A server that cannot write PDFs ----------------------------------------------------------
# As on a server without Pango: importing WeasyPrint fails (the library is outside this
# machine's control, so its absence is simulated by hiding the module).


@pytest.fixture
def no_pdf_renderer(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)


def test_without_a_pdf_renderer_no_attestation_is_issued_and_the_page_says_why(
    client, maker, anne_participated, no_pdf_renderer
):
    client.force_login(maker)
    response = client.post(ATTESTATION)
    assert response.status_code == 503
    page = text(response)
    assert "ne peut pas produire de PDF" in page
    assert response.content.decode().split("<title>")[1].startswith("Erreur")
    assert not Attestation.objects.exists()


def test_without_a_pdf_renderer_the_api_refuses_with_a_code_and_issues_nothing(
    client, maker, anne_participated, no_pdf_renderer
):
    client.force_login(maker)
    response = client.post("/api/v1/attestations/", {}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (409, "attestation_pdf_unavailable")
    assert not Attestation.objects.exists()


def test_the_system_check_says_what_to_install_when_pdfs_cannot_be_written(no_pdf_renderer):
    from django.core.checks import run_checks

    [warning] = [w for w in run_checks() if w.id == "recognition.W001"]
    assert "Pango" in warning.hint


def test_the_system_check_is_quiet_where_pdfs_can_be_written():
    from django.core.checks import run_checks

    assert not [w for w in run_checks() if w.id == "recognition.W001"]
