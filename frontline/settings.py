"""Settings: everything from environment variables, with embedded defaults.

With no environment at all Frontline runs on SQLite (WAL mode) and keeps its
database, uploaded files, cache and generated secret key under ``var/``.
``DATABASE_URL=postgres://...`` switches to PostgreSQL with no code change.
"""

import contextlib
import datetime
import importlib.util
import os
import secrets
import stat
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("FRONTLINE_VAR", BASE_DIR.parent / "var")).resolve()
# Everything Frontline writes here (the SQLite database, uploads, the file outbox,
# the cache, the secret key) is for its own user only: the entry points (manage.py,
# wsgi.py) set umask 077, and the folder itself is closed, so that files made
# before (under umask 022, still 0644) cannot be reached through it either.
VAR_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
# A shared folder with the sticky bit (/tmp, pointed at by a benchmark's --db)
# is everyone's: closing it would lock every other user and service out.
if not VAR_DIR.stat().st_mode & stat.S_ISVTX:
    with contextlib.suppress(PermissionError):  # not ours: the deployment decides
        VAR_DIR.chmod(0o700)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Older keys, comma-separated, still accepted while sessions, links and stored
# secrets move to the new one (see docs/security.md, "Rotating the key").
SECRET_KEY_FALLBACKS = [k for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k]
# The key stored secrets (IMAP passwords) are sealed with; empty: derived from
# SECRET_KEY. Set it to rotate SECRET_KEY without touching them, or the reverse.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")
FIELD_ENCRYPTION_KEY_FALLBACKS = [
    k for k in os.environ.get("FIELD_ENCRYPTION_KEY_FALLBACKS", "").split(",") if k
]
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# django-ninja's templates and static files serve /api/v1/docs with no CDN. They
# are found by path (api/api.py renders the page): listed as an app, "ninja" would
# be imported with pydantic and django.test by every command and worker at start,
# 0.14 s of CPU each, though only the web server serves the API.
_NINJA = Path(importlib.util.find_spec("ninja").origin).parent  # type: ignore[union-attr, arg-type]

INSTALLED_APPS = [
    # The admin asks for a second factor (accounts/admin_site.py).
    "frontline.accounts.admin_apps.FrontlineAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_htmx",
    "django_tasks_db",
    "frontline.accounts",
    "frontline.tickets",
    "frontline.routing",
    "frontline.sla",
    "frontline.knowledge",
    "frontline.reports",
    "frontline.search",
    "frontline.mail",
    "frontline.desk",
    "frontline.portal",
    "frontline.api",
    "frontline.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "frontline.accounts.middleware.signed_in_pages_not_stored",
    "frontline.accounts.middleware.StaffIdleTimeoutMiddleware",
    "frontline.accounts.middleware.StaffSignOnOnlyMiddleware",
    "frontline.accounts.middleware.SecondFactorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "frontline.urls"
WSGI_APPLICATION = "frontline.wsgi.application"

# Plain inputs and text areas built in Python, the same HTML (lib/widgets.py).
FORM_RENDERER = "frontline.lib.widgets.FormRenderer"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates", _NINJA / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "frontline.accounts.branding.brand",
            ],
            # {% field_row %} everywhere without {% load %}: see frontline/lib/form_rows.py
            "builtins": ["frontline.lib.form_rows"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'frontline.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # Tests get a file too, not SQLite's shared in-memory database, whose table
    # locks fail at once where a file's would wait (tests with threads).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed sign-ins (django-axes): after LOGIN_FAILURE_LIMIT failures for one account
# (from anywhere) or from one address (for any account), every login form, the
# admin's included, answers "paused" for LOGIN_LOCKOUT_MINUTES, counted again from
# each new try. Every failure is kept (AccessFailureLog, in the admin), with
# whether it was locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Answers only the sign-on callback (a code and a state), and only when it is on.
    "frontline.accounts.single_sign_on.SingleSignOnBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "frontline.accounts.lockout.username_tried"
AXES_LOCKOUT_CALLABLE = "frontline.accounts.lockout.locked_out"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# No banner from every process at start (the lockouts and their log are unchanged).
AXES_VERBOSE = False
# Single sign-on (OpenID Connect, mozilla-django-oidc; frontline/accounts/single_sign_on.py).
# Off unless OIDC_ISSUER and OIDC_CLIENT_ID are set. The endpoints are read from the
# issuer's discovery document at first use unless given here. Who may sign in this
# way, and which role and teams they get, is in docs/security.md ("Single sign-on").
OIDC_OP_ISSUER = os.environ.get("OIDC_ISSUER", "").rstrip("/")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_JWKS_ENDPOINT", "")
# Signing out here also signs out at the provider when it has this endpoint (its
# discovery document's end_session_endpoint, unless given here): RP-initiated logout.
OIDC_OP_END_SESSION_ENDPOINT = os.environ.get("OIDC_END_SESSION_ENDPOINT", "")
OIDC_OP_LOGOUT_URL_METHOD = "frontline.accounts.single_sign_on.provider_logout_url"
# Kept in the session for the logout's id_token_hint (only the token the provider
# signed for this desk; the access token is not kept).
OIDC_STORE_ID_TOKEN = True
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "sso_callback"
OIDC_BUTTON_LABEL = os.environ.get("OIDC_BUTTON_LABEL", "")
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
# "admin=it-admins;supervisor=support-leads;agent=support,helpdesk": the role of
# whoever is in one of these groups (the highest wins), set at every sign-in.
OIDC_ROLE_GROUPS = os.environ.get("OIDC_ROLE_GROUPS", "")
# "First line=support-l1;Second line=support-l2": membership of these teams follows
# the groups at every sign-in (teams not named here are left alone).
OIDC_TEAM_GROUPS = os.environ.get("OIDC_TEAM_GROUPS", "")
# Customers may sign in (and get an account) through the sign-on service too.
OIDC_CUSTOMERS = env_bool("OIDC_CUSTOMERS", False)
# The name authenticator apps show beside the code.
OTP_TOTP_ISSUER = os.environ.get("SITE_NAME", "Frontline Support")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    # Shared by every web process on the machine (presence on the ticket page).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Background tasks: the database backend (django-tasks-db, run by `frontline
# db_worker`) needs nothing more; with REDIS_URL they go to Redis and run on RQ
# workers (django-tasks-rq, `frontline rqworker`) on any number of machines.
# TASK_BACKEND=db|rq forces either.
TASK_BACKEND = os.environ.get("TASK_BACKEND") or ("rq" if REDIS_URL else "db")
if TASK_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASK_BACKEND=rq needs REDIS_URL.")
    INSTALLED_APPS.append("django_rq")
    # Every task runs on the default queue; a task may run for up to an hour.
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASK_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    raise ImproperlyConfigured(f"TASK_BACKEND must be db or rq, not {TASK_BACKEND!r}.")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("zh-hans", _("Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static", _NINJA / "static"]
_HTMX_DIST = BASE_DIR.parent / "node_modules" / "htmx.org" / "dist"
if _HTMX_DIST.exists():
    STATICFILES_DIRS.append(("vendor/htmx", _HTMX_DIST))
_CHARTJS_DIST = BASE_DIR.parent / "node_modules" / "chart.js" / "dist"
if _CHARTJS_DIST.exists():
    STATICFILES_DIRS.append(("vendor/chartjs", _CHARTJS_DIST))
# Static files are served by WhiteNoise straight from the finders: no collectstatic step.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: attachments go through a permission check
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Files on many machines: with S3_BUCKET set, attachments (and raw mail, see
# RAW_MAIL_IN_FILES) go to an S3-compatible bucket through django-storages, so
# every machine sees the same files. Private objects; downloads still go
# through the access-checked views, never a public URL.
S3_BUCKET = os.environ.get("S3_BUCKET", "")
if S3_BUCKET:
    _s3_endpoint = os.environ.get("S3_ENDPOINT_URL") or None
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": _s3_endpoint,
            # Unset: boto3's own chain (AWS_ACCESS_KEY_ID, an instance role, ...).
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "location": os.environ.get("S3_PREFIX", ""),
            # MinIO, Ceph and most S3-compatible servers want bucket names in the path.
            "addressing_style": os.environ.get("S3_ADDRESSING_STYLE")
            or ("path" if _s3_endpoint else None),
            "default_acl": None,
            "querystring_auth": True,
        },
    }

# Security: secure cookies and HSTS are for deployments behind HTTPS.
SECURE = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# Signing out of a session that signed on redirects from the sign-out form to the
# provider's end-session endpoint, and form-action governs that redirect too.
_SIGN_ON_ORIGINS = sorted(
    {_origin(u) for u in (OIDC_OP_ISSUER, OIDC_OP_END_SESSION_ENDPOINT) if _origin(u)}
)
# Content-Security-Policy on every response: scripts and styles only from our own
# static files (no inline script, no eval: the last barrier if hostile mail HTML
# ever got past the sanitiser). Style *attributes* are allowed because sanitised
# mail keeps a short list of harmless properties (colours, fonts, spacing; nothing
# that loads a URL, see lib/email_html.py); <style> elements stay forbidden.
# Images: ours, inline data: images in mail, and remote https images an agent
# chose to load.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "https:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF, *_SIGN_ON_ORIGINS],
    "frame-ancestors": [CSP.NONE],
}

if SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)


class FrontlineSettings(TypedDict):
    """The keys of ``FRONTLINE`` and their types."""

    MAX_UPLOAD_BYTES: int
    MAX_MESSAGE_BYTES: int
    MAX_FILES_PER_MESSAGE: int
    MAX_BODY_CHARS: int
    RESOLVED_QUIET_DAYS: int
    REQUESTER_REOPEN_DAYS: int
    PRESENCE_SECONDS: int
    SITE_NAME: str
    MAIL_MAX_ATTEMPTS: int
    AUTO_REPLIES_PER_HOUR: int
    ACCOUNT_MAILS_PER_HOUR: int
    ACCOUNT_LINK_DAYS: int
    ANSWERS_LINK_DAYS: int
    AGENTS_SEE_ALL_CUSTOMERS: bool
    ACCOUNT_FORMS_PER_HOUR: int
    STAFF_IDLE_HOURS: float
    OUTBOX_KEEPS_LINKS: bool
    STAFF_SECOND_FACTOR: bool
    STAFF_SIGN_ON_ONLY: bool
    STAFF_SIGN_ON_HOURS: float
    TASK_RESULTS_DAYS: int
    SURVEY_DAYS: int
    WEBHOOK_TIMEOUT_SECONDS: int
    WEBHOOK_RETRY_HOURS: int
    WEBHOOK_DISABLE_AFTER_HOURS: int
    WEBHOOK_ALLOW_PRIVATE: bool
    API_REQUESTS_PER_MINUTE: int
    KB_REVIEW_DAYS: int
    KB_DEFLECTION_HOURS: int
    RAW_MAIL_IN_FILES: bool


# Who reacts to which ticket event (frontline/reactions.py): found through this
# setting so that the ticket core imports none of the apps that react to it.
FRONTLINE_REACTIONS = "frontline.reactions.REACTIONS"
FRONTLINE_ACCOUNT_REACTIONS = "frontline.reactions.ACCOUNT_REACTIONS"
FRONTLINE_REPLY_REVIEW = "frontline.reactions.REPLY_REVIEWERS"
FRONTLINE_HOLD_FOR_REVIEW = "frontline.reactions.HOLD_FOR_REVIEW"

# Help-desk behaviour set per deployment.
FRONTLINE: FrontlineSettings = {
    # Largest file one upload may carry, in bytes.
    "MAX_UPLOAD_BYTES": env_int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
    # Largest email accepted by the IMAP and SMTP/LMTP transports, in bytes.
    "MAX_MESSAGE_BYTES": env_int("MAX_MESSAGE_BYTES", 25 * 1024 * 1024),
    # Files per message.
    "MAX_FILES_PER_MESSAGE": env_int("MAX_FILES_PER_MESSAGE", 10),
    # Longest text of one message (reply, note, request, call summary), in
    # characters. Typed text over it is refused with a message; mail over it is
    # kept whole as an attached message.txt beside the shortened text.
    "MAX_BODY_CHARS": env_int("MAX_BODY_CHARS", 100_000),
    # A resolved ticket closes after this many days without a customer answer.
    "RESOLVED_QUIET_DAYS": env_int("RESOLVED_QUIET_DAYS", 7),
    # A requester may reopen a closed ticket within this many days of closing.
    "REQUESTER_REOPEN_DAYS": env_int("REQUESTER_REOPEN_DAYS", 14),
    # Seconds an agent counts as "on the ticket" after the last presence ping.
    "PRESENCE_SECONDS": env_int("PRESENCE_SECONDS", 20),
    # The name of the service in mail and page titles.
    "SITE_NAME": os.environ.get("SITE_NAME", "Frontline Support"),
    # Attempts to send one message before it is marked failed on its ticket.
    "MAIL_MAX_ATTEMPTS": env_int("MAIL_MAX_ATTEMPTS", 5),
    # Automatic replies ("we received your request") per address and hour.
    "AUTO_REPLIES_PER_HOUR": env_int("AUTO_REPLIES_PER_HOUR", 5),
    # Address-confirmation and password mails per address and hour.
    "ACCOUNT_MAILS_PER_HOUR": env_int("ACCOUNT_MAILS_PER_HOUR", 3),
    # Days an address confirmation or password link stays valid.
    "ACCOUNT_LINK_DAYS": env_int("ACCOUNT_LINK_DAYS", 3),
    # Days the signed link in an acknowledgement lets a customer answer the
    # form questions their mail left open (no sign-in needed).
    "ANSWERS_LINK_DAYS": env_int("ANSWERS_LINK_DAYS", 14),
    # Whether agents see every contact and organisation page in the desk; by
    # default only those with a ticket the agent may see (supervisors: all).
    "AGENTS_SEE_ALL_CUSTOMERS": env_bool("AGENTS_SEE_ALL_CUSTOMERS", False),
    # Sign-ups and "forgot your password" posts per client address and hour.
    "ACCOUNT_FORMS_PER_HOUR": env_int("ACCOUNT_FORMS_PER_HOUR", 10),
    # Staff are signed out after this many hours without a request of their own.
    "STAFF_IDLE_HOURS": float(os.environ.get("STAFF_IDLE_HOURS") or 8),
    # Development only: the file outbox (var/outbox) keeps password and
    # confirmation links, so they can be followed without a mail server.
    "OUTBOX_KEEPS_LINKS": env_bool("OUTBOX_KEEPS_LINKS", False),
    # Staff must sign in with a second factor (an authenticator app); the Django
    # admin always asks for one, and so does every sign-in of whoever set one up.
    "STAFF_SECOND_FACTOR": env_bool("STAFF_SECOND_FACTOR", False),
    # With single sign-on on: staff sign in only through it (their password and
    # passkeys are refused, other staff sessions end), and go back through the
    # provider this many hours after signing on, so that someone removed there
    # loses the desk within that time, not when an admin deactivates them here.
    "STAFF_SIGN_ON_ONLY": env_bool("STAFF_SIGN_ON_ONLY", False),
    "STAFF_SIGN_ON_HOURS": float(os.environ.get("STAFF_SIGN_ON_HOURS") or 8),
    # Days the records of finished background tasks are kept (failed ones stay).
    "TASK_RESULTS_DAYS": env_int("TASK_RESULTS_DAYS", 7),
    # Days a satisfaction survey link can be answered (and the answer changed).
    "SURVEY_DAYS": env_int("SURVEY_DAYS", 14),
    # Seconds a webhook receiver has to answer before the try counts as failed.
    "WEBHOOK_TIMEOUT_SECONDS": env_int("WEBHOOK_TIMEOUT_SECONDS", 5),
    # Hours a webhook delivery is retried (with growing waits) before it fails.
    "WEBHOOK_RETRY_HOURS": env_int("WEBHOOK_RETRY_HOURS", 25),
    # A subscription whose deliveries fail for this many hours is disabled.
    "WEBHOOK_DISABLE_AFTER_HOURS": env_int("WEBHOOK_DISABLE_AFTER_HOURS", 24),
    # Allow webhooks to loopback, link-local and private addresses (off: no SSRF).
    "WEBHOOK_ALLOW_PRIVATE": env_bool("WEBHOOK_ALLOW_PRIVATE", False),
    # Requests a minute one API token (or one signed-in person) may make; 0: no limit.
    "API_REQUESTS_PER_MINUTE": env_int("API_REQUESTS_PER_MINUTE", 600),
    # Days after a review (or first publication) that a knowledge-base article is due
    # another one.
    "KB_REVIEW_DAYS": env_int("KB_REVIEW_DAYS", 180),
    # Hours after opening a suggested article within which a customer's new request
    # means it did not answer them; a read with no request after that is a deflection.
    "KB_DEFLECTION_HOURS": env_int("KB_DEFLECTION_HOURS", 24),
    # Raw received mail kept in files of the default storage (compressed, one
    # object per message) instead of in the database: on by default with
    # S3_BUCKET, so the database stays small on a site with much mail.
    "RAW_MAIL_IN_FILES": env_bool("RAW_MAIL_IN_FILES", bool(S3_BUCKET)),
}

# Outgoing mail: SMTP when EMAIL_HOST is set, else written to files under var/outbox
# (the embedded default sends nothing over the network).
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "support@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("EMAIL_HOST"):
    _email_port = env_int("EMAIL_PORT", 587)
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": _email_port,
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", _email_port == 587),
                "use_ssl": env_bool("EMAIL_USE_SSL", _email_port == 465),
                "timeout": env_int("EMAIL_TIMEOUT", 30),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "frontline.mail.filebox.RedactingFileBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "outbox")},
        }
    }
# Fetching mail: a PEM file of CA certificates trusted for IMAP besides the system's
# (a company's private CA).
MAIL_CA_FILE = os.environ.get("MAIL_CA_FILE", "")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
# Every task's start and end (two lines each, several a second while the worker
# catches up) buried the demo logins `make run` prints; a failed task is still
# logged (ERROR), and LOG_LEVEL=DEBUG shows them all again.
TASK_LOG_LEVEL = "DEBUG" if LOG_LEVEL == "DEBUG" else "WARNING"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.tasks": {"level": TASK_LOG_LEVEL},
        "django_tasks": {"level": TASK_LOG_LEVEL},
    },
}
