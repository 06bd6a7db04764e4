"""The demo e-payment platform: a stand-in for a remote payment service.

It reaches Stadtkasse only the way a real platform does: by a signed JSON notification
sent over HTTP to the ``notify_url`` and by sending the citizen's browser back to the
``return_url`` with a signed result. It never reads or writes Stadtkasse's models.
"""

import hashlib
import json
import logging
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from stadtkasse.core.money import format_cents
from stadtkasse.payments.providers.demo import SIGNATURE_HEADER, canonical, sign, verify

logger = logging.getLogger(__name__)

REQUEST_PARAMS = ("reference", "amount", "purpose", "return_url", "notify_url", "sig")
ACTIONS = {"pay": "paid", "cancel": "canceled", "fail": "failed"}
NOTIFY_TIMEOUT_SECONDS = 5
# The platform remembers finished payments in a signed cookie of its own path, so that
# the back button shows the finished state instead of the buttons again.
DONE_COOKIE = "demo_epay_done"
DONE_COOKIE_SALT = "stadtkasse_dev.epay.done"
MAX_REMEMBERED = 20


def transaction_id(reference: str) -> str:
    """Return the platform's transaction number for a payment; the same on every try."""
    return "DEMO-" + hashlib.sha256(reference.encode()).hexdigest()[:12].upper()


def _request_params(request: HttpRequest) -> dict | None:
    source = request.POST if request.method == "POST" else request.GET
    params = {key: source.get(key, "") for key in REQUEST_PARAMS}
    if not all(params[key] for key in ("reference", "amount", "return_url", "sig")):
        return None
    if not verify(params):
        return None
    try:
        params["amount_cents"] = int(params["amount"])
    except ValueError:
        return None
    return params


def _done(request: HttpRequest) -> dict:
    """Return the payments this browser finished here, as {reference: status}."""
    raw = request.get_signed_cookie(DONE_COOKIE, default=None, salt=DONE_COOKIE_SALT)
    try:
        done = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return done if isinstance(done, dict) else {}


def _result(params: dict, status: str) -> dict:
    result = {
        "reference": params["reference"],
        "transaction": transaction_id(params["reference"]),
        "status": status,
        "amount": params["amount"],
    }
    result["sig"] = sign(canonical(result))
    return result


def _return_address(return_url: str, result: dict) -> str:
    parts = urlsplit(return_url)
    query = parse_qsl(parts.query) + list(result.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def notify(notify_url: str, result: dict) -> bool:
    """POST the signed result to Stadtkasse; a failure is logged, the return still carries it."""
    if not notify_url:
        return False
    body = json.dumps(
        {key: result[key] for key in ("reference", "transaction", "status", "amount")}
    ).encode()
    request = urllib.request.Request(
        notify_url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body)},
    )
    try:
        with urllib.request.urlopen(request, timeout=NOTIFY_TIMEOUT_SECONDS) as response:
            response.read()
    except (urllib.error.URLError, OSError, ValueError) as error:
        logger.warning("demo e-payment: notification for %s failed: %s", result["reference"], error)
        return False
    logger.info("demo e-payment: notified %s for %s", result["status"], result["reference"])
    return True


@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest) -> HttpResponse:
    params = _request_params(request)
    if params is None:
        return HttpResponseBadRequest(
            "Ungültige Zahlungsanfrage: Die Signatur fehlt oder passt nicht.",
            content_type="text/plain; charset=utf-8",
        )
    done = _done(request)
    if request.method == "GET":
        finished = done.get(params["reference"])
        return render(
            request,
            "demo_epay/pay.html",
            {
                "params": params,
                "amount": format_cents(params["amount_cents"]),
                "finished": finished,
                "return_address": _return_address(params["return_url"], _result(params, finished))
                if finished
                else "",
            },
        )

    status = done.get(params["reference"]) or ACTIONS.get(request.POST.get("action", ""))
    if status is None:
        return HttpResponseBadRequest(
            "Unbekannte Aktion.", content_type="text/plain; charset=utf-8"
        )
    result = _result(params, status)
    notify(params["notify_url"], result)

    done[params["reference"]] = status
    response = redirect(_return_address(params["return_url"], result))
    remembered = dict(list(done.items())[-MAX_REMEMBERED:])
    response.set_signed_cookie(
        DONE_COOKIE,
        json.dumps(remembered),
        salt=DONE_COOKIE_SALT,
        path="/dev/epay/",
        httponly=True,
        samesite="Lax",
    )
    return response
