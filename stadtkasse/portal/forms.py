"""Forms of the portal. Prices are never a form field: the server takes them from the catalog."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from stadtkasse.catalog.models import FieldKind, Product
from stadtkasse.portal.errors import portal_message
from stadtkasse.portal.services.catalog import age_priced

DATE_HINT = _("Please enter the date as DD.MM.YYYY, for example 17.04.1990.")


def answer_field_name(key: str) -> str:
    return f"antwort_{key}"


class ProductForm(forms.Form):
    """Put a product into the cart: price option, application answers, quantity.

    Only the shape of the input is checked here; ``price_lines`` decides what is valid
    against the catalog, and its errors are put onto the matching field by the view.
    """

    # Not required here, so that an empty quantity gets the pricing's message.
    quantity = forms.CharField(label=_("Quantity"), initial="1", max_length=10, required=False)

    def __init__(self, product: Product, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        variants = list(product.variants.all())
        self.age_priced = age_priced(product)
        if len(variants) > 1 and not self.age_priced:
            self.fields["variant"] = forms.CharField(label=_("Price option"), required=False)
            self.variant_choices = variants
        for field in product.fields.all():
            help_text = field.help_text
            if field.kind in (FieldKind.DATE, FieldKind.BIRTH_DATE):
                help_text = " ".join(filter(None, [str(help_text), str(DATE_HINT)]))
            self.fields[answer_field_name(field.key)] = forms.CharField(
                label=field.label,
                help_text=help_text,
                required=False,
                max_length=500,
            )
        self.fields["quantity"].widget.attrs.update({"inputmode": "numeric"})
        self.order_fields(["variant", *self.answer_names(), "quantity"])

    def answer_names(self) -> list[str]:
        return [answer_field_name(field.key) for field in self.product.fields.all()]

    def answer_rows(self) -> list:
        """Return (application field, bound form field) pairs in the product's order."""
        return [(field, self[answer_field_name(field.key)]) for field in self.product.fields.all()]

    def answers(self) -> dict:
        return {
            field.key: self.cleaned_data.get(answer_field_name(field.key), "")
            for field in self.product.fields.all()
        }

    def field_for_label(self, label: str) -> str | None:
        """Return the form field name of the application field with this label."""
        for field in self.product.fields.all():
            if field.label == label:
                return answer_field_name(field.key)
        return None

    def birth_date_field(self) -> str | None:
        for field in self.product.fields.all():
            if field.kind == FieldKind.BIRTH_DATE:
                return answer_field_name(field.key)
        return None


class QuantityForm(forms.Form):
    quantity = forms.CharField(label=_("Quantity"), max_length=10)


class CheckoutForm(forms.Form):
    email = forms.CharField(label=_("E-mail address"), max_length=254)
    provider = forms.CharField(label=_("Payment method"), required=False)
    cart = forms.CharField(widget=forms.HiddenInput)


class RegisterForm(forms.Form):
    email = forms.CharField(label=_("E-mail address"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput,
        help_text=_("At least 8 characters, not only digits and not a common password."),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"), strip=False, widget=forms.PasswordInput
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        try:
            validate_email(email)
        except forms.ValidationError:
            raise forms.ValidationError(
                _(
                    "The e-mail address “%(email)s” is not valid. Please check it, for "
                    "example name@example.de."
                ),
                params={"email": email},
            ) from None
        return email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", portal_message("passwords_differ"))
        elif first:
            # An unsaved user, so that the similarity validator compares with these values.
            probe = get_user_model()(
                username=cleaned.get("email", ""),
                email=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class LoginForm(forms.Form):
    email = forms.CharField(label=_("E-mail address"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
