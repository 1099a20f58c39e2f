"""A real OpenID Connect provider for the ProConnect tests, served over HTTP on 127.0.0.1 from
a thread: discovery document, JWKS, authorisation (consents at once for `person`), token
(single-use codes that expire), a userinfo answered as a signed JWT as ProConnect does, and
the end-session endpoint. Tokens are signed with authlib's JOSE, independently of the joserfc
code the platform checks them with.

Knobs a test turns: `person` (the claims of the next login), `userinfo_key` and `id_token_key`
(sign with another key), `id_token_changes` and `userinfo_changes` (claims changed),
`nonce_override`, `code_seconds`, and what it `saw` (authorisation, token and end-session
requests).
"""

import json
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

with warnings.catch_warnings():
    # authlib's JOSE module says joserfc is its future; it still signs well.
    warnings.simplefilter("ignore")
    from authlib.common.security import generate_token
    from authlib.jose import JsonWebKey, jwt

CLIENT_ID = "tilab-test-client"
CLIENT_SECRET = "tilab-test-secret-0123456789"


def new_key(kid: str):
    return JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": kid})


class LocalProConnect:
    def __init__(self):
        self.key = new_key("proconnect-1")
        self.rogue_key = new_key("proconnect-1")  # same kid, another key: a forgery
        self.userinfo_key = self.key
        self.id_token_key = self.key
        self.id_token_changes: dict = {}
        self.userinfo_changes: dict = {}
        self.nonce_override = None
        self.code_seconds = 60
        self.redirect_uris: set[str] = set()
        self.person = {
            "sub": "agent-0001",
            "email": "agent@region.example.fr",
            "given_name": "Claire",
            "usual_name": "Le Bihan",
            "uid": "1",
            "siret": "",
        }
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.saw: dict[str, list[dict]] = {"authorize": [], "end_session": [], "token": []}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- life --------------------------------------------------------------------------------
    def start(self) -> "LocalProConnect":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    # --- what it serves ----------------------------------------------------------------------
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
            "scopes_supported": ["openid", "email", "given_name", "usual_name", "siret", "uid"],
        }

    def _sign(self, claims: dict, key) -> str:
        header = {"alg": "RS256", "kid": key.as_dict()["kid"], "typ": "JWT"}
        return jwt.encode(header, claims, key).decode()

    def authorize(self, query: dict) -> tuple[int, dict, str]:
        self.saw["authorize"].append(query)
        problems = []
        if query.get("client_id") != CLIENT_ID:
            problems.append("unknown client_id")
        if query.get("redirect_uri") not in self.redirect_uris:
            problems.append("redirect_uri not registered")
        if query.get("response_type") != "code":
            problems.append("response_type must be code")
        if "openid" not in query.get("scope", "").split():
            problems.append("scope must hold openid")
        for name in ("state", "nonce"):
            if len(query.get(name, "")) < 32:
                problems.append(f"{name} shorter than 32 characters")
        if problems:
            return 400, {"Content-Type": "text/plain"}, "; ".join(problems)
        code = generate_token(40)
        self.codes[code] = {
            "nonce": self.nonce_override or query["nonce"],
            "redirect_uri": query["redirect_uri"],
            "acr": query.get("acr_values", ""),
            "expires": time.time() + self.code_seconds,
            "person": dict(self.person),
        }
        target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        return 302, {"Location": target}, ""

    def token(self, form: dict) -> tuple[int, dict, str]:
        self.saw["token"].append(form)
        json_type = {"Content-Type": "application/json"}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, json_type, json.dumps({"error": "invalid_client"})
        grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if (
            grant is None
            or grant["expires"] < time.time()
            or grant["redirect_uri"] != form.get("redirect_uri")
            or form.get("grant_type") != "authorization_code"
        ):
            return 400, json_type, json.dumps({"error": "invalid_grant"})
        now = int(time.time())
        person = grant["person"]
        id_token = self._sign(
            {
                "iss": self.issuer,
                "aud": CLIENT_ID,
                "sub": person["sub"],
                "iat": now,
                "exp": now + 60,
                "nonce": grant["nonce"],
                "acr": grant["acr"],
                "amr": ["pwd"],
                **self.id_token_changes,
            },
            self.id_token_key,
        )
        access_token = generate_token(40)
        self.access_tokens[access_token] = person
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 60,
            "id_token": id_token,
        }
        return 200, json_type, json.dumps(body)

    def userinfo(self, authorization: str) -> tuple[int, dict, str]:
        person = self.access_tokens.get(authorization.removeprefix("Bearer ").strip())
        if person is None:
            return 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, ""
        claims = {"iss": self.issuer, "aud": CLIENT_ID, **person, **self.userinfo_changes}
        return 200, {"Content-Type": "application/jwt"}, self._sign(claims, self.userinfo_key)

    def end_session(self, query: dict) -> tuple[int, dict, str]:
        self.saw["end_session"].append(query)
        target = query.get("post_logout_redirect_uri", "")
        if not target:
            return 200, {"Content-Type": "text/plain"}, "signed out"
        return 302, {"Location": f"{target}?{urlencode({'state': query.get('state', '')})}"}, ""

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, headers: dict, body: str) -> None:
                data = body.encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                json_type = {"Content-Type": "application/json"}
                if url.path == "/.well-known/openid-configuration":
                    self._answer(200, json_type, json.dumps(provider.discovery()))
                elif url.path == "/jwks":
                    keys = {"keys": [provider.key.as_dict(is_private=False)]}
                    self._answer(200, json_type, json.dumps(keys))
                elif url.path == "/authorize":
                    self._answer(*provider.authorize(query))
                elif url.path == "/userinfo":
                    self._answer(*provider.userinfo(self.headers.get("Authorization", "")))
                elif url.path == "/session/end":
                    self._answer(*provider.end_session(query))
                else:
                    self._answer(404, {}, "")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path == "/token":
                    self._answer(*provider.token(form))
                else:
                    self._answer(404, {}, "")

        return Handler
