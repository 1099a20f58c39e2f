"""Makers' pages (pledging, their pledges, deliveries, messages) and the network's follow-up of
needs (over-pledged, unanswered, unconfirmed) with its moderation."""

import datetime

import pytest
from django.utils import timezone

from needs import services
from needs.models import Delivery, Need, NeedMessage, Pledge
from tests.conftest import count_queries
from tests.factories import (
    cast_other_maker,
    make_establishment,
    make_maker,
    make_need,
    make_organisation,
    make_report,
    make_user,
)
from tests.needs.helpers import confirm, deliver
from tilab import roles

TODAY = timezone.localdate()
CONTACT = "cadre.sante@ehpad-tilleuls.example.org"


@pytest.fixture
def yann(reference_data):
    """The cast's other maker of Ille-et-Vilaine (his account), under the name the network's
    follow-up shows."""
    return cast_other_maker(display_name="Yann Guéguen")


@pytest.fixture
def lab(maker):
    """Anne's FabLab."""
    organisation = make_organisation(name="FabLab Lannion", department="22")
    maker.maker.memberships.create(organisation=organisation)
    return organisation


def produce(user, quantity, *, organisation=None, item="visor", status="submitted", by=None):
    return make_report(
        maker=user.maker,
        quantity=quantity,
        item=item,
        organisation=organisation,
        status=status,
        decided_by=by,
    )


def pledge(user, need, quantity, *, organisation=None):
    producer = {"organisation": organisation} if organisation else {"maker": user.maker}
    return services.pledge_create(
        need=need, quantity=quantity, by=user, now=timezone.now(), **producer
    )


def _html(response, status=200):
    assert response.status_code == status, response.status_code
    return response.content.decode()


# --- Pledging ---------------------------------------------------------------------------------


def test_a_maker_sees_what_she_can_still_deliver_before_pledging(client, maker):
    produce(maker, 120)
    produce(maker, 30, item="gown")
    need = make_need(quantity=100)
    client.force_login(maker)
    html = _html(client.get(f"/besoins/{need.pk}/promettre/"))
    assert "Promettre à EHPAD Les Tilleuls" in html
    assert "en mon nom (Anne Le Goff)" in html
    assert '<td class="num" data-label="Déclaré">120</td>' in html
    assert CONTACT not in html


def test_a_maker_pledges_in_her_name_and_finds_it_among_her_pledges(client, maker):
    need = make_need(quantity=100)
    client.force_login(maker)
    response = client.post(
        f"/besoins/{need.pk}/promettre/",
        {"producer": "maker", "quantity": "40", "message": "Livraison jeudi."},
    )
    made = Pledge.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/besoins/promesses/#promesse-{made.pk}"
    assert (made.maker, made.quantity, made.message) == (maker.maker, 40, "Livraison jeudi.")
    html = _html(client.get("/besoins/promesses/"))
    assert "40 × Visière de protection pour EHPAD Les Tilleuls" in html
    assert "en mon nom" in html


def test_a_maker_pledges_for_her_organisation(client, maker, lab):
    need = make_need()
    client.force_login(maker)
    html = _html(client.get(f"/besoins/{need.pk}/promettre/"))
    assert "au nom de FabLab Lannion" in html
    client.post(f"/besoins/{need.pk}/promettre/", {"producer": f"org-{lab.pk}", "quantity": "10"})
    made = Pledge.objects.get()
    assert (made.organisation, made.maker, made.pledged_by) == (lab, None, maker)


def test_an_organisation_one_is_not_a_member_of_is_not_a_choice(client, maker):
    stranger = make_organisation(name="PME Armor")
    need = make_need()
    client.force_login(maker)
    html = _html(
        client.post(
            f"/besoins/{need.pk}/promettre/", {"producer": f"org-{stranger.pk}", "quantity": "5"}
        ),
        400,
    )
    assert "Sélectionnez un choix valide" in html
    assert not Pledge.objects.exists()


def test_pledging_twice_is_refused_with_a_message(client, maker):
    need = make_need()
    pledge(maker, need, 10)
    client.force_login(maker)
    html = _html(
        client.post(f"/besoins/{need.pk}/promettre/", {"producer": "maker", "quantity": "5"}), 400
    )
    assert "Vous avez déjà promis pour ce besoin" in html
    assert 'role="alert"' in html
    assert Pledge.objects.count() == 1


@pytest.mark.parametrize("quantity", ["0", "100001", "beaucoup"])
def test_a_quantity_out_of_bounds_is_refused(client, maker, quantity):
    need = make_need()
    client.force_login(maker)
    response = client.post(
        f"/besoins/{need.pk}/promettre/", {"producer": "maker", "quantity": quantity}
    )
    assert response.status_code == 400
    assert not Pledge.objects.exists()


def test_a_need_no_longer_open_takes_no_pledge(client, maker):
    need = make_need()
    Need.objects.filter(pk=need.pk).update(status=Need.Status.EXPIRED, closed_at=timezone.now())
    client.force_login(maker)
    assert "Ce besoin n'est plus ouvert" in _html(client.get(f"/besoins/{need.pk}/promettre/"))
    html = _html(
        client.post(f"/besoins/{need.pk}/promettre/", {"producer": "maker", "quantity": "5"}), 400
    )
    assert "plus ouvert" in html
    assert not Pledge.objects.exists()


def test_an_unpublished_need_answers_404(client, maker):
    unconfirmed = make_need(confirmed=False)
    client.force_login(maker)
    assert client.get(f"/besoins/{unconfirmed.pk}/promettre/").status_code == 404
    assert client.get("/besoins/999999/promettre/").status_code == 404


def test_only_makers_pledge(client, relay_staff, facilitator):
    need = make_need()
    url = f"/besoins/{need.pk}/promettre/"
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (relay_staff, facilitator):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.get("/besoins/promesses/").status_code == 403


# --- My pledges -------------------------------------------------------------------------------


def test_my_pledges_show_mine_and_my_organisations_but_no_one_elses(client, maker, yann, lab):
    yann.maker.memberships.create(organisation=lab)
    outsider = make_user(role=roles.MAKER, email="loic@example.org")
    make_maker(user=outsider, display_name="Loïc Tanguy")
    pledge(maker, make_need(item="visor"), 10)
    pledge(yann, make_need(item="gown"), 20, organisation=lab)
    pledge(outsider, make_need(item="fabric-mask"), 30)
    client.force_login(maker)
    html = _html(client.get("/besoins/promesses/"))
    assert "10 × Visière" in html
    assert "20 × " in html and "au nom de FabLab Lannion" in html
    assert "30 × " not in html


def test_another_makers_pledge_answers_404(client, maker, yann):
    theirs = pledge(yann, make_need(), 10)
    client.force_login(maker)
    for path in ("retirer", "livraison", "message"):
        response = client.post(f"/besoins/promesses/{theirs.pk}/{path}/", {"reason": "x"})
        assert response.status_code == 404, path
    assert Pledge.objects.get().status == Pledge.Status.ACTIVE


def test_a_delivery_beyond_what_was_declared_is_refused(client, maker):
    produce(maker, 30)
    mine = pledge(maker, make_need(quantity=50), 50)
    client.force_login(maker)
    url = f"/besoins/promesses/{mine.pk}/livraison/"
    form = {f"p{mine.pk}-quantity": "40", f"p{mine.pk}-delivered_on": TODAY.isoformat()}
    html = _html(client.post(url, form), 400)
    assert "Vos déclarations de production comptent 30 pour cet objet" in html
    assert not Delivery.objects.exists()

    form[f"p{mine.pk}-quantity"] = "30"
    assert client.post(url, form).status_code == 302
    html = _html(client.get("/besoins/promesses/"))
    assert "en attente de confirmation" in html
    assert "vous pouvez encore livrer 0 au plus" in html


def test_a_delivery_beyond_the_pledge_is_recorded_with_a_warning(client, maker):
    produce(maker, 100)
    mine = pledge(maker, make_need(quantity=100), 40)
    deliver(mine, 30, by=maker)
    client.force_login(maker)
    form = {f"p{mine.pk}-quantity": "30", f"p{mine.pk}-delivered_on": TODAY.isoformat()}
    response = client.post(f"/besoins/promesses/{mine.pk}/livraison/", form, follow=True)
    html = _html(response)
    assert "Livraison enregistrée" in html
    assert "Vous avez livré 60 pour une promesse de 40." in html
    assert Delivery.objects.count() == 2


def test_a_delivery_in_the_future_is_refused(client, maker):
    produce(maker, 30)
    mine = pledge(maker, make_need(), 10)
    client.force_login(maker)
    tomorrow = (TODAY + datetime.timedelta(days=1)).isoformat()
    html = _html(
        client.post(
            f"/besoins/promesses/{mine.pk}/livraison/",
            {f"p{mine.pk}-quantity": "5", f"p{mine.pk}-delivered_on": tomorrow},
        ),
        400,
    )
    assert "ne peut pas être dans le futur" in html


def test_deliveries_show_what_the_establishment_confirmed(client, maker):
    produce(maker, 30)
    mine = pledge(maker, make_need(quantity=50), 30)
    confirm(deliver(mine, 20, by=maker), 18)
    deliver(mine, 10, by=maker)
    client.force_login(maker)
    html = _html(client.get("/besoins/promesses/"))
    assert "30 visières en déclaration, réception de 18 visières confirmée" in html
    assert "réception de 18 visières confirmée le" in html
    assert "en attente de confirmation" in html


def test_a_pledge_without_delivery_is_withdrawn(client, maker):
    mine = pledge(maker, make_need(), 10)
    client.force_login(maker)
    response = client.post(f"/besoins/promesses/{mine.pk}/retirer/", follow=True)
    html = _html(response)
    assert "Promesse retirée" in html
    assert '<h2 id="withdrawn-title">Retirées</h2>' in html
    assert Pledge.objects.get().status == Pledge.Status.WITHDRAWN


def test_a_pledge_with_a_delivery_is_not_withdrawn(client, maker):
    produce(maker, 30)
    mine = pledge(maker, make_need(), 10)
    deliver(mine, 5, by=maker)
    client.force_login(maker)
    assert "Retirer ma promesse" not in _html(client.get("/besoins/promesses/"))
    html = _html(client.post(f"/besoins/promesses/{mine.pk}/retirer/", follow=True))
    assert "Une livraison est enregistrée" in html
    assert Pledge.objects.get().status == Pledge.Status.ACTIVE


def test_withdrawing_twice_says_so(client, maker):
    mine = pledge(maker, make_need(), 10)
    services.pledge_withdraw(pledge=mine, by=maker, now=timezone.now())
    client.force_login(maker)
    html = _html(client.post(f"/besoins/promesses/{mine.pk}/retirer/", follow=True))
    assert "Cette promesse est déjà retirée" in html


def test_a_maker_writes_to_the_establishment_and_reads_its_answer(client, maker):
    mine = pledge(maker, make_need(), 10)
    services.need_message_send(
        pledge=mine, body="Merci ! Livrez à l'accueil.", from_establishment=True, now=timezone.now()
    )
    client.force_login(maker)
    response = client.post(
        f"/besoins/promesses/{mine.pk}/message/", {f"p{mine.pk}-body": "Je passe jeudi."}
    )
    assert response.status_code == 302
    sent = NeedMessage.objects.get(from_establishment=False)
    assert (sent.body, sent.sent_by) == ("Je passe jeudi.", maker)
    html = _html(client.get("/besoins/promesses/"))
    assert html.index("Livrez à l&#x27;accueil.") < html.index("Je passe jeudi.")
    assert CONTACT not in html


def test_the_message_written_with_the_pledge_opens_the_makers_thread(client, maker):
    mine = services.pledge_create(
        need=make_need(),
        quantity=10,
        message="Je peux livrer jeudi.",
        by=maker,
        maker=maker.maker,
        now=timezone.now(),
    )
    services.need_message_send(
        pledge=mine, body="Jeudi nous va.", from_establishment=True, now=timezone.now()
    )
    client.force_login(maker)
    html = _html(client.get("/besoins/promesses/"))
    thread = html.index('class="need-messages"')
    assert thread < html.index("Je peux livrer jeudi.") < html.index("Jeudi nous va.")
    assert "Aucun message pour l&#x27;instant." not in html


def test_an_empty_message_is_refused(client, maker):
    mine = pledge(maker, make_need(), 10)
    client.force_login(maker)
    response = client.post(f"/besoins/promesses/{mine.pk}/message/", {f"p{mine.pk}-body": " "})
    assert response.status_code == 400
    assert not NeedMessage.objects.exists()


def test_my_pledges_take_the_same_number_of_queries_for_1_and_6_pledges(client, maker, lab):
    produce(maker, 1000)
    produce(maker, 1000, organisation=lab)
    client.force_login(maker)
    counts = []
    for count in (1, 6):
        while Pledge.objects.count() < count:
            n = Pledge.objects.count()
            need = make_need(establishment=make_establishment(name=f"EHPAD {n}"))
            mine = pledge(maker, need, 10, organisation=lab if n % 2 else None)
            confirm(deliver(mine, 5, by=maker), 5)
            services.need_message_send(
                pledge=mine, body="Bien reçu", from_establishment=True, now=timezone.now()
            )
        counts.append(count_queries(client, "/besoins/promesses/"))
    assert counts[0] == counts[1], counts


def test_the_maker_space_links_to_my_pledges(client, maker):
    client.force_login(maker)
    assert 'href="/besoins/promesses/"' in _html(client.get("/maker/"))


# --- The network's follow-up ------------------------------------------------------------------


@pytest.fixture
def follow_up_needs(maker, yann):
    """In Ille-et-Vilaine: an over-pledged need, an unanswered one, one never confirmed for two
    days and one posted an hour ago; in Finistère, an unanswered one."""
    over = make_need(
        establishment=make_establishment(name="EHPAD Trop Promis"), quantity=10, item="gown"
    )
    pledge(maker, over, 8)
    pledge(yann, over, 7)
    unanswered = make_need(
        establishment=make_establishment(name="Pharmacie Sans Réponse", care_type="pharmacy"),
        needed_by=TODAY + datetime.timedelta(days=3),
    )
    later = make_need(
        establishment=make_establishment(name="Cabinet Plus Tard"),
        needed_by=TODAY + datetime.timedelta(days=20),
    )
    old = make_need(establishment=make_establishment(name="EHPAD Silencieux"), confirmed=False)
    Need.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    fresh = make_need(establishment=make_establishment(name="EHPAD Récent"), confirmed=False)
    brest = make_need(
        establishment=make_establishment(name="CHU Brest", department="29", commune="Brest")
    )
    return {
        "over": over,
        "unanswered": unanswered,
        "later": later,
        "old": old,
        "fresh": fresh,
        "brest": brest,
    }


def _section(html: str, title_id: str) -> str:
    start = html.index(f'id="{title_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_facilitators_see_what_to_act_on_everywhere(client, facilitator, follow_up_needs):
    client.force_login(facilitator)
    html = _html(client.get("/besoins/suivi-reseau/"))
    over = _section(html, "over-title")
    assert "EHPAD Trop Promis" in over and "15 / 10" in over
    assert "Anne Le Goff promet 8 surblouses" in over and "Yann Guéguen promet 7 surblouses" in over
    unanswered = _section(html, "unanswered-title")
    assert "EHPAD Trop Promis" not in unanswered
    assert (
        unanswered.index("Pharmacie Sans Réponse") < unanswered.index("Cabinet Plus Tard")
        and "CHU Brest" in unanswered
    )
    unconfirmed = _section(html, "unconfirmed-title")
    assert "EHPAD Silencieux" in unconfirmed and "EHPAD Récent" not in unconfirmed
    assert "Claire Morvan" in html
    assert CONTACT not in html and "@" not in html.split("<main", 1)[1].split("</main>")[0]
    assert html.count("retirer (modération)") == 5


def test_relay_staff_see_their_departments_only(
    client, relay_staff, other_relay_staff, follow_up_needs
):
    client.force_login(relay_staff)
    html = _html(client.get("/besoins/suivi-reseau/"))
    assert "Pharmacie Sans Réponse" in html and "CHU Brest" not in html
    client.force_login(other_relay_staff)
    html = _html(client.get("/besoins/suivi-reseau/"))
    assert "CHU Brest" in html and "Pharmacie Sans Réponse" not in html


@pytest.mark.parametrize("role", ["maker", "region_staff", "auditor"])
def test_other_roles_are_refused_the_follow_up(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get("/besoins/suivi-reseau/").status_code == 403


def test_the_follow_up_asks_anonymous_visitors_to_log_in(client, reference_data):
    response = client.get("/besoins/suivi-reseau/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_follow_up_takes_the_same_number_of_queries_for_1_and_5_needs_of_each_kind(
    client, facilitator, maker, yann
):
    client.force_login(facilitator)
    counts = []
    for count in (1, 5):
        while Need.objects.filter(status="unconfirmed").count() < count:
            n = Need.objects.count()
            over = make_need(establishment=make_establishment(name=f"Over {n}"), quantity=5)
            pledge(maker, over, 4)
            pledge(yann, over, 4)
            make_need(establishment=make_establishment(name=f"Quiet {n}"))
            old = make_need(establishment=make_establishment(name=f"Old {n}"), confirmed=False)
            Need.objects.filter(pk=old.pk).update(
                created_at=timezone.now() - datetime.timedelta(days=3)
            )
        counts.append(count_queries(client, "/besoins/suivi-reseau/"))
    assert counts[0] == counts[1], counts


# --- Moderation -------------------------------------------------------------------------------


def test_a_facilitator_takes_a_need_down_with_a_reason(client, facilitator, follow_up_needs):
    brest = follow_up_needs["brest"]
    client.force_login(facilitator)
    html = _html(
        client.post(
            f"/besoins/{brest.pk}/moderer/", {"reason": "Pas un établissement de soin"}, follow=True
        )
    )
    assert "Besoin de CHU Brest retiré" in html
    brest.refresh_from_db()
    assert (brest.status, brest.moderation_reason) == ("removed", "Pas un établissement de soin")
    assert "CHU Brest" not in _section(html, "unanswered-title")


def test_relay_staff_moderate_their_departments_only(
    client, relay_staff, other_relay_staff, follow_up_needs
):
    unanswered, old = follow_up_needs["unanswered"], follow_up_needs["old"]
    client.force_login(other_relay_staff)
    assert client.post(f"/besoins/{unanswered.pk}/moderer/", {"reason": "spam"}).status_code == 404
    unanswered.refresh_from_db()
    assert unanswered.status == "open"
    client.force_login(relay_staff)
    client.post(f"/besoins/{old.pk}/moderer/", {"reason": "Personne ne répond"})
    old.refresh_from_db()
    assert old.status == "removed"


def test_moderation_needs_a_reason(client, facilitator, follow_up_needs):
    need = follow_up_needs["unanswered"]
    client.force_login(facilitator)
    html = _html(client.post(f"/besoins/{need.pk}/moderer/", {"reason": "  "}, follow=True))
    assert "Indiquez le motif de la modération." in html
    need.refresh_from_db()
    assert need.status == "open"


def test_makers_do_not_moderate(client, maker, follow_up_needs):
    need = follow_up_needs["unanswered"]
    client.force_login(maker)
    assert client.post(f"/besoins/{need.pk}/moderer/", {"reason": "spam"}).status_code == 403
    need.refresh_from_db()
    assert need.status == "open"


def test_moderating_a_removed_need_again_says_so(client, facilitator, follow_up_needs):
    need = follow_up_needs["unanswered"]
    services.need_remove(need=need, reason="spam", by=facilitator, now=timezone.now())
    client.force_login(facilitator)
    html = _html(client.post(f"/besoins/{need.pk}/moderer/", {"reason": "encore"}, follow=True))
    assert "Ce besoin est déjà retiré." in html
