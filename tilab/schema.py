"""The OpenAPI schema beyond what drf-spectacular infers: the error answers every endpoint may
give (one helper, `error_responses`, for those an endpoint documents itself), and the links
that say which response feeds which request. The settings name its schema class
(REST_FRAMEWORK); the links hook (SPECTACULAR_SETTINGS) is config/schema.py, which gives the
tables naming the apps' operations; the apps' API modules use its shapes.
"""

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.drainage import warn
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.serializers import PolymorphicProxySerializerExtension
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication

from .deprecation import deprecation_of
from .permissions import PUBLIC, SIGNED_IN, DeclaredPermission, declared_permission

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

CODE_HELP = _(
    "Code stable de l'erreur (snake_case), à comparer plutôt que le texte : "
    "« report_already_decided », « invalid », « not_found »…"
)


class ErrorSerializer(serializers.Serializer):
    """An error: a stable code, a sentence a person can read, and the field it concerns."""

    code = serializers.CharField(help_text=CODE_HELP)
    detail = serializers.CharField()
    field = serializers.CharField(allow_null=True)


class FieldErrorsSerializer(serializers.Serializer):
    """An error in what was given: its code, its first message and field, and each field (or
    query parameter) in error with what is wrong with it. Documentation only: DRF's validation
    errors and the services' refusals of bad input have this shape (tilab/api_errors.py)."""


class FieldErrorsExtension(OpenApiSerializerExtension):
    target_class = FieldErrorsSerializer

    def get_name(self, auto_schema, direction):
        return "FieldErrors"

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": " ".join(
                FieldErrorsSerializer.__doc__.split("Documentation")[0].split()
            ),
            "properties": {
                "code": {"type": "string", "description": str(CODE_HELP)},
                "detail": {"type": "string"},
                "field": {"type": "string", "nullable": True},
            },
            "required": ["code", "detail", "field"],
            # A list of messages; for a list or an object given, the same per item or key.
            # (`items` any: client generators refuse an array that does not say.)
            "additionalProperties": {"oneOf": [{"type": "array", "items": {}}, {"type": "object"}]},
        }


class AnyOf(PolymorphicProxySerializer):
    """An answer that takes one of several shapes, which may overlap (one extends another):
    `anyOf`, where drf-spectacular's `oneOf` would refuse an answer that matches two. Use it
    as drf-spectacular's PolymorphicProxySerializer, with `resource_type_field_name=None`."""


class AnyOfExtension(PolymorphicProxySerializerExtension):
    target_class = AnyOf

    def map_serializer(self, auto_schema, direction):
        schema = super().map_serializer(auto_schema, direction)
        schema["anyOf"] = schema.pop("oneOf")
        return schema


# --- Answers every endpoint may give --------------------------------------------------------

# What each error status means, unless an endpoint says better (`about`).
ERROR_MEANINGS = {
    400: _(
        "Données invalides : chaque champ en cause est nommé, ou `detail` explique la "
        "règle enfreinte."
    ),
    403: _("Action non permise à votre rôle."),
    404: _("Introuvable parmi ce que vous voyez."),
    409: _("Cette action n'est pas possible dans l'état actuel."),
    429: _(
        "Trop de demandes en peu de temps : `detail` dit quand revenir, l'en-tête "
        "Retry-After en secondes."
    ),
}


def error_responses(*statuses: int, about: dict | None = None) -> dict[int, OpenApiResponse]:
    """The error answers an endpoint documents, for `extend_schema(responses=…)`: 400 with
    each field in error, the others `{"code", "detail", "field"}` (tilab/api_errors.py).
    `about` says, per status, what it means here (an app's states, say)."""
    about = about or {}
    return {
        status: OpenApiResponse(
            FieldErrorsSerializer if status == 400 else ErrorSerializer,
            description=about.get(status, ERROR_MEANINGS[status]),
        )
        for status in statuses
    }


class PersonalTokenScheme(KnoxTokenScheme):
    """A personal token is a knox token (`Authorization: Token <token>`) with a scope."""

    target_class = "tilab.authentication.PersonalTokenAuthentication"

    def get_security_definition(self, auto_schema):
        definition = super().get_security_definition(auto_schema)
        definition["description"] = str(
            _(
                "Jeton personnel, créé sur la page « Jetons d'API » de votre compte, valable "
                "un nombre de jours limité. Sa portée : « lecture » (lire seulement), « lecture "
                "et écriture », ou « décisions financières » en plus (approuver, payer, "
                "coordonnées bancaires), qui ne se crée que juste après avoir saisi son code "
                "de double authentification. Une action hors de la portée répond 403 "
                "token_scope_missing."
            )
        )
        return definition


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, plus the answers that come from the API's plumbing rather than
    from an endpoint's own code: a filter or cursor that does not parse, a body unreadable or
    invalid (400), a missing or bad token (401), a role without the declared permission, a
    token without the scope or a browser session without its CSRF token (403), an object not
    found (404), a body in a content type the operation does not read (415), too many requests
    (429). An endpoint that documents one of these itself keeps its own. Only reads of lists
    take pagination and filter parameters."""

    def get_auth(self):
        """As drf-spectacular says of AllowAny: an endpoint declared PUBLIC needs no
        identification (the empty requirement among its security requirements)."""
        auths = super().get_auth()
        declares = any(isinstance(p, DeclaredPermission) for p in self.view.get_permissions())
        if declares and {} not in auths and declared_permission(self.view) == PUBLIC:
            auths.append({})
        return auths

    def is_deprecated(self):
        """Marked by `tilab.deprecation.deprecated` (which also sends the headers), or by
        drf-spectacular's own `extend_schema(deprecated=True)`."""
        handler = getattr(self.view, "action", None) or self.method.lower()
        return super().is_deprecated() or deprecation_of(type(self.view), handler) is not None

    def _get_paginator(self):
        """Only a read pages through a list: a write answers with what it did (a list, it may
        be), never a page of one, and reads no cursor."""
        return super()._get_paginator() if self.method == "GET" else None

    def get_filter_backends(self):
        """Likewise only a read of a list takes its filters: an action on one object or a
        write reads none of them."""
        return super().get_filter_backends() if self.method == "GET" else []

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self._shared_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _shared_responses(self) -> dict[str, OpenApiResponse]:
        shared = {}
        lists = self.method == "GET" and self._is_list_view()
        if lists and (self._get_filter_parameters() or self._get_paginator()):
            shared["400"] = OpenApiResponse(
                FieldErrorsSerializer,
                description=_("Filtre ou curseur illisible : chaque paramètre est nommé."),
            )
        reads_a_body = (
            self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        )
        if reads_a_body:
            shared["400"] = OpenApiResponse(
                FieldErrorsSerializer,
                description=_(
                    "Corps illisible (`parse_error`) ou données invalides : chaque champ en "
                    "cause est nommé."
                ),
            )
        authenticators = self.view.get_authenticators()
        if authenticators:
            shared["401"] = OpenApiResponse(
                ErrorSerializer,
                description=_(
                    "Jeton invalide ou expiré, ou aucune identification là où un compte est "
                    "nécessaire."
                ),
            )
        declares = any(isinstance(p, DeclaredPermission) for p in self.view.get_permissions())
        if declares and declared_permission(self.view) not in (PUBLIC, SIGNED_IN):
            shared["403"] = error_responses(403)[403]
        if self.method in UNSAFE_METHODS and any(
            isinstance(authenticator, SessionAuthentication) for authenticator in authenticators
        ):
            shared["403"] = OpenApiResponse(
                ErrorSerializer,
                description=_(
                    "Action non permise, jeton sans la portée nécessaire, ou session de "
                    "navigateur sans son jeton CSRF."
                ),
            )
        if "{" in self.path:
            shared["404"] = error_responses(404)[404]
        if reads_a_body:
            shared["415"] = OpenApiResponse(
                ErrorSerializer,
                description=_(
                    "Corps dans un type de contenu que l'opération ne lit pas : du JSON "
                    "(application/json), sauf pour l'import d'un tableur (multipart/form-data)."
                ),
            )
        if self.view.get_throttles():
            shared["429"] = error_responses(429)[429]
        return shared


# --- Enums of query parameters: named components -------------------------------------------


def _pascal(words: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", words) if part)


def parameter_enums_named(result, generator, request, public):
    """drf-spectacular postprocessing hook, after its own enum hook: a query parameter's choices
    become a reference to the enum component of the same values (`status` of the allocations
    is `MoneyDecisionStatus`), or to one of their own, named in ASCII from the operation and
    the parameter. drf-spectacular leaves them inline, titled with the filter's French label,
    and client generators name their enum classes after that title ("AllocationsListÉTat")."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    by_values = {
        frozenset(component["enum"]): name
        for name, component in sorted(components.items())
        if "enum" in component
    }
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if "enum" not in schema:
                    continue
                values = frozenset(schema["enum"])
                name = by_values.get(values)
                if name is None:
                    operation_id = operation["operationId"].removesuffix("_list")
                    name = f"{_pascal(operation_id)}{_pascal(parameter['name'])}Enum"
                    components[name] = {
                        key: value for key, value in schema.items() if key != "title"
                    }
                    by_values[values] = name
                parameter["schema"] = {"$ref": f"#/components/schemas/{name}"}
    result["components"]["schemas"] = dict(sorted(components.items()))
    return result


# --- Numeric path parameters: integers ----------------------------------------------------

NUMERIC_PATTERN = "^[0-9]+$"


def path_ids_integer(result, generator, request, public):
    """drf-spectacular postprocessing hook: a path parameter matched by `[0-9]+` (the
    viewsets' `lookup_value_regex`) is an integer, as the `id` of every answer is.
    drf-spectacular reads it from the URL's regex as a string with a pattern, and the generated
    clients then ask for `str(report.id)` where they gave `report.id` everywhere else."""
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and schema == {
                    "type": "string",
                    "pattern": NUMERIC_PATTERN,
                }:
                    parameter["schema"] = {"type": "integer", "minimum": 0}
    return result


# --- The error codes ------------------------------------------------------------------------

ERROR_SHAPE = {"code", "detail", "field"}


def error_codes_listed(result, generator, request, public):
    """drf-spectacular postprocessing hook: every error body's `code` is one of the API's codes
    (tilab.api_errors.error_codes), listed once as the `ErrorCode` enum, or a code added later."""
    from .api_errors import error_codes  # the API's settings name this module too

    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorCode"] = {
        "type": "string",
        "enum": [each.code for each in error_codes()],
        "description": str(
            _(
                "Code stable de l'erreur, à comparer plutôt que le texte. Le README du projet "
                "donne pour chacun son statut HTTP et son message ; un code nouveau peut "
                "s'ajouter sans nouvelle version de l'API : traitez un code inconnu selon son "
                "statut HTTP."
            )
        ),
    }
    for component in components.values():
        properties = component.get("properties", {})
        if properties.keys() >= ERROR_SHAPE:
            # One of the listed codes, or one added later: a client generated today reads a
            # new code as a plain string instead of failing (README: a new code is no break).
            properties["code"] = {
                "anyOf": [{"$ref": "#/components/schemas/ErrorCode"}, {"type": "string"}]
            }
    result["components"]["schemas"] = dict(sorted(components.items()))
    return result


# --- Links: which response feeds which request ----------------------------------------------

# The tables that name the apps' collections and operations are the composition root's
# (config/schema.py): NESTED_IDS, response schema -> [(collection, JSON pointer to the id inside
# that schema)], for objects that carry another collection's id beyond their own; BODY_IDS,
# collection -> [(operationId, body with ID where the object's id, code or slug goes)], for
# requests whose body names an object of that collection.
ID = "{id}"

DETAIL_PATH = re.compile(r"(?P<collection>/api/v[0-9]+/[^{}]+/)\{(?P<param>\w+)\}/")
JSON = "application/json"


def _ref(schema: dict | None) -> str | None:
    ref = (schema or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] or None


def _json_schema(response: dict) -> dict | None:
    return response.get("content", {}).get(JSON, {}).get("schema")


class _Links:
    """The links of one generated schema, found from its paths and response schemas."""

    def __init__(self, result: dict, *, nested_ids: dict, body_ids: dict):
        self.nested_ids = nested_ids
        self.body_ids = body_ids
        self.paths = result["paths"]
        self.components = result.get("components", {}).get("schemas", {})
        self.operations = {
            operation["operationId"]: operation
            for methods in self.paths.values()
            for operation in methods.values()
        }
        self.collections = self._collections()

    def _collections(self) -> dict[str, tuple[str, set[str]]]:
        """Each collection with a detail path: its path parameter, and the schemas that
        represent one of its objects (detail, list item, creation, and polymorphic variants)."""
        collections = {}
        for path, methods in self.paths.items():
            match = DETAIL_PATH.fullmatch(path)
            if not match or "get" not in methods:
                continue
            collection = match["collection"]
            shapes = {_ref(_json_schema(methods["get"]["responses"].get("200", {})))}
            listing = self.paths.get(collection, {})
            if "get" in listing:
                shapes.add(self._item(_json_schema(listing["get"]["responses"]["200"])))
            if "post" in listing:
                created = listing["post"]["responses"].get("201", {})
                shapes.add(_ref(_json_schema(created)))
            for shape in list(shapes):
                component = self.components.get(shape, {})
                for variant in component.get("oneOf", []) + component.get("anyOf", []):
                    shapes.add(_ref(variant))
            shapes.discard(None)
            collections[collection] = (match["param"], shapes)
        return collections

    def _item(self, schema: dict | None) -> str | None:
        """The schema of one item of a list answer, paginated or not."""
        if not schema:
            return None
        name = _ref(schema)
        if name:
            schema = self.components.get(name, {})
            results = schema.get("properties", {}).get("results")
            return _ref(results.get("items")) if results and "items" in results else None
        return _ref(schema.get("items")) if schema.get("type") == "array" else None

    def ids_in(self, schema: dict | None, prefix: str = "") -> list[tuple[str, str]]:
        """(collection, JSON pointer) of every object id an answer of this schema carries."""
        if not schema:
            return []
        if schema.get("type") == "array":
            return self.ids_in(schema.get("items"), f"{prefix}/0")
        name = _ref(schema)
        if name is None:
            return []
        component = self.components.get(name, {})
        results = component.get("properties", {}).get("results")
        if name.startswith("Paginated") and results:
            return self.ids_in(results.get("items"), f"{prefix}/results/0")
        found = [
            (collection, f"{prefix}/{param}")
            for collection, (param, shapes) in self.collections.items()
            if name in shapes and self._resolves(name, f"/{param}")
        ]
        for collection, pointer in self.nested_ids.get(name, []):
            if not self._resolves(name, pointer):
                warn(f"schema links: {name} has no {pointer}; update NESTED_IDS")
                continue
            found.append((collection, prefix + pointer))
        return found

    def _resolves(self, name: str, pointer: str) -> bool:
        """The schema has this pointer (in every variant, for a polymorphic one)."""
        return self._has(self.components.get(name, {}), pointer.strip("/").split("/"))

    def _has(self, schema: dict, parts: list[str]) -> bool:
        while "$ref" in schema or "allOf" in schema:
            schema = self.components.get(_ref(schema) or _ref(schema["allOf"][0]), {})
        if not parts:
            return True
        variants = schema.get("oneOf", []) + schema.get("anyOf", [])
        if variants:
            return all(self._has(variant, parts) for variant in variants)
        part, rest = parts[0], parts[1:]
        if part == "0":
            return "items" in schema and self._has(schema["items"], rest)
        child = schema.get("properties", {}).get(part)
        return child is not None and self._has(child, rest)

    def consumers(self, collection: str, pointer: str) -> list[tuple[str, dict]]:
        """(operationId, link) of every request that takes the object's id."""
        param, _shapes = self.collections[collection]
        expression = f"$response.body#{pointer}"
        found = []
        for path, methods in self.paths.items():
            if path.startswith(f"{collection}{{{param}}}/"):
                for operation in methods.values():
                    link = {
                        "operationId": operation["operationId"],
                        "parameters": {param: expression},
                    }
                    found.append((operation["operationId"], link))
        for operation_id, body in self.body_ids.get(collection, []):
            if operation_id not in self.operations:
                warn(f"schema links: no operation {operation_id}; update BODY_IDS")
                continue
            link = {"operationId": operation_id, "requestBody": _fill(body, expression)}
            found.append((operation_id, link))
        return found

    def add(self) -> None:
        for operation_id, operation in self.operations.items():
            for code, response in operation["responses"].items():
                if not code.startswith("2"):
                    continue
                links = {}
                for collection, pointer in self.ids_in(_json_schema(response)):
                    for target, link in self.consumers(collection, pointer):
                        if target == operation_id:
                            continue
                        name = target
                        if name in links:
                            name = f"{target}.{pointer.strip('/').replace('/', '.')}"
                        link["description"] = f"The id at {pointer} of this answer."
                        links[name] = link
                if links:
                    response["links"] = dict(sorted(links.items()))


def _fill(body, expression: str):
    if body == ID:
        return expression
    if isinstance(body, dict):
        return {key: _fill(value, expression) for key, value in body.items()}
    if isinstance(body, list):
        return [_fill(value, expression) for value in body]
    return body


def links_add(result: dict, *, nested_ids: dict, body_ids: dict) -> dict:
    """OpenAPI links, added to a generated schema, from every answer that carries an object's id
    to the requests that take it (its detail path, its actions, and the bodies that name it), so
    that clients, and the schema fuzzing in tests/api, can follow them. `nested_ids` and
    `body_ids` are the tables described above `ID`."""
    _Links(result, nested_ids=nested_ids, body_ids=body_ids).add()
    return result
