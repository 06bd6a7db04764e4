"""Django settings. Every value an operator may change comes from the environment."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent
DATA_DIR = Path(os.environ.get("STADTKASSE_DATA_DIR", REPO_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Read SECRET_KEY from the environment, else from a key file made once in DATA_DIR."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# The demo turns on the dev tree: the demo e-payment platform page.
DEMO = _env_bool("STADTKASSE_DEMO", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "stadtkasse.core",
    "stadtkasse.catalog",
    "stadtkasse.orders",
    "stadtkasse.payments",
    "stadtkasse.banking",
    "stadtkasse.sepa",
    "stadtkasse.terminals",
    "stadtkasse.paylinks",
    "stadtkasse.xbezahldienste",
    "stadtkasse.portal",
    "stadtkasse.counter",
    "stadtkasse.backoffice",
    "stadtkasse.api",
]
if DEMO:
    INSTALLED_APPS.append("stadtkasse_dev.epay")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "stadtkasse.core.middleware.MunicipalityMiddleware",
    "stadtkasse.core.middleware.SecurityHeadersMiddleware",
    # Last, as django-axes requires, because it replaces the response of a locked-out login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "stadtkasse.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGE_CODE for the lang attribute of each page's <html> element.
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stadtkasse.core.context_processors.municipality",
            ],
        },
    },
]

WSGI_APPLICATION = "stadtkasse.wsgi.application"

# SQLite is the embedded default. WAL lets readers run beside the one writer, the busy
# timeout makes a second writer wait instead of failing, and IMMEDIATE transactions take
# the write lock at BEGIN so that a read-then-write transaction cannot deadlock.
SQLITE_PATH = DATA_DIR / "stadtkasse.sqlite3"
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Prepare a statement on the server after its fifth run on a connection, so that
        # PostgreSQL stops parsing and planning it each time. Django sets no threshold by
        # default, which turns preparing off. DATABASE_SERVER_SIDE_BINDING=0 turns both
        # off for a pooler without prepared statements (PgBouncer before 1.21).
        if os.environ.get("DATABASE_SERVER_SIDE_BINDING", "1") != "0":
            DATABASES["default"].setdefault("OPTIONS", {}).update(
                server_side_binding=True, prepare_threshold=5
            )
else:
    DATABASES = {
        "default": {
            "ENGINE": "stadtkasse.core.sqlite",
            "NAME": SQLITE_PATH,
            # Keep each server thread's connection, so that a request does not open the
            # file and run the PRAGMAs below again.
            "CONN_MAX_AGE": int(os.environ.get("CONN_MAX_AGE", "60")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"

# Failed logins are counted per user name and client address by django-axes, in the
# database, so that all server processes share the count. After LOGIN_FAILURE_LIMIT
# failures that pair is locked for LOGIN_LOCKOUT_MINUTES, and a successful login resets
# the count. Behind a proxy all clients share the proxy's address, so the lock then
# applies to the user name.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "stadtkasse.core.auth.lockout_response"
AXES_VERBOSE = False

LANGUAGE_CODE = "de"
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
# Each app keeps its German translations in its own locale/de folder.
USE_I18N = True
TIME_ZONE = "Europe/Berlin"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "stadtkasse@musterstadt.example")
# Public address of the portal, for links in e-mails that jobs send outside a request.
PORTAL_URL = os.environ.get("PORTAL_URL", "")

SESSION_ENGINE = "stadtkasse.core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if _env_bool("BEHIND_TLS_PROXY", False) else None
)

# Minutes a portal order waits for its payment before it expires.
ORDER_PAYMENT_MINUTES = int(os.environ.get("STADTKASSE_ORDER_PAYMENT_MINUTES", "30"))
# Shared secret between Stadtkasse and the demo e-payment platform.
DEMO_EPAY_SECRET = os.environ.get("DEMO_EPAY_SECRET", SECRET_KEY + ":demo-epay")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "stadtkasse.core.log_format.IsoTimeFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Address of the demo e-payment platform page (dev tree), used only when DEMO is on.
DEMO_EPAY_URL = os.environ.get("DEMO_EPAY_URL", "/dev/epay/pay/")

# Serve uploaded product images from MEDIA_ROOT through Django. Right for the embedded
# installation; behind a reverse proxy, let the proxy serve /media/ and set this to 0.
SERVE_MEDIA = _env_bool("STADTKASSE_SERVE_MEDIA", True)

# Modules that register payment providers, in the order the portal offers them.
PAYMENT_PROVIDERS = [
    "stadtkasse.payments.providers.demo",
]

# E-payment platforms that speak XBezahldienste 1.0 (ePayBL, pmPayment, epay21), configured
# per municipality in the admin; docs/epayment.md describes the set-up.
PAYMENT_PROVIDERS.append("stadtkasse.xbezahldienste.provider")
import hashlib  # noqa: E402  (only the settings below need it)

# Where this server reaches itself; a platform address that is a path (the demo's stub
# under /dev/xbezahldienste/) is resolved against it.
_own_host = os.environ.get("HOST", "")
XBEZAHLDIENSTE_LOCAL_ORIGIN = os.environ.get(
    "XBEZAHLDIENSTE_LOCAL_ORIGIN",
    "http://{}:{}".format(
        _own_host if _own_host not in ("", "0.0.0.0", "::") else "127.0.0.1",
        os.environ.get("PORT", "8000"),
    ),
)
# The demo's XBezahldienste platform stub: its state file and its OAuth2 client. The
# secret goes into the environment, where the demo platform configuration reads it like
# a real one.
XBEZAHLDIENSTE_STUB_STORE = DATA_DIR / "dev_xbezahldienste.sqlite3"
XBEZAHLDIENSTE_DEMO_CLIENT_ID = "stadtkasse-demo"
if DEMO:
    INSTALLED_APPS.append("stadtkasse_dev.xbezahldienste")
    os.environ.setdefault(
        "XBEZAHLDIENSTE_DEMO_CLIENT_SECRET",
        hashlib.sha256(f"{SECRET_KEY}:xbezahldienste-demo".encode()).hexdigest(),
    )
XBEZAHLDIENSTE_DEMO_CLIENT_SECRET = os.environ.get("XBEZAHLDIENSTE_DEMO_CLIENT_SECRET", "")

# Bank transfer with GiroCode and SEPA direct debit (stadtkasse.sepa).
PAYMENT_PROVIDERS.append("stadtkasse.sepa.providers")
