import sqlite3
import subprocess

import pytest

from stadtkasse.payments.models import PaymentState
from stadtkasse.payments.providers import ProviderError, get_provider
from stadtkasse.xbezahldienste.client import (
    TOKENS,
    PlatformClient,
    PlatformConfigError,
    PlatformError,
)
from stadtkasse.xbezahldienste.models import AuthType, PlatformConfig
from stadtkasse.xbezahldienste.tests.conftest import control, pay_on_page, start
from stadtkasse_dev.xbezahldienste.server import start as start_stub
from stadtkasse_dev.xbezahldienste.server import tls_context


def issued_tokens(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "stub.sqlite3") as db:
        return db.execute("SELECT count(*) FROM tokens").fetchone()[0]


def test_token_is_fetched_once_for_several_calls(platform, order, tmp_path):
    payment, _url = start(order)
    get_provider("xbezahldienste").fetch_status(payment)
    get_provider("xbezahldienste").fetch_status(payment)

    assert issued_tokens(tmp_path) == 1


def test_rejected_token_is_renewed(platform, stub, order, tmp_path):
    payment, url = start(order)
    pay_on_page(url)
    control(stub, revoke_tokens=True)

    result = get_provider("xbezahldienste").fetch_status(payment)

    assert result.state == PaymentState.CONFIRMED
    assert issued_tokens(tmp_path) == 1


def test_expired_token_is_renewed(platform, order, tmp_path):
    payment, _url = start(order)
    key = (platform.pk, platform.token_url, platform.client_id)
    TOKENS.put(key, "stale-token", -1)

    get_provider("xbezahldienste").fetch_status(payment)

    assert TOKENS.get(key) != "stale-token"
    assert issued_tokens(tmp_path) == 2


def test_wrong_secret_is_rejected(platform, order, monkeypatch):
    monkeypatch.setenv("XBD_TEST_CLIENT_SECRET", "falsch")

    with pytest.raises(PlatformError) as caught:
        start(order)

    assert caught.value.status == 401


def test_missing_secret_names_the_variable(platform, order, monkeypatch):
    monkeypatch.delenv("XBD_TEST_CLIENT_SECRET")

    with pytest.raises(PlatformConfigError) as caught:
        start(order)

    assert str(caught.value) == (
        "the client secret is missing: set the environment variable 'XBD_TEST_CLIENT_SECRET'"
    )


def test_relative_address_needs_the_demo(platform, settings):
    settings.DEMO = False
    platform.base_url = "/dev/xbezahldienste/"

    with pytest.raises(PlatformConfigError) as caught:
        PlatformClient(platform).get_transaction("XBD-1")

    assert str(caught.value) == (
        "relative address '/dev/xbezahldienste/' is only allowed in the demo"
    )


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def certificates(tmp_path):
    """A throwaway CA with a server certificate for 127.0.0.1 and a client certificate."""
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=Test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        cwd=tmp_path,
    )
    for name, extension in (
        ("server", "subjectAltName=IP:127.0.0.1"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            f"/CN={name}",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            cwd=tmp_path,
        )
        (tmp_path / f"{name}.ext").write_text(extension + "\n")
        openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            f"{name}.ext",
            "-out",
            f"{name}.pem",
            cwd=tmp_path,
        )
    return tmp_path


@pytest.fixture
def tls_stub(certificates):
    """The stub on HTTPS, accepting only clients with a certificate of the test CA."""
    context = tls_context(
        str(certificates / "server.pem"),
        str(certificates / "server.key"),
        str(certificates / "ca.pem"),
    )
    server = start_stub(store_path=str(certificates / "stub.sqlite3"), clients=None, tls=context)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def certificate_platform(demo, tls_stub, certificates):
    return PlatformConfig.objects.create(
        municipality=demo,
        name="TLS-Stub",
        display_name="Online bezahlen",
        base_url=tls_stub.base_url,
        originator_id="o",
        endpoint_id="e",
        auth_type=AuthType.CLIENT_CERTIFICATE,
        cert_file=str(certificates / "client.pem"),
        key_file=str(certificates / "client.key"),
        ca_file=str(certificates / "ca.pem"),
    )


def test_client_certificate_opens_the_platform(certificate_platform, order):
    payment, url = start(order)
    pay_on_page_over_tls = url.startswith("https://127.0.0.1:")

    result = get_provider("xbezahldienste").fetch_status(payment)

    assert pay_on_page_over_tls
    assert result.state == PaymentState.PENDING


def test_ssl_context_loads_the_certificate(certificate_platform):
    context = PlatformClient(certificate_platform).ssl_context()

    assert context.verify_mode.name == "CERT_REQUIRED"
    assert context.check_hostname


def test_platform_rejects_missing_certificate(certificate_platform, order):
    certificate_platform.auth_type = AuthType.OAUTH2_CLIENT_CREDENTIALS
    certificate_platform.token_url = certificate_platform.base_url + "oauth/token"
    certificate_platform.client_id = "x"
    certificate_platform.client_secret_env = "PATH"
    certificate_platform.save()

    with pytest.raises(ProviderError) as caught:
        start(order)

    assert str(caught.value).startswith("TLS-Stub: cannot reach https://127.0.0.1:")


def test_unknown_certificate_file_is_named(certificate_platform, certificates):
    certificate_platform.cert_file = str(certificates / "missing.pem")

    with pytest.raises(PlatformConfigError) as caught:
        PlatformClient(certificate_platform).ssl_context()

    assert str(caught.value).startswith(
        f"TLS-Stub: cannot load the client certificate '{certificates / 'missing.pem'}'"
    )
