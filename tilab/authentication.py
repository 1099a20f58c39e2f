"""How a program signs in to the API with a personal token (knox), and what the token may do:
its scope goes on the user, where the rules read it (tilab.permissions: `token_refusal`,
`add_money_perm`)."""

from knox.auth import TokenAuthentication

from .models import PersonalTokenScope, TokenScope
from .permissions import SECOND_FACTOR_AT, TOKEN_SCOPE


class PersonalTokenAuthentication(TokenAuthentication):
    """knox's token authentication (`Authorization: Token <token>`), expired tokens refused;
    the caller gets the token's scope ("read" for a token without one). A token never carries
    a session's second factor: only its "money" scope lets it decide on money."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        user, token = found
        scope = (
            PersonalTokenScope.objects.filter(token=token).values_list("scope", flat=True).first()
        )
        setattr(user, TOKEN_SCOPE, scope or TokenScope.READ)
        setattr(user, SECOND_FACTOR_AT, None)
        return user, token
