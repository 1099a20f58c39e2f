"""The people of .ci/clients' flows, each with a personal token made as /accounts/tokens/ makes it
(tilab.services.personal_token_create, "write" scope): the demo maker, the staff of the relay
that covers her department (35), and the head of a care home with a verified address of her
own, who posts a need. Prints them as shell variables for the clients' environment."""

import django

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402

from tilab.models import TokenScope  # noqa: E402
from tilab.services import personal_token_create  # noqa: E402

User = get_user_model()
DOMAIN = "demo.tilab.test"

contact, _ = User.objects.get_or_create(
    email="cadre.ehpad@clients.tilab.test", defaults={"full_name": "Gaëlle Tanguy"}
)
EmailAddress.objects.update_or_create(
    user=contact, email=contact.email, defaults={"verified": True, "primary": True}
)
actors = {
    "MAKER": User.objects.get(email=f"maker@{DOMAIN}"),
    "RELAY": User.objects.get(email=f"relais.rennes@{DOMAIN}"),
    "CONTACT": contact,
}
now = timezone.now()
for name, user in actors.items():
    _token, text = personal_token_create(user=user, scope=TokenScope.WRITE, now=now)
    print(f"TILAB_{name}_TOKEN={text}")
print(f"TILAB_CONTACT_EMAIL={contact.email}")
