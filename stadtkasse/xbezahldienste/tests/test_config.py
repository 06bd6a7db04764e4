import pytest
from django.core.exceptions import ValidationError

from stadtkasse.xbezahldienste.models import AuthType, PlatformConfig


def config(demo, **fields) -> PlatformConfig:
    values = {
        "municipality": demo,
        "name": "ePayBL",
        "display_name": "Online bezahlen",
        "base_url": "https://epayment.example.de/konnektor/epayment/",
        "originator_id": "o",
        "endpoint_id": "e",
        "auth_type": AuthType.OAUTH2_CLIENT_CREDENTIALS,
        "token_url": "https://epayment.example.de/oauth/token",
        "client_id": "stadtkasse",
        "client_secret_env": "EPAYBL_SECRET",
    }
    values.update(fields)
    return PlatformConfig(**values)


def errors(platform) -> dict:
    with pytest.raises(ValidationError) as caught:
        platform.full_clean()
    return caught.value.message_dict


def test_complete_oauth2_config_is_valid(demo):
    config(demo).full_clean()


def test_address_without_scheme_is_rejected(demo):
    assert errors(config(demo, base_url="epayment.example.de"))["base_url"] == [
        "„epayment.example.de“ ist keine Webadresse. Bitte geben Sie sie mit https:// ein, "
        "so wie der Betreiber der Plattform sie genannt hat."
    ]


def test_path_outside_demo_is_rejected(demo, settings):
    settings.DEMO = False

    assert errors(config(demo, base_url="/dev/xbezahldienste/"))["base_url"] == [
        "„/dev/xbezahldienste/“ ist ein Pfad auf diesem Server; das ist nur in der Demo "
        "erlaubt. Bitte geben Sie die vollständige Adresse mit https:// ein."
    ]


def test_oauth2_needs_client_secret_variable(demo):
    assert errors(config(demo, client_secret_env=""))["client_secret_env"] == [
        "Bitte füllen Sie dieses Feld aus, denn die Plattform verwendet OAuth2."
    ]


def test_certificate_needs_certificate_file(demo):
    platform = config(demo, auth_type=AuthType.CLIENT_CERTIFICATE)

    assert errors(platform)["cert_file"] == [
        "Bitte geben Sie den Pfad der Zertifikatsdatei an, denn die Plattform verwendet ein "
        "Client-Zertifikat."
    ]


def test_unknown_booking_source_is_rejected(demo):
    assert errors(config(demo, booking_keys={"iban": "IBAN"}))["booking_keys"] == [
        "Die Schlüssel der Buchungsdaten müssen ein JSON-Objekt sein, das die Werte "
        "kassenzeichen, ledger_account, budget_product, cost_center auf Schlüsselnamen "
        'abbildet, zum Beispiel {"ledger_account": "SACHKONTO"}.'
    ]


def test_second_active_platform_is_rejected(demo):
    config(demo).save()

    assert "__all__" in errors(config(demo, name="pmPayment"))
