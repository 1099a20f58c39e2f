"""What accounts holds about a person, how it is exported and erased (the registry is
`tilab.personal_data`): the social accounts a person signs in with (ProConnect)."""

from allauth.socialaccount.models import SocialAccount, SocialToken

from tilab.personal_data import delete, register

register(
    SocialAccount,
    section="social_accounts",
    within="account",
    owner="user",
    order_by=("date_joined", "pk"),
    # Everything ProConnect said of the person: name, address, SIRET, identifiers.
    export=lambda a: {
        "provider": a.provider,
        "uid": a.uid,
        "date_joined": a.date_joined,
        "last_login": a.last_login,
        "claims": a.extra_data,
    },
    erase=delete,
    why="Deleted: the link to the person's ProConnect identity and what it said of them.",
)
register(
    SocialToken,
    section="social_tokens",
    within="account",
    owner="account__user",
    # Never stored (SOCIALACCOUNT_STORE_TOKENS is off); a token's value is never exported.
    export=lambda t: {"provider": t.account.provider, "expires_at": t.expires_at},
    erase=delete,
    why="Deleted: access to the provider on the person's behalf.",
)
