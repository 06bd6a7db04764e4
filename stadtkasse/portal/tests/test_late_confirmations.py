"""Orders paid by transfer or direct debit get their confirmation from a job."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from stadtkasse.orders.models import Order, OrderState
from stadtkasse.payments.models import Payment, PaymentState
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.services import apply_provider_result

from .conftest import add, checkout

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(client, demo):
    return client


def order_paid_by(shop, product, provider: str, email: str = "gast@example.de") -> Order:
    add(shop, product("tageskarte"), "Erwachsene", 1)
    checkout(shop, email=email, provider=provider)
    payment = Payment.objects.select_related("order").latest("created_at")
    apply_provider_result(
        ProviderResult(
            payment_reference=str(payment.reference),
            state=PaymentState.CONFIRMED,
            amount_cents=payment.amount_cents,
        ),
        cause="credited on the bank statement",
    )
    order = Order.objects.get(pk=payment.order_id)
    assert order.state == OrderState.PAID
    mail.outbox.clear()
    return order


def run_job() -> str:
    from io import StringIO

    output = StringIO()
    call_command("send_confirmations", stdout=output)
    return output.getvalue()


def test_transfer_order_gets_confirmation(shop, product, settings):
    settings.PORTAL_URL = "https://kasse.musterstadt.example/"
    order = order_paid_by(shop, product, "transfer")

    output = run_job()

    assert output.strip() == "1 confirmations sent."
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["gast@example.de"]
    assert order.code in message.subject + message.body
    assert f"https://kasse.musterstadt.example/bestellung/{order.code}/" in message.body
    assert message.attachments[0][0] == f"Beleg-{order.code}.pdf"


def test_second_run_sends_nothing(shop, product):
    order_paid_by(shop, product, "transfer")
    run_job()
    mail.outbox.clear()

    assert run_job().strip() == "0 confirmations sent."
    assert mail.outbox == []


def test_direct_debit_order_gets_confirmation(shop, product):
    order_paid_by(shop, product, "sepa_debit")

    run_job()

    assert len(mail.outbox) == 1


def test_unpaid_transfer_order_gets_nothing(shop, product):
    add(shop, product("tageskarte"), "Erwachsene", 1)
    checkout(shop, provider="transfer")
    mail.outbox.clear()

    run_job()

    assert mail.outbox == []


def test_old_payments_are_left_out(shop, product):
    order = order_paid_by(shop, product, "transfer")
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=30))

    run_job()

    assert mail.outbox == []


def test_link_uses_the_town_domain(shop, product, demo, settings):
    settings.PORTAL_URL = ""
    demo.domain = "bezahlen.musterstadt.example"
    demo.save()
    order = order_paid_by(shop, product, "transfer")

    run_job()

    assert f"https://bezahlen.musterstadt.example/bestellung/{order.code}/" in mail.outbox[0].body


def refund_in_full(order: Order) -> None:
    """Refund the order's transfer by a transfer file, as the treasury does."""
    from stadtkasse.payments.refunds import Payee, mark_refunds_sent, refund_payment
    from stadtkasse.payments.tests.conftest import staff

    payment = order.payments.get(state=PaymentState.CONFIRMED)
    refund = refund_payment(
        payment,
        amount_cents=payment.amount_cents,
        reason="Antrag zurückgenommen",
        user=staff("kaemmerei.erstattung", "treasury"),
        payee=Payee(name="Erika Mustermann", iban="DE02120300000000202051"),
    )
    mark_refunds_sent([refund], file_reference="PAIN001-TEST")


def test_refunded_order_gets_no_confirmation(shop, product):
    order = order_paid_by(shop, product, "transfer")
    refund_in_full(order)

    output = run_job()

    assert output.strip() == "0 confirmations sent."
    assert mail.outbox == []


def test_order_page_shows_refund(shop, product):
    order = order_paid_by(shop, product, "transfer")
    refund_in_full(order)

    page = shop.get(order.get_absolute_url()).content.decode()

    assert 'kern-label">Bezahlt</span>' not in page
    assert 'kern-label">Erstattet</span>' in page
    assert "Erstattungen" in page
    # The amount's space is a non-breaking one.
    assert "4,00 € zurück per Überweisung – erstattet" in page.replace("\xa0", " ")
