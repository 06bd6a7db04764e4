"""HTTP client of an XBezahldienste 1.0 platform, on the standard library's urllib.

Resources, relative to the platform's base URL (as in aivot-digital/gover's ePayBL,
pmPayment and epay21 clients): POST paymenttransaction/{originatorId}/{endpointId}
creates a transaction, GET paymenttransaction/{originatorId}/{endpointId}/{transactionId}
returns its state. Errors come as problem+json (RFC 9457) with type, status, title,
detail and the XBezahldienste functionalCode.

TLS certificates are always verified. Redirects are not followed, so that a token or
client certificate is never presented to another host.
"""

import base64
import json
import logging
import os
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urljoin

from django.conf import settings

from stadtkasse.payments.providers.base import ProviderError
from stadtkasse.xbezahldienste.models import AuthType, PlatformConfig

logger = logging.getLogger(__name__)

# Responses are small JSON documents, so anything larger is cut off and fails to parse.
MAX_RESPONSE_BYTES = 1024 * 1024
# A token is renewed this many seconds before its expires_in runs out.
TOKEN_MARGIN_SECONDS = 30
USER_AGENT = "Stadtkasse-XBezahldienste/1.0"


class PlatformError(ProviderError):
    """The platform responded with an HTTP error; the fields come from its problem+json."""

    def __init__(
        self,
        platform_name: str,
        status: int,
        *,
        problem_type: str = "",
        title: str = "",
        functional_code: str = "",
        detail: str = "",
    ):
        self.status = status
        self.problem_type = problem_type
        self.title = title
        self.functional_code = functional_code
        self.detail = detail
        # The detail may be long or name the case, so the message has type, title and code only.
        super().__init__(
            f"{platform_name}: HTTP {status} {title or 'error'}"
            f" (type {problem_type or '-'}, functionalCode {functional_code or '-'})"
        )


class PlatformConfigError(ProviderError):
    """The configuration cannot work: a missing secret, file or address."""


@dataclass
class _Token:
    value: str
    expires_at: float


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class TokenCache:
    """OAuth2 access tokens per platform configuration, shared by the threads of a process."""

    def __init__(self):
        self._tokens: dict[tuple, _Token] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self._lock:
            token = self._tokens.get(key)
        if token is None or token.expires_at <= time.monotonic():
            return None
        return token.value

    def put(self, key: tuple, value: str, lifetime_seconds: float) -> None:
        with self._lock:
            self._tokens[key] = _Token(value, time.monotonic() + lifetime_seconds)

    def drop(self, key: tuple) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


TOKENS = TokenCache()


def resolve_url(address: str) -> str:
    """Return an absolute http(s) URL; a path is resolved against this server (demo only)."""
    if address.startswith("/"):
        if not settings.DEMO:
            raise PlatformConfigError(f"relative address {address!r} is only allowed in the demo")
        return urljoin(settings.XBEZAHLDIENSTE_LOCAL_ORIGIN.rstrip("/") + "/", address.lstrip("/"))
    if not address.startswith(("https://", "http://")):
        raise PlatformConfigError(f"address {address!r} is not an http or https URL")
    return address


def secret_from_environment(variable: str, what: str) -> str:
    value = os.environ.get(variable, "") if variable else ""
    if not value:
        raise PlatformConfigError(
            f"the {what} is missing: set the environment variable {variable!r}"
        )
    return value


class PlatformClient:
    """Calls of one platform configuration."""

    def __init__(self, platform: PlatformConfig, *, tokens: TokenCache = TOKENS):
        self.platform = platform
        self.tokens = tokens
        self._opener = None

    # -- the two resources ------------------------------------------------------------

    def create_transaction(self, payment_request: dict) -> dict:
        return self._call("POST", self._transactions_url(), payment_request)

    def get_transaction(self, transaction_id: str) -> dict:
        url = f"{self._transactions_url()}/{quote(transaction_id, safe='')}"
        return self._call("GET", url)

    # -- plumbing ---------------------------------------------------------------------

    def _transactions_url(self) -> str:
        base = resolve_url(self.platform.base_url)
        if not base.endswith("/"):
            base += "/"
        originator = quote(self.platform.originator_id, safe="")
        endpoint = quote(self.platform.endpoint_id, safe="")
        return f"{base}paymenttransaction/{originator}/{endpoint}"

    def _call(self, method: str, url: str, document: dict | None = None) -> dict:
        """Send a request; on 401 with OAuth2, fetch a new token and send it once more."""
        try:
            return self._send(method, url, document)
        except PlatformError as error:
            if error.status != 401 or self.platform.auth_type != AuthType.OAUTH2_CLIENT_CREDENTIALS:
                raise
            logger.info(
                "platform %s: token rejected (HTTP 401); fetching a new one and retrying",
                self.platform.pk,
            )
            self.tokens.drop(self._token_key())
            return self._send(method, url, document)

    def _send(self, method: str, url: str, document: dict | None) -> dict:
        headers = {"Accept": "application/json, application/problem+json", **self._auth_headers()}
        body = None
        if document is not None:
            body = json.dumps(document).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        status, payload = self._open(request)
        # NOTE: Gover's clients expect 200 for the POST; a 201 Created is accepted as well.
        if status not in (200, 201):
            raise PlatformError(self.platform.name, status, title="unexpected status")
        return self._json(payload)

    def _open(self, request: urllib.request.Request) -> tuple[int, bytes]:
        request.add_header("User-Agent", USER_AGENT)
        started = time.monotonic()
        timeout = self.platform.timeout_seconds
        try:
            with self._get_opener().open(request, timeout=timeout) as response:
                return response.status, response.read(MAX_RESPONSE_BYTES)
        except urllib.error.HTTPError as error:
            raise self._problem(error) from None
        except TimeoutError:
            raise ProviderError(
                f"{self.platform.name}: timed out after {self.platform.timeout_seconds} s "
                f"({request.get_method()} {request.full_url})"
            ) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ProviderError(
                f"{self.platform.name}: cannot reach {request.full_url}: {reason}"
            ) from None
        finally:
            logger.debug(
                "platform %s: %s %s took %.2f s",
                self.platform.pk,
                request.get_method(),
                request.full_url,
                time.monotonic() - started,
            )

    def _problem(self, error: urllib.error.HTTPError) -> PlatformError:
        try:
            problem = json.loads(error.read(MAX_RESPONSE_BYTES) or b"{}")
        except (ValueError, OSError):
            problem = {}
        if not isinstance(problem, dict):
            problem = {}
        return PlatformError(
            self.platform.name,
            error.code,
            problem_type=str(problem.get("type") or "")[:200],
            title=str(problem.get("title") or error.reason or "")[:200],
            functional_code=str(problem.get("functionalCode") or "")[:64],
            detail=str(problem.get("detail") or "")[:1000],
        )

    def _json(self, payload: bytes) -> dict:
        try:
            document = json.loads(payload)
        except ValueError:
            raise ProviderError(f"{self.platform.name}: response is not JSON") from None
        if not isinstance(document, dict):
            raise ProviderError(f"{self.platform.name}: response is not a JSON object")
        return document

    def _get_opener(self) -> urllib.request.OpenerDirector:
        if self._opener is None:
            self._opener = urllib.request.build_opener(
                urllib.request.HTTPSHandler(context=self.ssl_context()), _NoRedirect()
            )
        return self._opener

    def ssl_context(self) -> ssl.SSLContext:
        """Return a verifying TLS context with the client certificate where configured."""
        platform = self.platform
        try:
            context = ssl.create_default_context(cafile=platform.ca_file or None)
        except (OSError, ssl.SSLError) as error:
            raise PlatformConfigError(
                f"{platform.name}: cannot read the CA file {platform.ca_file!r}: {error}"
            ) from None
        if platform.auth_type == AuthType.CLIENT_CERTIFICATE:
            password = None
            if platform.key_password_env:
                password = secret_from_environment(platform.key_password_env, "key password")
            try:
                context.load_cert_chain(
                    platform.cert_file, platform.key_file or None, password=password
                )
            except (OSError, ssl.SSLError) as error:
                raise PlatformConfigError(
                    f"{platform.name}: cannot load the client certificate {platform.cert_file!r}"
                    f" with key {platform.key_file or platform.cert_file!r}: {error}"
                ) from None
        return context

    # -- authentication ---------------------------------------------------------------

    def _auth_headers(self) -> dict:
        platform = self.platform
        if platform.auth_type == AuthType.OAUTH2_CLIENT_CREDENTIALS:
            return {"Authorization": f"Bearer {self.access_token()}"}
        if platform.auth_type == AuthType.HTTP_BASIC:
            password = secret_from_environment(platform.basic_password_env, "password")
            pair = f"{platform.basic_username}:{password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        return {}

    def _token_key(self) -> tuple:
        return (self.platform.pk, self.platform.token_url, self.platform.client_id)

    def access_token(self) -> str:
        """Return a cached OAuth2 access token, or fetch one by the client credentials grant."""
        key = self._token_key()
        token = self.tokens.get(key)
        if token:
            return token

        platform = self.platform
        secret = secret_from_environment(platform.client_secret_env, "client secret")
        # Client id and secret travel in the form body, as pmPayment expects them.
        form = {
            "grant_type": "client_credentials",
            "client_id": platform.client_id,
            "client_secret": secret,
        }
        if platform.scope:
            form["scope"] = platform.scope
        request = urllib.request.Request(
            resolve_url(platform.token_url),
            data=urlencode(form).encode(),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        status, payload = self._open(request)
        document = self._json(payload)
        value = document.get("access_token")
        if status != 200 or not isinstance(value, str) or not value:
            raise ProviderError(f"{platform.name}: token response has no access_token")
        try:
            lifetime = float(document.get("expires_in") or 300)
        except (TypeError, ValueError):
            lifetime = 300
        self.tokens.put(key, value, max(lifetime - TOKEN_MARGIN_SECONDS, 1))
        logger.info("platform %s: new access token, valid %d s", platform.pk, lifetime)
        return value
