"""The platform's one settings file (DJANGO_SETTINGS_MODULE=config.settings), for every run mode,
read from the environment (see .env.example).

Embedded default (nothing set): SQLite file, Celery tasks run in-process, e-mail to the console,
local-memory cache, DEBUG on. Production: DEBUG=False plus DATABASE_URL, CELERY_BROKER_URL,
REDIS_URL, SECRET_KEY, ALLOWED_HOSTS, EMAIL_URL.
"""

import logging
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

import tilab_site
from tilab.log_filters import LOG_FORMATTERS

# The checkout's root, or site-packages once installed: only for the embedded default's files
# (the .env file, var/, staticfiles/). Templates, static sources and translations are found by
# tilab_site, in the checkout or inside the installed package alike.
BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# The demo (DEBUG on) shows the platform's 404 and 500 pages; a developer who wants Django's
# debug pages sets this (tilab.middleware.DemoErrorPagesMiddleware).
TILAB_DEBUG_PAGES = env.bool("TILAB_DEBUG_PAGES", default=False)

# The embedded demo gets a throwaway key; production refuses to start without a real one.
SECRET_KEY = env("SECRET_KEY", default="embedded-demo-key-not-for-production" if DEBUG else None)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
# Rotating the key: the old one goes here (comma-separated) for as long as links signed with it
# must work (an establishment's link to its need, a guest's to a registration); sessions and
# password-reset links signed with it too. README, "Rotating SECRET_KEY".
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "tilab.csrf.csrf_failure"
# The address e-mails and PDFs link to. The demo's follows the port it is served on
# (`make run PORT=8101` sets PORT).
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Django's own form templates, found by the project renderer below.
    "django.forms",
    "rules",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "health_check",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Social accounts: ProConnect only (accounts/proconnect), on when its settings are set.
    "allauth.socialaccount",
    "tilab",
    "fablabs",
    "webhooks",
    "makers",
    "directory",
    "figures",
    "subsidies",
    "audit",
    "workshops",
    "needs",
    "recognition",
    "accounts",
    # On top of every app: the demo seed.
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "tilab.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Right after the session's: it records when the session ends, before it is saved.
    "tilab.middleware.SessionEndMiddleware",
    # Puts the device cookie chosen at sign-in on the answer (tilab.devices).
    "tilab.middleware.DeviceCookieMiddleware",
    "tilab.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication (it asks who the answer is for); before the views that set a policy.
    "tilab.middleware.PrivateAnswersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The Deprecation, Sunset and Link headers of a deprecated API operation.
    "tilab.deprecation.DeprecationMiddleware",
    # The second factor of the session on `request.user`; a page held back by it asks for it.
    "tilab.middleware.SecondFactorMiddleware",
    # The platform's 404 and 500 pages in the demo too (DEBUG on), in place of Django's.
    "tilab.middleware.DemoErrorPagesMiddleware",
    # Last, so it sees a view's exception first.
    "tilab.middleware.DatabaseUnavailableMiddleware",
]

# Forms render with the project's templates (templates/django/forms/): every label marks a
# required field, a form's own refusal shows under its fields, above its buttons.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [tilab_site.TEMPLATES_DIR],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tilab.context_processors.platform",
                "config.context_processors.navigation",
                "config.context_processors.todo",
                "accounts.proconnect.context_processors.proconnect",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'tilab.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if not DEBUG else 0)
# Kept connections are checked before reuse: after a database restart nothing fails (tests/faults).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # A demo on a laptop still sees concurrent requests (htmx, the browser tests).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"].setdefault("TEST", {})["NAME"] = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
CACHES = {
    "default": (
        {
            "BACKEND": "tilab.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "tilab.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "tilab.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Ti Lab] "
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Wrong passwords: from one address, the 6th within 5 minutes is refused whatever the accounts
# tried, and stays refused, right password included, until the window has passed (allauth
# counts an attempt before checking it and gives it back only when it succeeds). An account
# is locked from everywhere only by the ceiling of THROTTLE_RATES["login_failed_account"],
# which one address cannot reach alone; its owner gets an e-mail and a password reset lifts it
# (tilab.adapters). The other limits (signup, password reset, e-mail confirmation) keep
# allauth's defaults, which are on. Counters live in the cache: Redis in production.
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/ip"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Ti Lab"

# ProConnect, the State's login for public agents and professionals (README, "Connexion
# ProConnect"). Off, button and pages, until the discovery URL, the client id and the secret
# are all set. The redirect URI to register at ProConnect: SITE_URL + /accounts/proconnect/retour/.
PROCONNECT_DISCOVERY_URL = env("PROCONNECT_DISCOVERY_URL", default="")
# Where ProConnect's pages are, when they are not beside the discovery document.
PROCONNECT_ORIGINS = env.list("PROCONNECT_ORIGINS", default=[])
PROCONNECT_CLIENT_ID = env("PROCONNECT_CLIENT_ID", default="")
PROCONNECT_CLIENT_SECRET = env("PROCONNECT_CLIENT_SECRET", default="")
# The level of assurance asked of the agent's identity provider ("eidas1": ProConnect's base).
PROCONNECT_ACR_VALUES = env("PROCONNECT_ACR_VALUES", default="eidas1")
PROCONNECT_SCOPES = env.list(
    "PROCONNECT_SCOPES", default=["openid", "email", "given_name", "usual_name", "siret", "uid"]
)
SOCIALACCOUNT_ADAPTER = "accounts.proconnect.adapter.SocialAccountAdapter"
# A first ProConnect login joins the account holding the same address, when both sides
# verified it (accounts.proconnect.adapter); otherwise it makes an account with no role.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_REQUIRED = True
SOCIALACCOUNT_LOGIN_ON_GET = False
# The tokens stay out of the database; the ID token waits in the session for the logout.
SOCIALACCOUNT_STORE_TOKENS = False

# Région and relay staff present their second factor before any money decision. On in
# production; the embedded demo relaxes it (and says so when it starts) so a newcomer can click
# through.
TILAB_MFA_REQUIRED_FOR_MONEY = env.bool("TILAB_MFA_REQUIRED_FOR_MONEY", default=not DEBUG)
# A money decision needs the second factor presented in this session at most this many seconds
# ago; older, the page asks for the code again (tilab.permissions.second_factor_fresh).
TILAB_STEP_UP_MAX_AGE = env.int("TILAB_STEP_UP_MAX_AGE", default=15 * 60)
# Personal API tokens live this many days (shown at creation and in the list).
TILAB_API_TOKEN_DAYS = env.int("TILAB_API_TOKEN_DAYS", default=90)
# How long what is only a copy is kept (housekeeping, at night): e-mails once sent, staff
# exports once built, uploaded spreadsheets once imported or left unimported.
TILAB_OUTBOX_RETENTION_DAYS = env.int("TILAB_OUTBOX_RETENTION_DAYS", default=30)
TILAB_EXPORT_RETENTION_DAYS = env.int("TILAB_EXPORT_RETENTION_DAYS", default=7)
TILAB_UPLOAD_RETENTION_DAYS = env.int("TILAB_UPLOAD_RETENTION_DAYS", default=30)

# A guest's workshop registration waits this long for its confirmation link to be followed;
# then it is forgotten (housekeeping) and the person registers again.
TILAB_WORKSHOP_CONFIRM_HOURS = env.int("TILAB_WORKSHOP_CONFIRM_HOURS", default=48)

# A payee's new bank details stay out of transfer files for this many days after a change,
# unless a second person confirms them sooner (the relay's own paying account: only a Région
# staffer's confirmation releases it). The payee and the relay are e-mailed at once.
TILAB_IBAN_HOLD_DAYS = env.int("TILAB_IBAN_HOLD_DAYS", default=3)

# Anomaly flags on the recap before a money approval (subsidies/anomalies.py): a maker without
# an account above FACTOR times the median of the other payees, or at or above PERCENT % of the
# programme's envelope; bank details set or changed within DAYS days of the approval.
TILAB_ANOMALY_OUTLIER_MEDIAN_FACTOR = env.int("TILAB_ANOMALY_OUTLIER_MEDIAN_FACTOR", default=10)
TILAB_ANOMALY_OUTLIER_ENVELOPE_PERCENT = env.int(
    "TILAB_ANOMALY_OUTLIER_ENVELOPE_PERCENT", default=10
)
TILAB_ANOMALY_BANK_CHANGE_DAYS = env.int("TILAB_ANOMALY_BANK_CHANGE_DAYS", default=30)

# Four eyes on production reports (makers/selectors.py, `decision_route`). Nobody decides on a
# report they made, entered, imported or last changed. Reports made for a relay's own
# organisation, or made by one of its staff, are decided by the Région ("region"), or by another
# member of the relay's team ("relay"); so are reports a relay staffer entered or imported for
# someone else (TILAB_FOUR_EYES_STAFF_ENTRIES). Whatever the setting, a relay with nobody else
# left to decide sends the report to the Région.
_FOUR_EYES_DECIDERS = ("region", "relay")
TILAB_FOUR_EYES_OWN_ORGANISATION = env.str("TILAB_FOUR_EYES_OWN_ORGANISATION", default="region")
TILAB_FOUR_EYES_STAFF_ENTRIES = env.str("TILAB_FOUR_EYES_STAFF_ENTRIES", default="region")
for _name in ("TILAB_FOUR_EYES_OWN_ORGANISATION", "TILAB_FOUR_EYES_STAFF_ENTRIES"):
    if vars()[_name] not in _FOUR_EYES_DECIDERS:
        raise environ.ImproperlyConfigured(f"{_name} must be one of {_FOUR_EYES_DECIDERS}")

# Likely double counts (makers/selectors.py, "Likely double counts"): in 2020 the same visors were
# counted by the maker, the FabLab that collected them and the collection point's sheet. Two
# reports of the same item produced at most this many days apart are compared; the queue and
# the import preview flag them when they tell the same count or one contains the other.
TILAB_DOUBLE_COUNT_DAYS = env.int("TILAB_DOUBLE_COUNT_DAYS", default=3)

# A need posted for an address that is not the poster's own sends it a confirmation link: one
# address gets at most this many such e-mails in 24 hours, whoever posts them (0: no limit).
# Posting itself is limited per account and per address (THROTTLE_RATES, "needs_post*").
TILAB_NEEDS_CONFIRMATIONS_PER_ADDRESS = env.int("TILAB_NEEDS_CONFIRMATIONS_PER_ADDRESS", default=3)
# A need's management link keeps opening this many days after the need closed, a delivery's
# confirmation link this many days after the delivery was recorded (needs/services.py).
TILAB_NEED_LINK_DAYS_AFTER_CLOSE = env.int("TILAB_NEED_LINK_DAYS_AFTER_CLOSE", default=28)

# Small-count suppression (figures/selectors.py, `production_totals`): every public figure (the
# figures page, the home page, the API for the public, the open data) leaves out each weekly
# total made by fewer distinct makers than this, so that no one producer's output or declared
# costs can be read there or worked out by subtracting two public numbers. Staff pages keep
# the exact figures.
TILAB_PUBLIC_MIN_PRODUCERS = env.int("TILAB_PUBLIC_MIN_PRODUCERS", default=3)
if TILAB_PUBLIC_MIN_PRODUCERS < 1:
    raise environ.ImproperlyConfigured("TILAB_PUBLIC_MIN_PRODUCERS must be 1 or more.")

# Who issues the attestations of participation, and where: printed in their issuer block.
TILAB_ATTESTATION_ISSUER = env(
    "TILAB_ATTESTATION_ISSUER",
    default="Ti Lab, laboratoire d'innovation publique de la Région Bretagne et de l'État",
)
TILAB_ATTESTATION_PLACE = env("TILAB_ATTESTATION_PLACE", default="Rennes")

SESSION_COOKIE_AGE = int(timedelta(hours=12).total_seconds())
# A signed-in page warns this many seconds before the session ends, and offers to extend it.
TILAB_SESSION_WARNING_SECONDS = env.int("TILAB_SESSION_WARNING_SECONDS", default=5 * 60)

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Ti Lab <ne-pas-repondre@tilab.bzh>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds an SMTP connection may hang before a send fails (and is retried from the outbox);
# only the worker talks to the mail server, never a request.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Languages and time -----------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [tilab_site.LOCALE_DIR]
# dates per language and per context (a sentence, a table): config/formats/__init__.py
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
# Where collectstatic writes and whitenoise serves from (the image sets /app/staticfiles).
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [tilab_site.STATIC_DIR]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
WHITENOISE_USE_FINDERS = DEBUG

# --- Abuse limits -----------------------------------------------------------------------------
# The client's address, for every limit: production sits behind one TLS-terminating reverse
# proxy that appends the client to X-Forwarded-For, so the last entry is the one to trust. Set
# the number of proxies you run (0 when gunicorn faces the Internet), or the header a proxy
# sets with the client's address alone (X-Real-IP, CF-Connecting-IP).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0 if DEBUG else 1)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env("TRUSTED_CLIENT_IP_HEADER", default=None)


def _origins_of(url: str) -> list[str]:
    """The origin of `url` and PROCONNECT_ORIGINS (none while ProConnect is off)."""
    if not url:
        return []
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}", *PROCONNECT_ORIGINS]


def _rate(name: str, default: str) -> str | None:
    """A rate from the environment; "off" lifts the limit (a load test, say)."""
    value = env(name, default=default).strip()
    return None if value.lower() in {"", "off", "none"} else value


# Scope → rate, read per request by tilab/throttling.py (API and pages alike).
THROTTLE_RATES = {
    # API callers without an account, per address: the public figures, agenda and directory.
    "anon": _rate("API_THROTTLE_ANON", "60/minute"),
    # API callers with an account (session or token), per account: a program paging through
    # a relay's reports at 50 a page stays far below.
    "user": _rate("API_THROTTLE_USER", "600/minute"),
    # Every API write on top of the above, per account.
    "write": _rate("API_THROTTLE_WRITE", "120/minute"),
    # Spreadsheet imports (preview or apply), per account: each parses up to 5 MB.
    "import": _rate("API_THROTTLE_IMPORT", "30/hour"),
    # Without an account, per address, page and API together: registering to a workshop or
    # cancelling by link, posting a need or confirming a delivery send e-mail to any address
    # typed in; the attestation check is a code worth guessing.
    "workshop_guest": _rate("THROTTLE_WORKSHOP_GUEST", "30/hour"),
    "needs_establishment": _rate("THROTTLE_NEEDS_ESTABLISHMENT", "30/hour"),
    # Posting a need e-mails the address typed in, whoever posts: per account (per address
    # without one), and per address whoever is signed in there.
    "needs_post": _rate("THROTTLE_NEEDS_POST", "10/hour"),
    "needs_post_address": _rate("THROTTLE_NEEDS_POST_ADDRESS", "20/hour"),
    "attestation_check": _rate("THROTTLE_ATTESTATION_CHECK", "30/10m"),
    # Wrong passwords for one account from every address together (tilab.adapters): four
    # times what one address may try (ACCOUNT_RATE_LIMITS), so no single address locks it.
    "login_failed_account": _rate("THROTTLE_LOGIN_FAILED_ACCOUNT", "20/5m"),
}

# Uploads: the spreadsheet import is the only one, 5 MB at most (makers/importing/reading.py). Bytes
# beyond the cap are not kept (tilab/uploads.py); up to it they stay in memory.
FILE_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = FILE_UPLOAD_MAX_BYTES
FILE_UPLOAD_HANDLERS = [
    "tilab.uploads.SizeCapUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_NUMBER_FILES = 5

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its challenge makes a missing or bad token answer 401, not 403.
        # knox's, with the token's scope (tilab.authentication).
        "tilab.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Each view declares the permission it needs (`permission`, `permissions_by_action`);
    # this class enforces it, and refuses a view that declares none.
    "DEFAULT_PERMISSION_CLASSES": ["tilab.permissions.DeclaredPermission"],
    # Programs send JSON; only the spreadsheet import reads a file upload (multipart, its own
    # parsers). Form bodies would be one more shape for every write in the schema and clients.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "tilab.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # drf-spectacular's, plus the answers every endpoint shares (400, 401, 403, 404, 429).
    "DEFAULT_SCHEMA_CLASS": "tilab.schema.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "DEFAULT_THROTTLE_CLASSES": [
        "tilab.throttling.AnonThrottle",
        "tilab.throttling.UserThrottle",
        "tilab.throttling.WriteThrottle",
    ],
    "EXCEPTION_HANDLER": "tilab.api_errors.exception_handler",
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=TILAB_API_TOKEN_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ti Lab API",
    "DESCRIPTION": (
        "API of the Ti Lab network platform. Authenticate with your browser session or with a "
        "personal token (`Authorization: Token <token>`), created on your token page."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status`: the payment batches' are named for what they are.
    "ENUM_NAME_OVERRIDES": {
        "PaymentBatchStatusEnum": "subsidies.models.PaymentBatch.Status",
        "PaymentBatchLineStatusEnum": "subsidies.models.PaymentBatchLine.Status",
        "WebhookEventEnum": "webhooks.models.Event",
        "WebhookDeliveryStatusEnum": "webhooks.models.WebhookDelivery.Status",
        "NoticeDeliveryEnum": "tilab.models.NoticePreference.Delivery",
    },
    # The default enum hook, named enums for query parameters, numeric path parameters as
    # integers, the error codes, then OpenAPI links from answers to the requests they feed.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tilab.schema.parameter_enums_named",
        "tilab.schema.path_ids_integer",
        "tilab.schema.error_codes_listed",
        "config.schema.links_add",
    ],
}

# --- Celery -----------------------------------------------------------------------------------
# No broker configured: tasks run eagerly, in-process, in the caller's thread.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 10 * 60
# Our tasks are idempotent: acknowledge after running so a killed worker's task runs again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A dead broker must never hang a request: connect and publish fail fast, the caller keeps
# its own record of the work (dirty rows) and a beat schedule catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
}
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
}
# Work is recorded in the database; a task's return value is only kept when asked for.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE: dict = {
    # E-mails of the outbox a dead broker never handed over, or a mail server refused.
    "outbox-emails-send-due": {
        "task": "tilab.outbox_emails_send_due",
        "schedule": timedelta(minutes=1),
    },
    # Heals lost messages: whatever is still dirty is recomputed within a minute.
    "production-totals-drain": {
        "task": "figures.production_totals_drain",
        "schedule": timedelta(minutes=1),
    },
    # Staff exports a lost message or a dead broker left waiting are queued again.
    "production-exports-requeue": {
        "task": "figures.production_exports_requeue",
        "schedule": timedelta(minutes=2),
    },
    # Rebuilds every total from the reports at night and logs any drift it fixes.
    "production-totals-rebuild": {
        "task": "figures.production_totals_rebuild",
        "schedule": crontab(hour=3, minute=30),
    },
    # Facilitators' messages a lost task message or a dead broker left undelivered.
    "workshop-messages-requeue": {
        "task": "workshops.workshop_messages_requeue",
        "schedule": timedelta(minutes=5),
    },
    # Reminders of tomorrow's workshops, every quarter of an hour from 8:00 to 20:45 (Paris):
    # nobody gets one at midnight, and a late registration still gets its own the same day.
    "workshop-reminders-send": {
        "task": "workshops.workshop_reminders_send",
        "schedule": crontab(minute="*/15", hour="8-20"),
    },
    # Housekeeping, at night: ended sessions and e-mails sent long ago; export files and
    # uploaded spreadsheets past their retention (TILAB_*_RETENTION_DAYS).
    "housekeeping": {"task": "tilab.housekeeping", "schedule": crontab(hour=4, minute=10)},
    "production-exports-expire": {
        "task": "figures.production_exports_expire",
        "schedule": crontab(hour=4, minute=20),
    },
    "production-imports-prune": {
        "task": "makers.production_imports_prune",
        "schedule": crontab(hour=4, minute=30),
    },
    "pending-registrations-prune": {
        "task": "workshops.pending_registrations_prune",
        "schedule": crontab(hour=4, minute=40),
    },
    # Webhook deliveries whose back-off is over, or that a dead broker never handed over.
    "webhook-deliveries-send-due": {
        "task": "webhooks.webhook_deliveries_send_due",
        "schedule": timedelta(minutes=1),
    },
    # Needs whose date has passed leave the board (idempotent; hourly is soon enough).
    "needs-close-due": {
        "task": "needs.needs_close_due",
        "schedule": crontab(minute=5),
    },
    # Each person's daily digest of notices and of what waits for them, at 7:00 (Paris).
    "notice-digests-send": {
        "task": "accounts.notice_digests_send",
        "schedule": crontab(hour=7, minute=0),
    },
}

# --- Webhooks (webhooks/, tilab/webhooks.py) ----------------------------------------------------
# http:// only to this machine, and any address (the platform's own network too), in the demo
# alone: in production a webhook goes over https to a public address, checked at registration
# and again before each attempt.
TILAB_WEBHOOK_HTTP_TO_LOCALHOST = env.bool("TILAB_WEBHOOK_HTTP_TO_LOCALHOST", default=DEBUG)
TILAB_WEBHOOK_PRIVATE_ADDRESSES = env.bool("TILAB_WEBHOOK_PRIVATE_ADDRESSES", default=DEBUG)
# Seconds one attempt may take to connect, and again to answer: a slow receiver costs the
# worker this much, never a request.
TILAB_WEBHOOK_TIMEOUT = env.float("TILAB_WEBHOOK_TIMEOUT", default=5.0)
# Attempts of one delivery before it is given up (back-off from a minute, doubling, capped at
# six hours: eight attempts span about two hours); a person may replay it.
TILAB_WEBHOOK_MAX_ATTEMPTS = env.int("TILAB_WEBHOOK_MAX_ATTEMPTS", default=8)
# Failures in a row, across deliveries, after which an endpoint is turned off (its owner told).
TILAB_WEBHOOK_FAILURES_BEFORE_DISABLE = env.int("TILAB_WEBHOOK_FAILURES_BEFORE_DISABLE", default=15)
# How long a rotated secret keeps signing beside the new one.
TILAB_WEBHOOK_SECRET_GRACE_HOURS = env.int("TILAB_WEBHOOK_SECRET_GRACE_HOURS", default=24)

# --- Security (production) --------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Only files of our own: no inline script or style (htmx's indicator style is turned off in
# base.html), nothing framed, forms posted only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: for the small SVG icons Swagger UI's stylesheet carries.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # ProConnect's login and logout buttons post here, then redirect to ProConnect's
        # pages: browsers hold that redirect to form-action too.
        "form-action": [SELF, *_origins_of(PROCONNECT_DISCOVERY_URL)],
        "frame-ancestors": [NONE],
    }
}
# Browser features no page uses, switched off for the pages and anything they embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
}
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    # Liveness and readiness probes come from inside the cluster, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^health/$"]

# --- Logging ----------------------------------------------------------------------------------
# One line per record, times in UTC: JSON in production (LOG_FORMAT=json, the default with DEBUG
# off) for a log collector, plain text in the demo. The client's address is in the access log
# (config/gunicorn.py), not in the application's records.
LOG_FORMAT = env("LOG_FORMAT", default="plain" if DEBUG else "json")
# Python's warnings (a library's deprecation, say) become records of the same form.
logging.captureWarnings(True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": LOG_FORMATTERS,
    "filters": {"forbidden_in_one_line": {"()": "tilab.log_filters.ForbiddenInOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Declared so that Django's own handlers go (its console one, with DEBUG on, wrote
        # every record a second time beside the root's; its mail one has no ADMINS to write
        # to): each record is written once, by the root's handler.
        "django": {"level": "INFO"},
        "django.request": {"filters": ["forbidden_in_one_line"]},
        "django.security.csrf": {"filters": ["forbidden_in_one_line"]},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Error reporting (optional) ----------------------------------------------------------------
# With a DSN (Sentry, or a self-hosted GlitchTip), unexpected errors of the pages and the worker
# are reported there, without personal data (no addresses, cookies or bodies).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        send_default_pii=False,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
