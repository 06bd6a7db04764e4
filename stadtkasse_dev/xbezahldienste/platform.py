"""A stand-in for an e-payment platform that speaks XBezahldienste 1.0, for demo and tests.

``StubPlatform.handle`` takes one request and returns the response. The Django views
(mounted at /dev/xbezahldienste/ in the demo) and the standalone server (server.py) both
call it. It serves the OAuth2 token endpoint, the two transaction resources, the payment
page for the citizen and a control resource through which tests order errors and delays.
State lives in a SQLite file, so that the worker processes of gunicorn share it.

It imports nothing of Stadtkasse: it reaches Stadtkasse only by sending the citizen's
browser back to the redirectUrl, without a status, as a real platform does.
"""

import base64
import html
import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from string import Template
from urllib.parse import parse_qs

TOKEN_LIFETIME_SECONDS = 300
# A delay ordered through the control resource is capped, so a test cannot hang a worker.
MAX_DELAY_SECONDS = 30
STATUSES = ("INITIAL", "PAYED", "FAILED", "CANCELED")
ACTIONS = {"pay": "PAYED", "cancel": "CANCELED", "fail": "FAILED"}
OUTCOME_WORDS = {"PAYED": "bezahlt", "CANCELED": "abgebrochen", "FAILED": "fehlgeschlagen"}
PAGES = Path(__file__).with_name("pages")

SCHEMA = """
CREATE TABLE IF NOT EXISTS transactions (
    id TEXT PRIMARY KEY,
    originator TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    request_id TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    page_token TEXT NOT NULL,
    reference TEXT NOT NULL DEFAULT '',
    payment_method TEXT NOT NULL DEFAULT '',
    finished_at TEXT NOT NULL DEFAULT '',
    UNIQUE (originator, endpoint, request_id)
);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS control (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class StubRequest:
    method: str
    # Path below the mount point, without a leading slash: "paymenttransaction/o/e".
    path: str
    headers: dict
    body: bytes = b""
    # Absolute URL of the mount point, ending in "/": where the citizen's browser finds us.
    base_url: str = ""

    def header(self, name: str) -> str:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return ""


@dataclass
class StubResponse:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)


class StubStore:
    """The stub's state in a SQLite file; one connection per call, so threads may share it."""

    def __init__(self, path: str):
        self.path = str(path)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=20)
        db.row_factory = sqlite3.Row
        return db

    def run(self, sql: str, params=()) -> list[sqlite3.Row]:
        with self._lock, self._connect() as db:
            return db.execute(sql, params).fetchall()

    def get_control(self, key: str, default):
        rows = self.run("SELECT value FROM control WHERE key = ?", (key,))
        return json.loads(rows[0]["value"]) if rows else default

    def set_control(self, key: str, value) -> None:
        self.run(
            "INSERT INTO control (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def take_fault(self, method: str, path: str) -> dict | None:
        """Remove and return the first ordered error that matches this request."""
        with self._lock, self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT value FROM control WHERE key = 'faults'").fetchone()
            faults = json.loads(row["value"]) if row else []
            for index, fault in enumerate(faults):
                if path.startswith(fault.get("path", "")) and fault.get("method", method) == method:
                    fault["times"] = int(fault.get("times", 1)) - 1
                    if fault["times"] <= 0:
                        faults.pop(index)
                    db.execute(
                        "INSERT OR REPLACE INTO control (key, value) VALUES ('faults', ?)",
                        (json.dumps(faults),),
                    )
                    return fault
        return None


def problem(status: int, code: str, title: str, detail: str = "") -> StubResponse:
    """Return an RFC 9457 problem document with the XBezahldienste functionalCode."""
    document = {
        "type": f"urn:stadtkasse:xbezahldienste-stub:{code.lower()}",
        "status": status,
        "title": title,
        "detail": detail,
        "functionalCode": code,
    }
    return StubResponse(status, json.dumps(document).encode(), "application/problem+json")


def _json(status: int, document: dict, **headers) -> StubResponse:
    return StubResponse(status, json.dumps(document).encode(), "application/json", headers)


def _cents(value) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value)) * 100
    except InvalidOperation:
        return None
    return int(amount) if amount == amount.to_integral_value() else None


def _page(name: str) -> Template:
    return Template((PAGES / name).read_text(encoding="utf-8"))


def euro_text(cents: int) -> str:
    whole = f"{cents // 100:,}".replace(",", ".")
    return f"{whole},{cents % 100:02d} €"


class StubPlatform:
    """The platform's behaviour; ``clients`` maps OAuth2 client ids to secrets.

    With ``clients`` None the transaction resources ask for no token, as behind a TLS
    server that checks client certificates.
    """

    def __init__(self, store: StubStore, *, clients: dict | None, stylesheets: list | None = None):
        self.store = store
        self.clients = clients
        self.stylesheets = stylesheets or []

    def handle(self, request: StubRequest) -> StubResponse:
        if request.path == "_control":
            return self._control(request)
        delay = min(float(self.store.get_control("delay_seconds", 0)), MAX_DELAY_SECONDS)
        if delay > 0:
            time.sleep(delay)
        fault = self.store.take_fault(request.method, request.path)
        if fault:
            return problem(
                int(fault.get("status", 500)),
                str(fault.get("functionalCode", "UNSPECIFIED")),
                str(fault.get("title", "Ordered error")),
                str(fault.get("detail", "")),
            )

        parts = request.path.strip("/").split("/")
        if parts == ["oauth", "token"] and request.method == "POST":
            return self._token(request)
        if parts[0] == "paymenttransaction" and len(parts) in (3, 4):
            if not self._authorized(request):
                return problem(401, "FORBIDDEN", "Unauthorized", "Missing or invalid token.")
            if len(parts) == 3 and request.method == "POST":
                return self._create(request, parts[1], parts[2])
            if len(parts) == 4 and request.method == "GET":
                return self._status(request, parts[1], parts[2], parts[3])
        if parts[0] == "paypage" and len(parts) == 2 and request.method in ("GET", "POST"):
            return self._paypage(request, parts[1])
        return problem(404, "UNSPECIFIED", "Not Found", f"No resource {request.path!r}.")

    # -- OAuth2 -----------------------------------------------------------------------

    def _token(self, request: StubRequest) -> StubResponse:
        form = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = request.header("Authorization")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if form.get("grant_type") != "client_credentials":
            return _json(400, {"error": "unsupported_grant_type"})
        if self.clients is None or not secrets.compare_digest(
            self.clients.get(client_id, ""), secret or "-"
        ):
            return _json(401, {"error": "invalid_client"})
        lifetime = int(self.store.get_control("token_lifetime", TOKEN_LIFETIME_SECONDS))
        token = secrets.token_urlsafe(24)
        self.store.run(
            "INSERT INTO tokens (token, expires) VALUES (?, ?)", (token, time.time() + lifetime)
        )
        return _json(200, {"access_token": token, "token_type": "Bearer", "expires_in": lifetime})

    def _authorized(self, request: StubRequest) -> bool:
        if self.clients is None:
            return True
        header = request.header("Authorization")
        if not header.startswith("Bearer "):
            return False
        rows = self.store.run(
            "SELECT 1 FROM tokens WHERE token = ? AND expires > ?", (header[7:], time.time())
        )
        return bool(rows)

    # -- transactions -----------------------------------------------------------------

    def _create(self, request: StubRequest, originator: str, endpoint: str) -> StubResponse:
        try:
            document = json.loads(request.body)
        except ValueError:
            return problem(400, "VALIDATION_ERROR", "Bad Request", "The body is not JSON.")
        error = self._check_request(document)
        if error:
            return error
        transaction_id = "XBD-" + secrets.token_hex(8).upper()
        try:
            self.store.run(
                "INSERT INTO transactions (id, originator, endpoint, request_id, request, status,"
                " page_token) VALUES (?, ?, ?, ?, ?, 'INITIAL', ?)",
                (
                    transaction_id,
                    originator,
                    endpoint,
                    document["requestId"],
                    json.dumps(document),
                    secrets.token_urlsafe(16),
                ),
            )
        except sqlite3.IntegrityError:
            return problem(
                409, "PAYMENT_EXISTS", "Conflict", "A transaction with this requestId exists."
            )
        document = self._transaction_document(request, transaction_id)
        return _json(201, document, Location=document["paymentInformation"]["transactionUrl"])

    @staticmethod
    def _check_request(document) -> StubResponse | None:
        def invalid(detail: str) -> StubResponse:
            return problem(422, "VALIDATION_ERROR", "Unprocessable Content", detail)

        if not isinstance(document, dict):
            return invalid("The body is not a JSON object.")
        request_id = document.get("requestId")
        if not isinstance(request_id, str) or not 1 <= len(request_id) <= 36:
            return invalid("requestId must have 1 to 36 characters.")
        if document.get("currency") != "EUR":
            return invalid("currency must be EUR.")
        purpose = document.get("purpose")
        if not isinstance(purpose, str) or not 1 <= len(purpose) <= 27:
            return invalid("purpose must have 1 to 27 characters.")
        if not str(document.get("redirectUrl", "")).startswith(("https://", "http://")):
            return invalid("redirectUrl must be an http(s) URL.")
        items = document.get("items")
        if not isinstance(items, list) or not items:
            return invalid("items must list at least one item.")
        total = 0
        for item in items:
            if not isinstance(item, dict):
                return invalid("Every item must be a JSON object.")
            net, tax = _cents(item.get("totalNetAmount")), _cents(item.get("totalTaxAmount"))
            if net is None or tax is None or net < 0 or tax < 0:
                return invalid("Every item needs totalNetAmount and totalTaxAmount.")
            if not item.get("reference"):
                return problem(
                    422,
                    "BOOKING_DATA_MISSING",
                    "Unprocessable Content",
                    "An item has no reference.",
                )
            total += net + tax
        if _cents(document.get("grosAmount")) != total:
            return problem(
                422,
                "CALCULATION_ERROR",
                "Unprocessable Content",
                "grosAmount differs from the sum of the items.",
            )
        return None

    def _row(self, transaction_id: str):
        rows = self.store.run("SELECT * FROM transactions WHERE id = ?", (transaction_id,))
        return rows[0] if rows else None

    def _transaction_document(self, request: StubRequest, transaction_id: str) -> dict:
        row = self._row(transaction_id)
        base = request.base_url
        information = {
            "transactionUrl": (
                f"{base}paymenttransaction/{row['originator']}/{row['endpoint']}/{row['id']}"
            ),
            "transactionId": row["id"],
            "status": row["status"],
        }
        if row["status"] == "INITIAL":
            information["transactionRedirectUrl"] = f"{base}paypage/{row['id']}"
        if row["reference"]:
            information["transactionReference"] = row["reference"]
        if row["status"] == "PAYED":
            information["transactionTimestamp"] = row["finished_at"]
            information["paymentMethod"] = row["payment_method"]
        return {"paymentRequest": json.loads(row["request"]), "paymentInformation": information}

    def _status(self, request, originator, endpoint, transaction_id) -> StubResponse:
        row = self._row(transaction_id)
        if row is None or (row["originator"], row["endpoint"]) != (originator, endpoint):
            return problem(404, "UNSPECIFIED", "Not Found", "No such transaction.")
        return _json(200, self._transaction_document(request, transaction_id))

    # -- the citizen's payment page ---------------------------------------------------

    def _paypage(self, request: StubRequest, transaction_id: str) -> StubResponse:
        row = self._row(transaction_id)
        if row is None:
            return StubResponse(404, b"Unbekannte Zahlung.", "text/plain; charset=utf-8")
        payment_request = json.loads(row["request"])
        if request.method == "POST" and row["status"] == "INITIAL":
            form = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
            status = ACTIONS.get(form.get("action", ""))
            if status is None or not secrets.compare_digest(
                form.get("token", ""), row["page_token"]
            ):
                return StubResponse(400, b"Ungueltige Anfrage.", "text/plain; charset=utf-8")
            self._finish(transaction_id, status)
            # The return carries no status: Stadtkasse has to ask for it.
            return StubResponse(303, headers={"Location": payment_request["redirectUrl"]})
        return StubResponse(
            200, self._page_html(row, payment_request).encode(), "text/html; charset=utf-8"
        )

    def _finish(self, transaction_id: str, status: str) -> None:
        reference = f"EP{secrets.randbelow(10**10):010d}" if status == "PAYED" else ""
        method = "CREDITCARD" if status == "PAYED" else ""
        finished_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        self.store.run(
            "UPDATE transactions SET status = ?, reference = ?, payment_method = ?, "
            "finished_at = ? WHERE id = ? AND status = 'INITIAL'",
            (
                status,
                reference,
                method,
                finished_at,
                transaction_id,
            ),
        )

    def _page_html(self, row, payment_request: dict) -> str:
        escape = html.escape
        items = "".join(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                escape(str(item.get("description", ""))),
                escape(str(item.get("quantity", ""))),
                euro_text(
                    (_cents(item.get("totalNetAmount")) or 0)
                    + (_cents(item.get("totalTaxAmount")) or 0)
                ),
            )
            for item in payment_request.get("items", [])
        )
        if row["status"] == "INITIAL":
            action = _page("open.html").substitute(token=escape(row["page_token"]))
        else:
            outcome = OUTCOME_WORDS.get(row["status"], "fehlgeschlagen")
            action = _page("finished.html").substitute(
                outcome=outcome, return_url=escape(payment_request["redirectUrl"])
            )
        if self.stylesheets:
            styles = "".join(
                f'\n  <link rel="stylesheet" href="{escape(href)}">' for href in self.stylesheets
            )
        else:
            styles = f"\n  <style>{(PAGES / 'fallback.css').read_text()}</style>"
        return _page("paypage.html").substitute(
            styles=styles,
            description=escape(str(payment_request.get("description", ""))),
            purpose=escape(str(payment_request.get("purpose", ""))),
            amount=euro_text(_cents(payment_request.get("grosAmount")) or 0),
            items=items,
            action=action,
        )

    # -- control ----------------------------------------------------------------------

    def _control(self, request: StubRequest) -> StubResponse:
        """Order errors, delays or short token lifetimes: for tests and demos only."""
        if request.method != "POST":
            return problem(405, "UNSPECIFIED", "Method Not Allowed")
        try:
            orders = json.loads(request.body or b"{}")
        except ValueError:
            return problem(400, "VALIDATION_ERROR", "Bad Request", "The body is not JSON.")
        if not isinstance(orders, dict):
            return problem(400, "VALIDATION_ERROR", "Bad Request", "The body is not an object.")
        if orders.get("reset"):
            self.store.run("DELETE FROM control")
        if "faults" in orders:
            self.store.set_control("faults", list(orders["faults"]))
        for key in ("delay_seconds", "token_lifetime"):
            if key in orders:
                self.store.set_control(key, float(orders[key]))
        if orders.get("revoke_tokens"):
            self.store.run("DELETE FROM tokens")
        if "finish" in orders:
            # Finish a transaction as the citizen would, for tests without a browser.
            transaction_id, status = (
                orders["finish"].get("transactionId"),
                orders["finish"].get("status"),
            )
            if status not in STATUSES[1:]:
                return problem(400, "VALIDATION_ERROR", "Bad Request", "Unknown status.")
            self._finish(str(transaction_id), status)
        return _json(200, {"status": "ok"})
