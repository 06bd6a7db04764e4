"""A lean HTTP client for the load: one keep-alive connection and one cookie jar per user.

It uses only the standard library so that the load generator costs little CPU next to the
server on the same machine, and it follows Django's CSRF rules like a browser does.
"""

import http.client
import json
import re
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class HttpError(Exception):
    """A response that the benchmark did not expect; carries the status and body start."""

    def __init__(self, message: str, status: int = 0, body: bytes = b""):
        super().__init__(message)
        self.status = status
        self.body = body


class Response:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes, url: str):
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)


class Session:
    """One user agent: a keep-alive connection to 127.0.0.1 and the cookies it was given."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        parts = urlsplit(base_url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"benchmarks run against loopback only, not {parts.hostname!r}")
        self.base_url = base_url.rstrip("/")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def csrf_token(self) -> str:
        return self.cookies.get("csrftoken", "")

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one request on the kept-alive connection, and reconnect once if it was closed.

        The retry is meant for a connection that gunicorn closed while it was idle, before
        it read the request. A request that the server dropped after reading it would be
        sent twice. That is harmless for GETs and for counter sales (same token), and a
        second add-to-cart POST would add the product again.
        """
        all_headers = {"Host": f"{self.host}:{self.port}", "Accept-Language": "de"}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        all_headers.update(headers or {})
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout
                )
            try:
                self._connection.request(method, path, body=body, headers=all_headers)
                raw = self._connection.getresponse()
                data = raw.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
                continue
            response = Response(raw.status, raw.getheaders(), data, path)
            self._store_cookies(response)
            if raw.will_close:
                self.close()
            return response
        raise AssertionError("unreachable")

    def _store_cookies(self, response: Response) -> None:
        for key, value in response.headers:
            if key.lower() != "set-cookie":
                continue
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str] | list[tuple[str, str]]) -> Response:
        """POST a form as a browser does, with the CSRF token from the cookie."""
        data = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if not any(name == "csrfmiddlewaretoken" for name, _value in data):
            data.append(("csrfmiddlewaretoken", self.csrf_token))
        return self.request(
            "POST",
            path,
            body=urlencode(data).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.base_url,
                "Referer": self.base_url + path,
            },
        )

    def post_json(self, path: str, payload: object) -> Response:
        """POST JSON with the CSRF token in the X-CSRFToken header, as a till's script does."""
        return self.request(
            "POST",
            path,
            body=json.dumps(payload).encode(),
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": self.csrf_token,
                "Origin": self.base_url,
            },
        )

    def follow(self, response: Response, *, limit: int = 5) -> Response:
        """Follow redirects with GET, as a browser does after a POST; stay on this server."""
        for _ in range(limit):
            if response.status not in (301, 302, 303, 307, 308):
                return response
            location = urljoin(self.base_url + response.url, response.header("Location") or "")
            target = urlsplit(location)
            if target.hostname not in (None, self.host) or (target.port or 80) != self.port:
                raise HttpError(f"redirect leaves the benchmark server: {location}")
            path = target.path + (f"?{target.query}" if target.query else "")
            response = self.get(path)
        raise HttpError(f"more than {limit} redirects from {response.url}")

    def login(self, path: str, username: str, password: str) -> Response:
        """Log in through a Django LoginView form: GET it for the token, POST the fields."""
        form = self.get(path)
        if form.status != 200:
            raise HttpError(f"GET {path} returned {form.status}", form.status, form.body[:500])
        token = csrf_from_html(form.text) or self.csrf_token
        answer = self.post_form(
            path,
            {"username": username, "password": password, "csrfmiddlewaretoken": token},
        )
        if answer.status != 302:
            raise HttpError(
                f"login of {username} at {path} returned {answer.status}, expected 302",
                answer.status,
                answer.body[:500],
            )
        return answer


def csrf_from_html(html: str) -> str:
    match = CSRF_FIELD.search(html)
    return match.group(1) if match else ""


class Form:
    """A form found in a page: its action, method, fields with values, and submit buttons."""

    def __init__(self, action: str, method: str):
        self.action = action
        self.method = method.upper() or "GET"
        self.fields: list[tuple[str, str]] = []
        self.buttons: list[tuple[str, str, str]] = []  # name, value, text
        self.selects: dict[str, list[str]] = {}

    def field_names(self) -> set[str]:
        return {name for name, _value in self.fields}

    def values(self, **changes: str) -> list[tuple[str, str]]:
        """Return the field values a browser sends, with ``changes`` filled in."""
        data = [(name, value) for name, value in self.fields if name not in changes]
        data.extend(changes.items())
        return data

    def button_text(self) -> str:
        return " ".join(text for _name, _value, text in self.buttons)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._button: list | None = None
        self._select: str | None = None
        self._radio_seen: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = Form(attributes.get("action", ""), attributes.get("method", "get"))
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = attributes.get("name", "")
        if tag == "input" and name:
            kind = attributes.get("type", "text").lower()
            if kind in ("submit", "button", "image"):
                self._form.buttons.append((name, attributes.get("value", ""), ""))
            elif kind in ("checkbox", "radio"):
                # A browser sends a checked box. The first radio option is taken when none
                # is checked, so that a form with one payment method can be sent.
                if "checked" in attributes or (kind == "radio" and name not in self._radio_seen):
                    self._form.fields = [f for f in self._form.fields if f[0] != name]
                    self._form.fields.append((name, attributes.get("value", "on")))
                self._radio_seen.add(name)
            else:
                self._form.fields.append((name, attributes.get("value", "")))
        elif tag == "button":
            self._button = [name, attributes.get("value", ""), ""]
        elif tag == "select" and name:
            self._select = name
            self._form.selects[name] = []
        elif tag == "option" and self._select:
            self._form.selects[self._select].append(attributes.get("value", ""))
        elif tag == "textarea" and name:
            self._form.fields.append((name, ""))

    def handle_data(self, data):
        if self._button is not None:
            self._button[2] += data.strip()

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "button" and self._button is not None and self._form is not None:
            self._form.buttons.append(tuple(self._button))
            self._button = None
        elif tag == "select":
            self._select = None


def find_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def find_form(html: str, *, field: str | None = None, button: str | None = None) -> Form:
    """Return the first form that has a field of this name or a button with this text."""
    for form in find_forms(html):
        if field is not None and field in form.field_names():
            return form
        if button is not None and button.lower() in form.button_text().lower():
            return form
    raise HttpError(f"no form with field {field!r} or button {button!r} in the page")


def submit(
    session: Session,
    page: Response,
    form: Form,
    *,
    button: str | None = None,
    **changes: str,
) -> Response:
    """Submit a form found on ``page`` as a browser does, pressing the button with this text."""
    data = form.values(**changes)
    if button is not None:
        for name, value, text in form.buttons:
            if button.lower() in text.lower() and name:
                data.append((name, value))
                break
    target = urljoin(session.base_url + page.url, form.action or page.url)
    parts = urlsplit(target)
    if parts.hostname != session.host or (parts.port or 80) != session.port:
        raise HttpError(f"form posts outside the benchmark server: {target}")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if form.method == "POST":
        return session.post_form(path, data)
    separator = "&" if "?" in path else "?"
    return session.get(f"{path}{separator}{urlencode(data)}")
