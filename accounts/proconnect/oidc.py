"""The OpenID Connect exchanges with ProConnect: discovery, keys, code for tokens, the signed
userinfo answer, and the checks of every JWT received (signature on the published keys, issuer,
audience, expiry, nonce)."""

import secrets
from dataclasses import dataclass

import requests
from django.conf import settings
from django.utils.translation import gettext
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError, MissingClaimError
from joserfc.jwk import KeySet

from .. import errors

# ProConnect asks for at least 32 characters of each; 32 random bytes give 43.
RANDOM_BYTES = 32
TIMEOUT_SECONDS = 10
# What ProConnect's keys sign with.
ALGORITHMS = ["RS256", "ES256"]
# A little room for clocks that differ.
LEEWAY_SECONDS = 30


def random_value() -> str:
    """A value for `state` or `nonce`: 43 characters, unguessable."""
    return secrets.token_urlsafe(RANDOM_BYTES)


@dataclass(frozen=True)
class Configuration:
    """What the discovery document says about the provider."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str


def _get(url: str, **kwargs) -> requests.Response:
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS, **kwargs)
        response.raise_for_status()
    except requests.RequestException as error:
        raise errors.PROCONNECT_UNAVAILABLE() from error
    return response


def configuration() -> Configuration:
    """The provider's discovery document, read from PROCONNECT_DISCOVERY_URL."""
    try:
        document = _get(settings.PROCONNECT_DISCOVERY_URL).json()
        return Configuration(
            issuer=document["issuer"],
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            userinfo_endpoint=document["userinfo_endpoint"],
            jwks_uri=document["jwks_uri"],
            end_session_endpoint=document["end_session_endpoint"],
        )
    except (ValueError, KeyError, TypeError) as error:
        raise errors.PROCONNECT_UNAVAILABLE() from error


def keys(config: Configuration) -> KeySet:
    """The provider's public keys (JWKS)."""
    try:
        return KeySet.import_key_set(_get(config.jwks_uri).json())
    except (ValueError, JoseError) as error:
        raise errors.PROCONNECT_UNAVAILABLE() from error


def tokens_for_code(config: Configuration, *, code: str, redirect_uri: str) -> dict:
    """The code exchanged for the access and ID tokens; refused (expired, reused, unknown code)
    with `proconnect_token`."""
    try:
        response = requests.post(
            config.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": settings.PROCONNECT_CLIENT_ID,
                "client_secret": settings.PROCONNECT_CLIENT_SECRET,
            },
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise errors.PROCONNECT_UNAVAILABLE() from error
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code != 200 or not answer.get("access_token") or not answer.get("id_token"):
        raise errors.PROCONNECT_TOKEN()
    return answer


def id_token_claims(
    config: Configuration, keyset: KeySet, *, id_token: str, nonce: str, now
) -> dict:
    """The ID token's claims, once its signature, issuer, audience, expiry and nonce are right."""
    try:
        token = jwt.decode(id_token, keyset, algorithms=ALGORITHMS)
    except (JoseError, ValueError) as error:
        raise errors.PROCONNECT_ID_TOKEN(reason=_reason(error)) from error
    registry = jwt.JWTClaimsRegistry(
        now=int(now.timestamp()),
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": config.issuer},
        aud={"essential": True, "value": settings.PROCONNECT_CLIENT_ID},
        exp={"essential": True},
        sub={"essential": True},
    )
    try:
        registry.validate(token.claims)
    except (JoseError, ValueError) as error:
        raise errors.PROCONNECT_ID_TOKEN(reason=_reason(error)) from error
    # Compared in constant time: the nonce ties the token to the browser that asked for it.
    if not secrets.compare_digest(str(token.claims.get("nonce", "")), nonce):
        raise errors.PROCONNECT_NONCE()
    return token.claims


def userinfo_claims(
    config: Configuration, keyset: KeySet, *, access_token: str, subject: str
) -> dict:
    """The userinfo answer: ProConnect sends it as a JWT signed with its keys; anything else
    (plain JSON, another key, another person) is refused."""
    response = _get(config.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"})
    try:
        token = jwt.decode(response.text.strip(), keyset, algorithms=ALGORITHMS)
        # The subject must be the ID token's; issuer and audience, which OpenID Connect says a
        # signed userinfo SHOULD carry, must be right when they are there.
        jwt.JWTClaimsRegistry(
            sub={"essential": True, "value": subject},
            iss={"value": config.issuer},
            aud={"value": settings.PROCONNECT_CLIENT_ID},
        ).validate(token.claims)
    except (JoseError, ValueError) as error:
        raise errors.PROCONNECT_USERINFO_SIGNATURE() from error
    return token.claims


def _reason(error: Exception) -> str:
    if isinstance(error, ExpiredTokenError):
        return gettext("il a expiré")
    if isinstance(error, MissingClaimError):
        return gettext("il y manque une information obligatoire")
    return gettext("signature, émetteur ou destinataire invalide")
