"""Input of the counter: the cashier login, and the JSON body of a sale request."""

import json
import re
from dataclasses import dataclass

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from stadtkasse.core.auth import INVALID_LOGIN
from stadtkasse.counter.errors import CounterError
from stadtkasse.orders.errors import SaleError
from stadtkasse.orders.pricing import MAX_LINES, LineRequest

# A client-made identifier such as a UUID; the stored key adds till and cashier to it.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,40}$")


class CashierAuthenticationForm(AuthenticationForm):
    """The login of the till; accounts that neither sell nor read the ledger are refused."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": INVALID_LOGIN,
        "not_cashier": _(
            "This account may not use the till. Please ask a supervisor to give you the "
            "cashier role."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not (user.has_perm("orders.sell_at_counter") or user.has_perm("orders.view_ledger")):
            raise forms.ValidationError(self.error_messages["not_cashier"], code="not_cashier")


@dataclass
class SaleRequest:
    token: str
    lines: list[LineRequest]
    method: str
    tendered_cents: int | None


def _whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_sale_request(body: bytes) -> SaleRequest:
    """Read the JSON body of a sale; raise CounterError or SaleError for a malformed one.

    Only the shape is checked here. Whether products, variants and quantities are
    possible is the pricing's decision, so the till and the API get the same answers.
    """
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError) as error:
        raise CounterError("invalid_json") from error
    if not isinstance(data, dict):
        raise CounterError("invalid_json")

    for name in ("token", "lines", "method"):
        if name not in data or data[name] is None:
            raise CounterError("missing_field", field=name)
    token = data["token"]
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        raise CounterError("invalid_token")
    if not isinstance(data["method"], str):
        raise CounterError("invalid_field", field="method")
    if not isinstance(data["lines"], list) or len(data["lines"]) > MAX_LINES * 4:
        raise CounterError("invalid_field", field="lines")

    lines = []
    for raw in data["lines"]:
        if not isinstance(raw, dict):
            raise CounterError("invalid_field", field="lines")
        for name in ("product", "quantity"):
            if name not in raw or raw[name] is None:
                raise CounterError("missing_field", field=f"lines.{name}")
        answers = raw.get("answers") or {}
        if not isinstance(answers, dict):
            raise CounterError("invalid_field", field="lines.answers")
        lines.append(
            LineRequest(
                product_id=raw["product"],
                variant_id=raw.get("variant"),
                quantity=raw["quantity"],
                answers=answers,
            )
        )

    tendered = data.get("tendered_cents")
    if tendered is not None and not _whole_number(tendered):
        raise SaleError("invalid_amount", value=tendered)
    return SaleRequest(token=token, lines=lines, method=data["method"], tendered_cents=tendered)
