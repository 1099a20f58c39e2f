"""What the webhooks app holds about a person (the registry is `tilab.personal_data`): the
endpoints they registered, of which they are told when one is turned off."""

from tilab.personal_data import anonymise, register

from .models import WebhookEndpoint

register(
    WebhookEndpoint,
    section="webhook_endpoints",
    within="account",
    owner="owner",
    order_by=("created_at", "pk"),
    # Never the secret: it signs for the Région or the relay, not for the person.
    export=("url", "description", "events", "is_active", "created_at"),
    erase=anonymise(owner=None),
    why=(
        "The endpoint is the Région's or the relay's and keeps working; it only stops naming "
        "the person (nobody is told when it is turned off)."
    ),
)
