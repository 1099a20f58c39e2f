"""A maker presents themself once, then finds their profile in their space."""

from makers.models import Maker
from tests.factories import make_user
from tilab import roles

PROFILE = {
    "display_name": "  Yann Kerbrat ",
    "department": "22",
    "commune": "Lannion",
    "skills": "Impression 3D",
    "equipment": "2 Ender 3",
    "is_public": "on",
}


def test_a_new_maker_fills_in_their_profile(client, reference_data):
    user = make_user(role=roles.MAKER)
    client.force_login(user)
    response = client.get("/maker/", follow=True)
    assert response.redirect_chain == [("/maker/profil/", 302)]
    assert "présentez-vous" in response.content.decode()

    response = client.post("/maker/profil/", PROFILE)
    assert response.status_code == 302
    maker = Maker.objects.get(user=user)
    assert (maker.display_name, maker.department_id, maker.is_public) == (
        "Yann Kerbrat",
        "22",
        True,
    )
    html = client.get("/maker/").content.decode()
    assert "Votre profil est enregistré" in html
    assert "Côtes-d&#x27;Armor" in html


def test_editing_keeps_one_profile(client, maker):
    client.force_login(maker)
    client.post("/maker/profil/", {**PROFILE, "display_name": "Anne L. G.", "department": "35"})
    assert Maker.objects.filter(user=maker).count() == 1
    assert Maker.objects.get(user=maker).display_name == "Anne L. G."


def test_bad_input_is_refused_with_the_field_named_and_nothing_saved(client, reference_data):
    user = make_user(role=roles.MAKER)
    client.force_login(user)
    response = client.post("/maker/profil/", {**PROFILE, "display_name": "", "department": "75"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"display_name", "department"}
    assert not Maker.objects.filter(user=user).exists()
