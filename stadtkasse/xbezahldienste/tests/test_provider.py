import pytest

from stadtkasse.payments.models import Payment, PaymentEvent, PaymentState
from stadtkasse.payments.providers import ProviderError, get_provider
from stadtkasse.payments.services import apply_provider_result
from stadtkasse.xbezahldienste.client import PlatformClient, PlatformError
from stadtkasse.xbezahldienste.models import PlatformTransaction
from stadtkasse.xbezahldienste.tests.conftest import control, pay_on_page, start


def sent_request(platform, payment) -> dict:
    """The payment request as the stub stored it."""
    return PlatformClient(platform).get_transaction(payment.provider_reference)["paymentRequest"]


def test_create_sends_amount_purpose_and_redirect(platform, order):
    payment, _url = start(order)
    request = sent_request(platform, payment)

    assert request["requestId"] == str(payment.reference)
    assert request["grosAmount"] == order.total_cents / 100
    assert request["currency"] == "EUR"
    assert request["purpose"] == order.kassenzeichen
    assert request["redirectUrl"] == f"http://testserver/zahlung/{payment.reference}/zurueck/"
    assert request["description"] == f"Stadt Musterstadt, Bestellung {order.code}"


def test_create_sends_items_with_booking_data(platform, order):
    payment, _url = start(order)
    items = sent_request(platform, payment)["items"]
    lines = list(order.lines.all())

    assert len(items) == 2
    for item, line in zip(items, lines, strict=True):
        assert item["reference"] == order.kassenzeichen
        assert item["quantity"] == line.quantity
        assert item["totalNetAmount"] + item["totalTaxAmount"] == pytest.approx(
            line.total_cents / 100
        )
        assert item["totalTaxAmount"] == line.vat_cents / 100
        assert item["taxRate"] == line.vat_rate / 100
        assert item["bookingData"] == {
            "KASSENZEICHEN": order.kassenzeichen,
            "SACHKONTO": line.ledger_account,
            "PRODUKT": line.budget_product,
            "KOSTENSTELLE": line.cost_center,
        }


def test_booking_mapping_follows_configuration(platform, order):
    platform.item_reference_source = "ledger_account"
    platform.booking_keys = {"cost_center": "KST"}
    platform.purpose_source = "order_code"
    platform.save()

    payment, _url = start(order)
    request = sent_request(platform, payment)

    assert request["purpose"] == order.code
    assert request["items"][0]["reference"] == "441100"
    assert request["items"][0]["bookingData"] == {"KST": "4240"}


def test_redirect_goes_to_payment_page(platform, stub, order):
    payment, url = start(order)
    transaction = PlatformTransaction.objects.get(payment=payment)

    assert url == f"{stub.base_url}paypage/{transaction.transaction_id}"
    assert payment.provider_reference == transaction.transaction_id
    assert transaction.status == "INITIAL"
    assert payment.state == PaymentState.PENDING


def test_return_carries_no_status(platform, order):
    payment, url = start(order)
    back = pay_on_page(url)

    assert back == f"http://testserver/zahlung/{payment.reference}/zurueck/"
    assert get_provider("xbezahldienste").parse_return(payment, {"status": "PAYED"}) is None


@pytest.mark.parametrize(
    ("action", "state"),
    [
        ("pay", PaymentState.CONFIRMED),
        ("cancel", PaymentState.CANCELED),
        ("fail", PaymentState.FAILED),
    ],
)
def test_status_maps_to_payment_state(platform, order, action, state):
    payment, url = start(order)
    pay_on_page(url, action)

    result = get_provider("xbezahldienste").fetch_status(payment)

    assert result.state == state
    assert result.payment_reference == str(payment.reference)


def test_initial_status_is_pending(platform, order):
    payment, _url = start(order)

    result = get_provider("xbezahldienste").fetch_status(payment)

    assert result.state == PaymentState.PENDING
    assert PlatformTransaction.objects.get(payment=payment).check_count == 1


def test_paid_status_records_platform_data(platform, order):
    payment, url = start(order)
    pay_on_page(url)

    result = get_provider("xbezahldienste").fetch_status(payment)
    transaction = PlatformTransaction.objects.get(payment=payment)

    assert result.amount_cents == order.total_cents
    assert result.data["payment_method"] == "CREDITCARD"
    assert transaction.status == "PAYED"
    assert transaction.transaction_reference.startswith("EP")


def test_status_fetched_twice_confirms_once(platform, order):
    payment, url = start(order)
    pay_on_page(url)
    provider = get_provider("xbezahldienste")

    for _ in range(2):
        apply_provider_result(provider.fetch_status(payment), cause="test")

    confirmations = PaymentEvent.objects.filter(payment=payment, to_state=PaymentState.CONFIRMED)
    payment.refresh_from_db()
    order.refresh_from_db()
    assert confirmations.exclude(from_state=PaymentState.CONFIRMED).count() == 1
    assert payment.state == PaymentState.CONFIRMED
    assert order.is_paid


def test_problem_json_becomes_provider_error(platform, stub, order):
    control(
        stub,
        faults=[
            {
                "path": "paymenttransaction",
                "method": "POST",
                "status": 422,
                "title": "Unprocessable Content",
                "functionalCode": "CALCULATION_ERROR",
            }
        ],
    )

    with pytest.raises(PlatformError) as caught:
        start(order)

    assert caught.value.status == 422
    assert caught.value.functional_code == "CALCULATION_ERROR"
    assert caught.value.problem_type == "urn:stadtkasse:xbezahldienste-stub:calculation_error"
    assert str(caught.value) == (
        "Teststub: HTTP 422 Unprocessable Content "
        "(type urn:stadtkasse:xbezahldienste-stub:calculation_error, "
        "functionalCode CALCULATION_ERROR)"
    )
    assert not Payment.objects.filter(order=order).exists()


def test_stub_checks_the_sum(platform, stub, order):
    client = PlatformClient(platform)
    request = {
        "requestId": "r-1",
        "currency": "EUR",
        "grosAmount": 10.0,
        "purpose": "X",
        "redirectUrl": "http://testserver/",
        "items": [{"reference": "1", "totalNetAmount": 5.0, "totalTaxAmount": 1.0}],
    }

    with pytest.raises(PlatformError) as caught:
        client.create_transaction(request)

    assert caught.value.functional_code == "CALCULATION_ERROR"


def test_unknown_transaction_is_not_found(platform):
    with pytest.raises(PlatformError) as caught:
        PlatformClient(platform).get_transaction("XBD-UNKNOWN")

    assert caught.value.status == 404


def test_slow_platform_times_out(platform, stub, order):
    platform.timeout_seconds = 1
    platform.save()
    control(stub, delay_seconds=2)

    with pytest.raises(ProviderError) as caught:
        start(order)

    assert str(caught.value).startswith("Teststub: timed out after 1 s (POST ")


def test_refund_is_refused(platform, order):
    payment, url = start(order)

    with pytest.raises(ProviderError) as caught:
        get_provider("xbezahldienste").refund(payment, 100)

    assert str(caught.value) == (
        "XBezahldienste 1.0 offers no refund call; refund the payment by bank transfer"
    )


def test_notification_is_rejected(platform):
    with pytest.raises(ProviderError):
        get_provider("xbezahldienste").parse_notification(b"{}", {})


def test_provider_offered_only_with_active_platform(demo, platform):
    provider = get_provider("xbezahldienste")

    assert provider.is_available()
    assert provider.name == "Online bezahlen (Testplattform)"
    platform.is_active = False
    platform.save()
    assert not provider.is_available()


def test_municipality_without_platform_is_refused(demo, platform, order):
    platform.is_active = False
    platform.save()

    with pytest.raises(ProviderError) as caught:
        start(order)

    assert str(caught.value) == "municipality musterstadt has no active e-payment platform"
