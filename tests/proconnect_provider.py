"""A real OpenID Connect provider for the ProConnect tests, built on authlib's OAuth 2.0 and
OpenID Connect server (authorisation code grant with its OpenID extension, signed userinfo
endpoint, RP-initiated logout) and served over HTTP on 127.0.0.1 from a thread. It consents at
once for `person`, and adds ProConnect's own rule: `state` and `nonce` of 32 characters at least.

Knobs a test turns: `person` (the claims of the next login), `userinfo_key` and `id_token_key`
(sign with another key), `id_token_changes` and `userinfo_changes` (claims changed),
`userinfo_plain` (answer plain JSON), `nonce_override`, `code_seconds`; `redirect_uris` and
`post_logout_redirect_uris` (the client's registration); and what it `saw` (authorisation,
token and end-session requests).
"""

import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
    ResourceProtector,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from authlib.oidc.rpinitiated import EndSessionEndpoint
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "tilab-test-client"
CLIENT_SECRET = "tilab-test-secret-0123456789"
SCOPES = ["openid", "email", "given_name", "usual_name", "siret", "uid"]


def new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


# --- authlib's models, kept in the provider's memory ----------------------------------------


class Client(ClientMixin):
    client_id = CLIENT_ID

    def __init__(self, provider):
        self.provider = provider

    @property
    def client_metadata(self):
        return {
            "userinfo_signed_response_alg": "RS256",
            "post_logout_redirect_uris": sorted(self.provider.post_logout_redirect_uris),
        }

    def get_client_id(self):
        return CLIENT_ID

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return " ".join(s for s in scope.split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.provider.redirect_uris

    def check_client_secret(self, client_secret):
        return client_secret == CLIENT_SECRET

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_post" if endpoint == "token" else True

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    redirect_uri: str
    scope: str
    nonce: str
    acr: str
    person: dict
    expires_at: float
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return self.acr

    def get_amr(self):
        return ["pwd"]


@dataclass
class Token(TokenMixin):
    client: Client
    scope: str
    person: dict
    expires_at: float

    def check_client(self, client):
        return client.get_client_id() == CLIENT_ID

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return int(self.expires_at - time.time())

    def is_expired(self):
        return time.time() > self.expires_at

    def is_revoked(self):
        return False

    def get_user(self):
        return self.person

    def get_client(self):
        return self.client


# --- requests as authlib reads them -----------------------------------------------------------


class Payload(OAuth2Payload):
    def __init__(self, values: dict[str, list[str]]):
        self._values = values

    @property
    def data(self):
        return {name: values[0] for name, values in self._values.items()}

    @property
    def datalist(self):
        return defaultdict(list, self._values)


class Request(OAuth2Request):
    def __init__(self, method: str, uri: str, headers, query: dict, form: dict):
        super().__init__(method, uri, headers=headers)
        self._query = query
        self._form = form
        self.payload = Payload({**query, **form})

    @property
    def args(self):
        return {name: values[0] for name, values in self._query.items()}

    @property
    def form(self):
        return {name: values[0] for name, values in self._form.items()}


# --- the server -------------------------------------------------------------------------------


def build_server(provider) -> AuthorizationServer:
    class Server(AuthorizationServer):
        def query_client(self, client_id):
            return provider.client if client_id == CLIENT_ID else None

        def save_token(self, token, request):
            provider.access_tokens[token["access_token"]] = Token(
                client=request.client,
                scope=token["scope"],
                person=request.user,
                expires_at=time.time() + token["expires_in"],
            )

        def create_oauth2_request(self, request):
            return request

        def create_json_request(self, request):
            return request

        def handle_response(self, status, body, headers):
            return status, dict(headers), body if isinstance(body, str) else json.dumps(body)

        def send_signal(self, name, *args, **kwargs):
            pass

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post"]

        def save_authorization_code(self, code, request):
            data = request.payload.data
            provider.codes[code] = Code(
                code=code,
                redirect_uri=data["redirect_uri"],
                scope=request.payload.scope,
                nonce=provider.nonce_override or data.get("nonce", ""),
                acr=data.get("acr_values", ""),
                person=dict(request.user),
                expires_at=time.time() + provider.code_seconds,
            )

        def query_authorization_code(self, code, client):
            found = provider.codes.get(code)
            return found if found and found.expires_at > time.time() else None

        def delete_authorization_code(self, authorization_code):
            provider.codes.pop(authorization_code.code, None)  # a code works once

        def authenticate_user(self, authorization_code):
            return authorization_code.person

    class IdToken(OpenIDCode):
        def exists_nonce(self, nonce, request):
            return False

        def resolve_client_private_key(self, client):
            return provider.id_token_key

        def get_client_algorithm(self, client):
            return "RS256"

        def get_encode_header(self, client):
            return {"alg": "RS256", "kid": provider.id_token_key.kid, "typ": "JWT"}

        def get_client_claims(self, client):
            return {"iss": provider.issuer, "aud": CLIENT_ID, "exp": int(time.time()) + 60}

        def generate_user_info(self, user, scope):
            # ProConnect's ID token names the subject only; the rest is in the userinfo.
            return {"sub": user["sub"], **provider.id_token_changes}

    class Protector(ResourceProtector):
        def acquire_token(self, scopes=None):
            scopes = [scopes] if isinstance(scopes, str) else scopes
            return self.validate_request(scopes, provider.current.request)

    class Validator(BearerTokenValidator):
        def authenticate_token(self, token_string):
            return provider.access_tokens.get(token_string)

    class SignedUserInfo(UserInfoEndpoint):
        def get_issuer(self):
            return provider.issuer

        def generate_user_info(self, user, scope):
            return UserInfo({**user, **provider.userinfo_changes})

        def resolve_private_key(self):
            return provider.userinfo_key

    class EndSession(EndSessionEndpoint):
        def get_server_jwks(self):
            return provider.jwks()

        def end_session(self, end_session_request):
            provider.saw["end_session"].append(end_session_request.request.args)

    server = Server()
    server.register_token_generator(
        "default", BearerTokenGenerator(lambda **kwargs: generate_token(42), expires_generator=None)
    )
    server.register_grant(CodeGrant, [IdToken(require_nonce=True)])
    protector = Protector()
    protector.register_token_validator(Validator())
    server.register_endpoint(SignedUserInfo(resource_protector=protector))
    server.register_endpoint(EndSession)
    return server


class LocalProConnect:
    def __init__(self):
        self.key = new_key("proconnect-1")
        self.rogue_key = new_key("proconnect-1")  # same kid, another key: a forgery
        self.userinfo_key = self.key
        self.id_token_key = self.key
        self.id_token_changes: dict = {}
        self.userinfo_changes: dict = {}
        self.userinfo_plain = False
        self.nonce_override = None
        self.code_seconds = 60
        self.redirect_uris: set[str] = set()
        self.post_logout_redirect_uris: set[str] = set()
        self.person = {
            "sub": "agent-0001",
            "email": "agent@region.example.fr",
            "given_name": "Claire",
            "usual_name": "Le Bihan",
            "uid": "1",
            "siret": "",
        }
        self.client = Client(self)
        self.codes: dict[str, Code] = {}
        self.access_tokens: dict[str, Token] = {}
        self.saw: dict[str, list[dict]] = {"authorize": [], "end_session": [], "token": []}
        self.current = threading.local()
        self.server = build_server(self)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    # --- life --------------------------------------------------------------------------------
    def start(self) -> "LocalProConnect":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def jwks(self) -> dict:
        return KeySet([self.key]).as_dict(private=False)

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/session/end",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "acr_values_supported": ["eidas1"],
            "scopes_supported": SCOPES,
        }

    # --- the endpoints -----------------------------------------------------------------------
    def authorize(self, request: Request):
        query = request.args
        self.saw["authorize"].append(query)
        short = [name for name in ("state", "nonce") if len(query.get(name, "")) < 32]
        if short:
            return (
                400,
                {"Content-Type": "text/plain"},
                f"{', '.join(short)}: 32 characters at least",
            )
        try:
            grant = self.server.get_consent_grant(request=request, end_user=self.person)
        except OAuth2Error as error:
            return 400, {"Content-Type": "text/plain"}, f"{error.error}: {error.description}"
        return self.server.create_authorization_response(
            request=request, grant_user=self.person, grant=grant
        )

    def token(self, request: Request):
        self.saw["token"].append(request.form)
        return self.server.create_token_response(request)

    def userinfo(self, request: Request):
        if self.userinfo_plain:
            return 200, {"Content-Type": "application/json"}, json.dumps(self.person)
        return self.server.create_endpoint_response("userinfo", request)

    def end_session(self, request: Request):
        answer = self.server.create_endpoint_response("end_session", request)
        return answer or (200, {"Content-Type": "text/plain"}, "signed out")

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, headers: dict, body) -> None:
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _request(self, form: dict) -> Request:
                url = urlsplit(self.path)
                request = Request(
                    self.command,
                    f"{provider.issuer}{self.path}",
                    self.headers,
                    parse_qs(url.query),
                    form,
                )
                provider.current.request = request
                return request

            def _route(self, form: dict) -> None:
                path = urlsplit(self.path).path
                request = self._request(form)
                json_type = {"Content-Type": "application/json"}
                routes = {
                    "/authorize": provider.authorize,
                    "/token": provider.token,
                    "/userinfo": provider.userinfo,
                    "/session/end": provider.end_session,
                }
                if path == "/.well-known/openid-configuration":
                    self._answer(200, json_type, json.dumps(provider.discovery()))
                elif path == "/jwks":
                    self._answer(200, json_type, json.dumps(provider.jwks()))
                elif path in routes:
                    self._answer(*routes[path](request))
                else:
                    self._answer(404, {}, "")

            def do_GET(self):
                self._route({})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self._route(parse_qs(self.rfile.read(length).decode()))

        return Handler
