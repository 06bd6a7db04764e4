"""Forms of the back office: the staff login and the ledger filter."""

from datetime import date, datetime

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from stadtkasse.backoffice.errors import message
from stadtkasse.backoffice.ledger import ALL_STATES, DEFAULT_STATE, LedgerFilter
from stadtkasse.core.auth import INVALID_LOGIN
from stadtkasse.core.channels import Channel
from stadtkasse.core.models import Municipality, Operator, PointOfSale
from stadtkasse.orders.models import OrderState

DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d")


class StaffAuthenticationForm(AuthenticationForm):
    """Login form of the back office, which rejects accounts without staff status."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": INVALID_LOGIN,
        "not_staff": _(
            "This account has no access to the back office. Citizens sign in on the portal."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")


def parse_day(text: str) -> date | None:
    """Parse a day typed as DD.MM.YYYY or sent as YYYY-MM-DD by a date input."""
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


class DayInput(forms.DateInput):
    """Browser date input that shows a day typed as DD.MM.YYYY back in ISO form."""

    input_type = "date"

    def format_value(self, value):
        if isinstance(value, str):
            day = parse_day(value)
            return day.isoformat() if day else value
        return super().format_value(value)


class DayField(forms.CharField):
    """Calendar day field whose error names the invalid value and the expected form."""

    widget = DayInput

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        day = parse_day(text)
        if day is None:
            raise forms.ValidationError(
                message("invalid_date", value=text, field=self.label), code="invalid_date"
            )
        return day


class NamedChoiceField(forms.ChoiceField):
    """Choice field whose error names the value that was sent."""

    def validate(self, value):
        if value and not self.valid_value(value):
            raise forms.ValidationError(
                message("invalid_choice", value=value, field=self.label), code="invalid_choice"
            )
        super(forms.ChoiceField, self).validate(value)


def state_choices() -> list[tuple[str, str]]:
    return [(ALL_STATES, _("all states")), *OrderState.choices]


class LedgerFilterForm(forms.Form):
    """Filter above the ledger, bound to the query string of the page and of the export."""

    date_from = DayField(label=_("From"), required=False)
    date_to = DayField(label=_("To"), required=False)
    channel = NamedChoiceField(label=_("Channel"), required=False)
    operator = NamedChoiceField(label=_("Operator"), required=False)
    point_of_sale = NamedChoiceField(label=_("Point of sale"), required=False)
    state = NamedChoiceField(label=_("State"), required=False)

    def __init__(self, data, *, municipality: Municipality):
        # Without a state in the query string the ledger shows sales, that is paid orders.
        data = data.copy()
        if not data.get("state"):
            data["state"] = DEFAULT_STATE
        super().__init__(data)
        self.municipality = municipality

        all_label = _("all")
        self.fields["channel"].choices = [("", all_label), *Channel.choices]
        operators = Operator.objects.filter(municipality=municipality).order_by("name")
        self.fields["operator"].choices = [
            ("", all_label),
            *((str(operator.pk), operator.name) for operator in operators),
        ]
        points_of_sale = PointOfSale.objects.filter(
            operator__municipality=municipality
        ).select_related("operator")
        self.fields["point_of_sale"].choices = [
            ("", all_label),
            *((str(pos.pk), str(pos)) for pos in points_of_sale),
        ]
        self.fields["state"].choices = state_choices()

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError(
                message(
                    "date_range_reversed",
                    date_from=date_from.strftime("%d.%m.%Y"),
                    date_to=date_to.strftime("%d.%m.%Y"),
                ),
                code="date_range_reversed",
            )
        return cleaned

    def ledger_filter(self) -> LedgerFilter:
        """Return the filter of a valid form."""
        data = self.cleaned_data
        return LedgerFilter(
            municipality=self.municipality,
            date_from=data["date_from"],
            date_to=data["date_to"],
            channel=data["channel"],
            operator_id=int(data["operator"]) if data["operator"] else None,
            point_of_sale_id=int(data["point_of_sale"]) if data["point_of_sale"] else None,
            state=data["state"] or DEFAULT_STATE,
        )
