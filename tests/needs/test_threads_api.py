"""A need's message threads through the API, for both sides: the producer who pledged (signed
in) and the establishment (through its management link, no account); neither sees the other's
address, and a thread costs the same however long it is."""

import datetime

import pytest
from django.utils import timezone

from needs import services
from needs.models import Need, NeedMessage
from tests.conftest import as_user, count_queries, post
from tests.factories import make_maker, make_need, make_organisation, make_user
from tests.needs.helpers import pledge_for
from tests.refusals import answered
from tilab import roles

PLEDGES = "/api/v1/pledges/"
THREADS = "/api/v1/need-threads/"

pytestmark = pytest.mark.django_db


def _write(pledge, body, *, from_establishment, by=None):
    return services.need_message_send(
        pledge=pledge,
        body=body,
        from_establishment=from_establishment,
        by=by,
        now=timezone.now(),
    )


def _thread_url(need) -> str:
    return f"{THREADS}{services.need_manage_token(need)}/"


@pytest.fixture
def need():
    return make_need()


@pytest.fixture
def pledge(maker, need):
    return pledge_for(maker, need)


# --- The producer's side --------------------------------------------------------------------


def test_a_producer_reads_the_thread_of_her_pledge_oldest_first(client, maker, pledge):
    _write(pledge, "Je livre jeudi.", from_establishment=False, by=maker)
    _write(pledge, "Entendu, accueil à 14 h.", from_establishment=True)
    body = as_user(client, maker).get(f"{PLEDGES}{pledge.pk}/messages/").json()
    assert [(m["body"], m["from_establishment"]) for m in body["results"]] == [
        ("Je livre jeudi.", False),
        ("Entendu, accueil à 14 h.", True),
    ]
    assert "cadre.sante" not in str(body)


def test_a_producer_posts_then_reads_her_message(client, maker, pledge):
    url = f"{PLEDGES}{pledge.pk}/messages/"
    as_user(client, maker)
    assert post(client, url, {"body": "Livraison jeudi."}).status_code == 201
    assert [m["body"] for m in client.get(url).json()["results"]] == ["Livraison jeudi."]
    answered(post(client, url, {"body": "  "}), 400, "message_empty")


def test_another_persons_thread_answers_404(client, pledge, reference_data):
    stranger = make_user(role=roles.MAKER)
    make_maker(user=stranger, display_name="Inconnu")
    url = f"{PLEDGES}{pledge.pk}/messages/"
    as_user(client, stranger)
    answered(client.get(url), 404, "not_found")
    answered(post(client, url, {"body": "Bonjour"}), 404, "not_found")
    assert client.get(f"{PLEDGES}999999/messages/").status_code == 404


def test_a_fellow_member_reads_the_thread_of_her_organisations_pledge(client, maker, anne, need):
    lab = make_organisation(name="Fablab de Bréquigny")
    colleague = make_user(role=roles.MAKER, email="colleague@example.org")
    for person in (anne, make_maker(user=colleague, display_name="Collègue")):
        lab.memberships.create(maker=person)
    pledge = services.pledge_create(
        need=need, quantity=20, by=colleague, organisation=lab, now=timezone.now()
    )
    _write(pledge, "Pour le Fablab.", from_establishment=True)
    body = as_user(client, maker).get(f"{PLEDGES}{pledge.pk}/messages/").json()
    assert [m["body"] for m in body["results"]] == ["Pour le Fablab."]


def test_a_thread_comes_by_cursor_at_the_same_cost_however_long(client, maker, pledge):
    url = f"{PLEDGES}{pledge.pk}/messages/"
    _write(pledge, "Un.", from_establishment=False, by=maker)
    as_user(client, maker)
    short = count_queries(client, url, expected=1)
    for n in range(7):
        _write(pledge, f"Message {n}", from_establishment=n % 2 == 0, by=maker)
    assert count_queries(client, url, expected=8) == short
    first = client.get(url, {"page_size": 5}).json()
    rest = client.get(first["next"]).json()
    assert [m["body"] for m in first["results"] + rest["results"]][:2] == ["Un.", "Message 0"]
    assert len(first["results"]) + len(rest["results"]) == 8 and rest["next"] is None


def test_reading_a_thread_as_a_producer_needs_an_account(client, pledge):
    assert client.get(f"{PLEDGES}{pledge.pk}/messages/").status_code == 401


# --- The establishment's side ---------------------------------------------------------------


def test_the_establishment_reads_every_thread_of_its_need_without_an_account(
    client, maker, need, pledge, other_maker
):
    second = pledge_for(other_maker, need, quantity=10)
    _write(pledge, "Je livre jeudi.", from_establishment=False, by=maker)
    _write(second, "Et moi vendredi.", from_establishment=False, by=other_maker)
    response = client.get(_thread_url(need))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store, private"
    body = response.json()
    assert body["need"]["id"] == need.pk
    assert [(t["pledge"], [m["body"] for m in t["messages"]]) for t in body["threads"]] == [
        (pledge.pk, ["Je livre jeudi."]),
        (second.pk, ["Et moi vendredi."]),
    ]
    # Makers without a public profile are "un maker", and no address shows.
    assert {t["producer"] for t in body["threads"]} == {"un maker"}
    assert "@" not in str(body)


def test_the_establishment_writes_to_a_producer_of_its_need_only(client, maker, need, pledge):
    url = _thread_url(need) + "messages/"
    response = post(client, url, {"pledge": pledge.pk, "body": "Accueil à 14 h."})
    assert response.status_code == 201, response.content
    message = NeedMessage.objects.get()
    assert message.from_establishment and message.sent_by is None
    elsewhere = pledge_for(maker, make_need(contact_email="autre@example.org"), quantity=5)
    refused = post(client, url, {"pledge": elsewhere.pk, "body": "?"})
    answered(refused, 400, "invalid", field="pledge")
    answered(post(client, url, {"pledge": pledge.pk, "body": ""}), 400, "message_empty")
    assert NeedMessage.objects.count() == 1


def test_an_altered_or_foreign_link_opens_no_thread(client, need, pledge):
    token = services.need_manage_token(need)
    altered = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    answered(client.get(f"{THREADS}{altered}/"), 400, "link_invalid")
    answered(
        post(client, f"{THREADS}{altered}/messages/", {"pledge": pledge.pk, "body": "x"}),
        400,
        "link_invalid",
    )
    # A delivery's link is not the need's.
    confirm = services.need_confirm_token(need)
    answered(client.get(f"{THREADS}{confirm}/"), 400, "link_invalid")


def test_a_link_past_its_time_answers_409(client, need, settings):
    services.need_withdraw(need=need, now=timezone.now())
    # Closed long ago, behind the services' back (they date nothing in the past).
    long_ago = timezone.now() - datetime.timedelta(
        days=settings.TILAB_NEED_LINK_DAYS_AFTER_CLOSE + 1
    )
    Need.objects.filter(pk=need.pk).update(closed_at=long_ago)
    answered(client.get(_thread_url(need)), 409, "link_expired")


def test_the_establishment_threads_cost_the_same_however_many(client, maker, need, pledge):
    url = _thread_url(need)
    _write(pledge, "Un.", from_establishment=False, by=maker)
    few = count_queries(client, url)
    for n in range(4):
        producer = make_user(role=roles.MAKER, email=f"p{n}@example.org")
        make_maker(user=producer, display_name=f"Producteur {n}", is_public=n % 2 == 0)
        other = pledge_for(producer, need, quantity=5)
        for m in range(3):
            _write(other, f"Message {m}", from_establishment=m % 2 == 0, by=producer)
    assert count_queries(client, url) == few
