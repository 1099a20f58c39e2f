"""The directory: SIRET checks, joining an organisation, curation (kinds, merges) and their
effect on the totals, the public pages, the managers' and facilitators' pages, and privacy."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from directory import services
from directory.models import MembershipRequest
from fablabs.models import Capability, Organisation
from fablabs.siret import siret_clean
from figures.models import ProductionTotal
from figures.totals import production_totals_rebuild
from makers.models import Maker, Membership
from tests.factories import make_maker, make_organisation, make_report, make_user
from tests.refusals import refused
from tilab import roles
from tilab.errors import BadInput, WrongState
from tilab.models import Decision

VALID_SIRET = "73282932000074"
NOW = timezone.make_aware(datetime.datetime(2020, 5, 4, 10, 0))


def no_drift(drift: dict) -> bool:
    return drift["changed"] == drift["added"] == drift["removed"] == 0


def actions_on(subject) -> list[str]:
    return list(
        Decision.objects.filter(object_id=str(subject.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


@pytest.fixture
def fablab(reference_data):
    """A FabLab in Rennes with a manager (Loïc, public profile) and a quiet member (Katell,
    who did not opt in)."""
    lab = make_organisation(name="FabLab de Villejean", department="35", commune="Rennes")
    lab.capabilities.set(Capability.objects.filter(slug="3d-printing"))
    manager_user = make_user(role=roles.MAKER, email="loic@example.org")
    manager = make_maker(user=manager_user, display_name="Loïc Guillou", is_public=True)
    Membership.objects.create(maker=manager, organisation=lab, is_manager=True)
    quiet_user = make_user(role=roles.MAKER, email="katell.secret@example.org")
    quiet = make_maker(user=quiet_user, display_name="Katell Discrète", is_public=False)
    Membership.objects.create(maker=quiet, organisation=lab)
    lab.manager_user = manager_user
    return lab


def anne(maker_user) -> Maker:
    return maker_user.maker


# --- SIRET -----------------------------------------------------------------------------------


def test_a_siret_typed_with_spaces_is_kept_as_fourteen_digits():
    assert siret_clean("732 829 320 00074") == VALID_SIRET
    assert siret_clean("  ") == ""


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("73282932000075", "siret_checksum"),
        ("7328293200007", "siret_length"),
        ("7328293200007A", "siret_not_digits"),
    ],
)
def test_a_wrong_siret_is_refused_with_its_reason(typed, code):
    with refused(code, kind=BadInput, field="siret"):
        siret_clean(typed)


def test_an_sme_cannot_be_saved_without_a_valid_siret(fablab):
    sme = make_organisation(name="Armor Plasturgie", kind="sme", siret=VALID_SIRET)
    manager = Maker.objects.get(display_name="Loïc Guillou")
    Membership.objects.create(maker=manager, organisation=sme, is_manager=True)
    common = {"by": fablab.manager_user, "now": NOW, "capabilities": []}
    with refused("siret_required", kind=BadInput, field="siret"):
        services.organisation_update(organisation=sme, siret="", **common)
    with refused("siret_checksum", kind=BadInput, field="siret"):
        services.organisation_update(organisation=sme, siret="73282932000075", **common)
    services.organisation_update(
        organisation=sme, siret="732 829 320 00074", equipment="Thermoformeuse", **common
    )
    sme.refresh_from_db()
    assert (sme.siret, sme.equipment) == (VALID_SIRET, "Thermoformeuse")
    assert actions_on(sme) == ["organisation_update"]


def test_only_managers_and_facilitators_edit_an_organisation(fablab, maker, facilitator):
    with pytest.raises(PermissionDenied):
        services.organisation_update(
            organisation=fablab, by=maker, now=NOW, capabilities=[], equipment="?"
        )
    services.organisation_update(
        organisation=fablab, by=facilitator, now=NOW, capabilities=[], equipment="Laser"
    )
    fablab.refresh_from_db()
    assert fablab.equipment == "Laser"
    assert not fablab.capabilities.exists()


# --- Joining an organisation ---------------------------------------------------------------


def test_a_maker_asks_to_join_once_and_a_manager_accepts(fablab, maker):
    request = services.membership_request_create(
        maker=anne(maker), organisation=fablab, message="J'imprime des visières", now=NOW
    )
    assert request.status == "pending"
    with refused("request_already_pending", kind=WrongState):
        services.membership_request_create(maker=anne(maker), organisation=fablab, now=NOW)
    services.membership_request_decide(
        request=request, by=fablab.manager_user, accept=True, now=NOW
    )
    membership = Membership.objects.get(maker=anne(maker), organisation=fablab)
    assert membership.joined_on == NOW.date() and not membership.is_manager
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("accepted", fablab.manager_user)
    decision = Decision.objects.get(action="membership_accept")
    assert (decision.actor, decision.from_state, decision.to_state) == (
        fablab.manager_user,
        "pending",
        "accepted",
    )
    with refused("request_already_answered", kind=WrongState):
        services.membership_request_decide(
            request=request, by=fablab.manager_user, accept=False, now=NOW
        )
    with refused("already_member", kind=WrongState):
        services.membership_request_create(maker=anne(maker), organisation=fablab, now=NOW)


def test_only_the_organisations_managers_or_facilitators_decide(
    fablab, maker, relay_staff, facilitator
):
    request = services.membership_request_create(maker=anne(maker), organisation=fablab, now=NOW)
    quiet_member = Maker.objects.get(display_name="Katell Discrète").user
    for outsider in (maker, relay_staff, quiet_member):
        with pytest.raises(PermissionDenied):
            services.membership_request_decide(request=request, by=outsider, accept=True, now=NOW)
    services.membership_request_decide(request=request, by=facilitator, accept=False, now=NOW)
    assert MembershipRequest.objects.get().status == "refused"
    assert not Membership.objects.filter(maker=anne(maker)).exists()


def test_a_maker_withdraws_a_pending_request_and_may_ask_again(fablab, maker):
    request = services.membership_request_create(maker=anne(maker), organisation=fablab, now=NOW)
    with pytest.raises(PermissionDenied):
        services.membership_request_withdraw(request=request, by=fablab.manager_user, now=NOW)
    services.membership_request_withdraw(request=request, by=maker, now=NOW)
    again = services.membership_request_create(maker=anne(maker), organisation=fablab, now=NOW)
    assert again.status == "pending"


def test_a_merged_or_hidden_organisation_takes_no_request(fablab, maker):
    hidden = make_organisation(name="Labo caché", is_public=False)
    with refused("organisation_closed_to_requests", kind=WrongState):
        services.membership_request_create(maker=anne(maker), organisation=hidden, now=NOW)


# --- Curation: kinds and merges, and the totals ----------------------------------------------


def _validated_production(fablab, relay_staff, callbacks, quantity=30):
    maker = Maker.objects.get(display_name="Loïc Guillou")
    with callbacks(execute=True):
        make_report(
            maker=maker,
            organisation=fablab,
            quantity=quantity,
            status="validated",
            decided_by=relay_staff,
        )


def _totals_by_kind() -> dict[str, int]:
    totals = {}
    for kind, quantity in ProductionTotal.objects.values_list("org_kind", "quantity"):
        totals[kind] = totals.get(kind, 0) + quantity
    return {kind: quantity for kind, quantity in totals.items() if quantity}


def test_correcting_a_kind_moves_the_figures_and_is_recorded(
    fablab, relay_staff, facilitator, django_capture_on_commit_callbacks
):
    _validated_production(fablab, relay_staff, django_capture_on_commit_callbacks)
    assert _totals_by_kind() == {"associative_fablab": 30}
    with refused("siret_required", kind=BadInput, field="siret"):
        services.organisation_kind_correct(
            organisation=fablab, by=facilitator, kind="sme", motivation="C'est une SARL", now=NOW
        )
    with refused("curation_motivation_missing", kind=BadInput, field="motivation"):
        services.organisation_kind_correct(
            organisation=fablab, by=facilitator, kind="collective", motivation=" ", now=NOW
        )
    with pytest.raises(PermissionDenied):
        services.organisation_kind_correct(
            organisation=fablab, by=relay_staff, kind="collective", motivation="x", now=NOW
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.organisation_kind_correct(
            organisation=fablab,
            by=facilitator,
            kind="sme",
            siret=VALID_SIRET,
            motivation="C'est une SARL",
            now=NOW,
        )
    fablab.refresh_from_db()
    assert (fablab.kind, fablab.siret) == ("sme", VALID_SIRET)
    assert _totals_by_kind() == {"sme": 30}
    assert no_drift(production_totals_rebuild(now=NOW))
    decision = Decision.objects.get(action="organisation_kind_correct")
    assert (decision.from_state, decision.to_state, decision.motivation, decision.actor) == (
        "associative_fablab",
        "sme",
        "C'est une SARL",
        facilitator,
    )


def test_merging_a_duplicate_moves_members_requests_and_figures(
    fablab, maker, relay_staff, facilitator, django_capture_on_commit_callbacks
):
    duplicate = make_organisation(name="Fablab Villejean", kind="collective", department="35")
    loic = Maker.objects.get(display_name="Loïc Guillou")
    Membership.objects.create(
        maker=loic, organisation=duplicate, is_manager=False, joined_on=datetime.date(2020, 3, 20)
    )
    yann = make_maker(display_name="Yann Kerbrat", is_public=True)
    Membership.objects.create(maker=yann, organisation=duplicate, is_manager=True)
    services.membership_request_create(maker=anne(maker), organisation=duplicate, now=NOW)
    _validated_production(duplicate, relay_staff, django_capture_on_commit_callbacks, 12)
    _validated_production(fablab, relay_staff, django_capture_on_commit_callbacks, 30)
    assert _totals_by_kind() == {"collective": 12, "associative_fablab": 30}

    with django_capture_on_commit_callbacks(execute=True):
        moved = services.organisations_merge(
            duplicate=duplicate, into=fablab, by=facilitator, motivation="Doublon", now=NOW
        )

    assert moved == {"members": 2, "requests": 1, "reports": 1}
    duplicate.refresh_from_db()
    assert (duplicate.merged_into, duplicate.is_public) == (fablab, False)
    members = {
        m.maker.display_name: (m.is_manager, m.joined_on)
        for m in Membership.objects.filter(organisation=fablab).select_related("maker")
    }
    # A manager of the duplicate joins as a plain member: a merge names no manager.
    assert members["Yann Kerbrat"][0] is False
    assert members["Loïc Guillou"] == (True, datetime.date(2020, 3, 20))
    assert not Membership.objects.filter(organisation=duplicate).exists()
    assert MembershipRequest.objects.get(maker=anne(maker)).organisation == fablab
    assert _totals_by_kind() == {"associative_fablab": 42}
    assert no_drift(production_totals_rebuild(now=NOW))
    assert actions_on(duplicate) == ["organisation_merge"]
    assert "organisation_absorb" in actions_on(fablab)
    with refused("organisation_already_merged", kind=WrongState):
        services.organisations_merge(
            duplicate=duplicate, into=fablab, by=facilitator, motivation="Encore", now=NOW
        )


def test_only_facilitators_merge_and_never_an_organisation_into_itself(
    fablab, relay_staff, facilitator
):
    other = make_organisation(name="Autre")
    with pytest.raises(PermissionDenied):
        services.organisations_merge(
            duplicate=other, into=fablab, by=relay_staff, motivation="x", now=NOW
        )
    with refused("merge_into_itself", kind=BadInput):
        services.organisations_merge(
            duplicate=fablab, into=fablab, by=facilitator, motivation="x", now=NOW
        )


# --- The public directory ---------------------------------------------------------------------


def test_a_visitor_finds_a_fablab_in_finistere_by_capability(client, fablab):
    brest = make_organisation(name="FabLab des Capucins", department="29", commune="Brest")
    brest.capabilities.set(Capability.objects.filter(slug__in=["laser-cutting", "3d-printing"]))
    sewing = make_organisation(name="Couturières de Quimper", department="29", kind="collective")
    sewing.capabilities.set(Capability.objects.filter(slug="sewing"))

    page = client.get(
        reverse("directory:list"), {"department": "29", "capability": "laser-cutting"}
    ).content.decode()

    assert "FabLab des Capucins" in page and "Brest" in page and "Découpe laser" in page
    assert "Couturières de Quimper" not in page
    assert "FabLab de Villejean" not in page


def test_the_directory_searches_names_communes_and_descriptions(client, fablab):
    make_organisation(name="L'Atelier", commune="Morlaix", department="29")
    make_organisation(name="Kerlab", description="Prototypage de respirateurs", department="56")
    url = reverse("directory:list")
    assert "L&#x27;Atelier" in client.get(url, {"q": "morlaix"}).content.decode()
    found = client.get(url, {"q": "respirateurs"}).content.decode()
    assert "Kerlab" in found and "L&#x27;Atelier" not in found


def test_placeless_collectives_carry_a_badge_and_kind_filters_hide_makers(client, fablab):
    make_organisation(name="Petites Mains", kind="collective", has_place=False)
    page = client.get(reverse("directory:list"), {"kind": "collective"}).content.decode()
    assert "Petites Mains" in page and "sans lieu" in page
    assert "FabLab de Villejean" not in page
    assert "Loïc Guillou" not in page


def test_the_directory_lists_opted_in_makers_only_and_never_an_email(client, fablab, maker):
    page = client.get(reverse("directory:list")).content.decode()
    assert "Loïc Guillou" in page
    assert "Katell Discrète" not in page
    assert "Anne Le Goff" not in page  # the maker fixture did not opt in
    assert "@" not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_merged_and_hidden_organisations_are_not_listed(client, fablab, facilitator):
    duplicate = make_organisation(name="Doublon de Villejean")
    services.organisations_merge(
        duplicate=duplicate, into=fablab, by=facilitator, motivation="Doublon", now=NOW
    )
    make_organisation(name="Labo caché", is_public=False)
    page = client.get(reverse("directory:list")).content.decode()
    assert "FabLab de Villejean" in page
    assert "Doublon de Villejean" not in page and "Labo caché" not in page


def test_the_directory_costs_the_same_queries_with_more_entries(
    client, fablab, django_assert_max_num_queries
):
    url = reverse("directory:list")
    with django_assert_max_num_queries(20) as few:
        client.get(url, {"department": "35"})
    for n in range(12):
        lab = make_organisation(name=f"Lab {n}", department="35")
        lab.capabilities.set(Capability.objects.all()[:3])
        maker = make_maker(display_name=f"Maker {n}", is_public=True, skills="Impression 3D")
        Membership.objects.create(maker=maker, organisation=lab)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url, {"department": "35"})


def test_the_directory_works_as_an_htmx_fragment(client, fablab):
    response = client.get(reverse("directory:list"), {"q": "villejean"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page and "FabLab de Villejean" in page and "data-focus" in page


# --- An organisation's page ------------------------------------------------------------------


def test_the_public_sees_opted_in_members_only_and_no_email(client, fablab):
    fablab.siret = ""
    page = client.get(reverse("directory:organisation", args=[fablab.slug])).content.decode()
    assert "FabLab de Villejean" in page and "Impression 3D" in page
    assert "Loïc Guillou" in page
    assert "Katell Discrète" not in page
    assert "@example.org" not in page
    assert "Modifier la fiche" not in page and "Curation" not in page


def test_managers_see_every_member_and_their_tools(client, fablab):
    client.force_login(fablab.manager_user)
    page = client.get(reverse("directory:organisation", args=[fablab.slug])).content.decode()
    assert "Katell Discrète" in page and "profil non public" in page
    assert "Modifier la fiche" in page and "adhésion (0 en attente)" in page
    assert "katell.secret@example.org" not in page


def test_an_smes_siret_is_shown(client, reference_data):
    sme = make_organisation(name="Armor Plasturgie", kind="sme", siret=VALID_SIRET)
    page = client.get(reverse("directory:organisation", args=[sme.slug])).content.decode()
    assert VALID_SIRET in page


def test_a_hidden_organisation_answers_404_to_the_public_but_not_to_its_manager(client, fablab):
    Organisation.objects.filter(pk=fablab.pk).update(is_public=False)
    url = reverse("directory:organisation", args=[fablab.slug])
    assert client.get(url).status_code == 404
    client.force_login(fablab.manager_user)
    assert client.get(url).status_code == 200


def test_a_merged_duplicates_address_leads_to_the_organisation_it_joined(
    client, fablab, facilitator
):
    duplicate = make_organisation(name="Doublon")
    services.organisations_merge(
        duplicate=duplicate, into=fablab, by=facilitator, motivation="Doublon", now=NOW
    )
    response = client.get(reverse("directory:organisation", args=[duplicate.slug]))
    assert response.status_code in (301, 302)
    assert response["Location"] == reverse("directory:organisation", args=[fablab.slug])


def test_a_maker_asks_to_join_from_the_page_and_sees_the_outcome(client, fablab, maker):
    url = reverse("directory:organisation", args=[fablab.slug])
    client.force_login(maker)
    assert "Demander à rejoindre" in client.get(url).content.decode()
    response = client.post(
        reverse("directory:join", args=[fablab.slug]), {"message": "Bonjour"}, follow=True
    )
    page = response.content.decode()
    assert "Votre demande est envoyée" in page and "attend la réponse" in page
    client.post(reverse("directory:join", args=[fablab.slug]), {"message": "Encore"})
    assert MembershipRequest.objects.filter(maker=anne(maker)).count() == 1

    client.force_login(fablab.manager_user)
    requests_page = client.get(reverse("directory:requests", args=[fablab.slug])).content.decode()
    assert "Anne Le Goff" in requests_page and "Bonjour" in requests_page
    request = MembershipRequest.objects.get()
    client.post(
        reverse("directory:requests", args=[fablab.slug]),
        {"request": request.pk, "decision": "refuse"},
    )
    client.force_login(maker)
    page = client.get(url).content.decode()
    assert "Votre demande a été refusée" in page and "Demander à rejoindre" in page


def test_joining_needs_a_login(client, fablab):
    response = client.post(reverse("directory:join", args=[fablab.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not MembershipRequest.objects.exists()


@pytest.mark.parametrize("who", ["maker", "relay_staff", "quiet_member", "auditor"])
def test_the_requests_edit_and_curation_pages_answer_404_to_others(client, fablab, who, request):
    user = (
        Maker.objects.get(display_name="Katell Discrète").user
        if who == "quiet_member"
        else request.getfixturevalue(who)
    )
    client.force_login(user)
    for name in ("requests", "organisation_edit", "curate"):
        assert client.get(reverse(f"directory:{name}", args=[fablab.slug])).status_code == 404


def test_a_manager_edits_the_description_with_a_checked_siret(client, fablab):
    client.force_login(fablab.manager_user)
    url = reverse("directory:organisation_edit", args=[fablab.slug])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "description": "Ouvert le jeudi soir",
            "commune": "Rennes",
            "website": "https://villejean.example.org",
            "siret": "123",
            "equipment": "2 Prusa",
            "capabilities": ["sewing", "3d-printing"],
            "has_place": "on",
            "is_public": "on",
        },
    )
    assert response.context["form"].has_error("siret", "siret_length")
    response = client.post(
        url,
        {
            "description": "Ouvert le jeudi soir",
            "commune": "Rennes",
            "website": "https://villejean.example.org",
            "siret": "",
            "equipment": "2 Prusa",
            "capabilities": [str(c.pk) for c in Capability.objects.filter(slug="sewing")],
            "has_place": "on",
            "is_public": "on",
        },
    )
    assert response.status_code == 302
    fablab.refresh_from_db()
    assert fablab.description == "Ouvert le jeudi soir"
    assert list(fablab.capabilities.values_list("slug", flat=True)) == ["sewing"]


def test_the_pages_show_the_services_refusals_on_their_fields(client, fablab, facilitator):
    sme = make_organisation(name="Armor Plasturgie", kind="sme", siret=VALID_SIRET)
    Membership.objects.create(
        maker=Maker.objects.get(display_name="Loïc Guillou"), organisation=sme, is_manager=True
    )
    client.force_login(fablab.manager_user)
    edit = reverse("directory:organisation_edit", args=[sme.slug])
    response = client.post(edit, {"description": "PME", "commune": "Lannion", "siret": ""})
    assert response.status_code == 200
    assert response.context["form"].has_error("siret", "siret_required")
    client.force_login(facilitator)
    curate = reverse("directory:curate", args=[fablab.slug])
    same = {"action": "kind", "kind-kind": fablab.kind, "kind-motivation": "Vérifié"}
    response = client.post(curate, same)
    assert response.context["kind_form"].has_error("kind", "organisation_kind_unchanged")
    fablab.refresh_from_db()
    assert fablab.kind == "associative_fablab"
    assert not Decision.objects.filter(action="organisation_kind_correct").exists()


def test_a_facilitator_corrects_a_kind_and_merges_from_the_curation_page(
    client, fablab, facilitator
):
    client.force_login(facilitator)
    url = reverse("directory:curate", args=[fablab.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "kind", "kind-kind": "sme", "kind-motivation": "SARL"})
    assert response.context["kind_form"].has_error("siret", "siret_required")
    client.post(
        url,
        {
            "action": "kind",
            "kind-kind": "sme",
            "kind-siret": VALID_SIRET,
            "kind-motivation": "SARL",
        },
    )
    fablab.refresh_from_db()
    assert fablab.kind == "sme"
    target = make_organisation(name="Le bon FabLab")
    response = client.post(
        url,
        {
            "action": "merge",
            "merge-into": target.slug,
            "merge-confirm": "on",
            "merge-motivation": "Doublon",
        },
    )
    assert response["Location"] == reverse("directory:organisation", args=[target.slug])
    fablab.refresh_from_db()
    assert fablab.merged_into == target


# --- A maker's public profile ----------------------------------------------------------------


def test_an_opted_in_makers_profile_is_public_and_others_are_not(client, fablab, maker):
    loic = Maker.objects.get(display_name="Loïc Guillou")
    page = client.get(reverse("directory:maker", args=[loic.pk])).content.decode()
    assert "Loïc Guillou" in page and "FabLab de Villejean" in page
    assert "loic@example.org" not in page
    quiet = Maker.objects.get(display_name="Katell Discrète")
    assert client.get(reverse("directory:maker", args=[quiet.pk])).status_code == 404
    client.force_login(maker)
    assert client.get(reverse("directory:maker", args=[quiet.pk])).status_code == 404
    own = client.get(reverse("directory:maker", args=[anne(maker).pk])).content.decode()
    assert "Votre profil n'est pas public" in own


def test_the_maker_profile_form_offers_the_opt_in(client, maker):
    client.force_login(maker)
    page = client.get(reverse("makers:profile")).content.decode()
    assert 'name="is_public"' in page


def test_in_english_a_makers_profile_says_skills_and_an_organisation_capabilities(client, fablab):
    loic = Maker.objects.get(display_name="Loïc Guillou")
    loic.skills = "Couture"
    loic.save(update_fields=["skills"])
    client.cookies["django_language"] = "en"
    page = client.get(reverse("directory:maker", args=[loic.pk])).content.decode()
    assert "<dt>Skills</dt>" in page
    assert "<dt>Capabilities</dt>" not in page
