import threading

import pytest
from django.db import connection

from stadtkasse.orders.models import OrderState
from stadtkasse.payments.errors import PaymentError
from stadtkasse.payments.models import (
    REFUND_TRANSITIONS,
    PaymentMethod,
    PaymentState,
    Refund,
    RefundKind,
    RefundState,
)
from stadtkasse.payments.providers.base import ProviderError
from stadtkasse.payments.providers.demo import DemoEpayProvider
from stadtkasse.payments.refunds import (
    Payee,
    complete_refund,
    fail_refund,
    mark_refunds_sent,
    refund_order,
    refund_payment,
    refundable_cents,
)
from stadtkasse.payments.services import open_amount_cents
from stadtkasse.payments.services import refund_payment as refund_payment_from_services

from .conftest import pay_by_transfer, pay_online, staff


def refund(payment, user, amount=100, **kwargs):
    return refund_payment(payment, amount_cents=amount, reason="Rückgabe", user=user, **kwargs)


def test_demo_provider_refund_done(order, treasurer):
    payment = pay_online(order)

    done = refund(payment, treasurer, 150)

    assert done.state == RefundState.DONE
    assert done.provider_reference.startswith("refund-")
    assert done.method == PaymentMethod.EPAY
    assert [(e.from_state, e.to_state) for e in done.events.all()] == [
        ("", "created"),
        ("created", "pending"),
        ("pending", "done"),
    ]


def test_provider_error_fails_refund(order, treasurer, monkeypatch):
    payment = pay_online(order)

    def reject(self, payment, amount_cents):
        raise ProviderError("refund rejected by the platform")

    monkeypatch.setattr(DemoEpayProvider, "refund", reject)

    failed = refund(payment, treasurer, 400)

    assert failed.state == RefundState.FAILED
    assert failed.events.last().cause == ("provider demo failed: refund rejected by the platform")
    # A failed refund frees its share of the payment.
    assert refundable_cents(payment) == 400


def test_cash_refund_pending_until_paid_out(demo, sell_at_counter, treasurer, cashier):
    order = sell_at_counter(PaymentMethod.CASH)
    payment = order.payments.get()

    pending = refund(payment, treasurer, 400)
    assert pending.state == RefundState.PENDING
    assert pending.events.last().cause == "to be paid out in cash at the counter"

    done = complete_refund(pending, cause="paid out at the counter", user=cashier)
    assert done.state == RefundState.DONE
    assert done.events.last().user == cashier


def test_card_refunds_pending(demo, sell_at_counter, treasurer):
    order = sell_at_counter(PaymentMethod.CARD_EXTERNAL)

    pending = refund(order.payments.get(), treasurer, 400)

    assert pending.state == RefundState.PENDING
    assert pending.events.last().cause == "to be refunded on the stand-alone card terminal"


def test_terminal_completion_stores_receipt(demo, sell_at_counter, treasurer):
    order = sell_at_counter(PaymentMethod.CARD_EXTERNAL)
    pending = refund(order.payments.get(), treasurer, 400)

    done = complete_refund(pending, cause="refunded on terminal", provider_reference="0042")

    assert done.provider_reference == "0042"


def test_completion_twice_has_effect_of_once(demo, sell_at_counter, treasurer):
    order = sell_at_counter(PaymentMethod.CASH)
    pending = refund(order.payments.get(), treasurer, 400)
    complete_refund(pending, cause="paid out")

    again = complete_refund(pending, cause="paid out")

    assert again.state == RefundState.DONE
    assert again.events.last().cause == "paid out (repeated, no change)"


def test_fail_after_done_recorded_not_applied(order, treasurer):
    done = refund(pay_online(order), treasurer, 400)

    after = fail_refund(done, cause="late failure")

    assert after.state == RefundState.DONE
    assert after.events.last().cause == "late failure (out of order, ignored)"


@pytest.mark.parametrize("start", [state.value for state in RefundState])
@pytest.mark.parametrize("target", [RefundState.DONE, RefundState.FAILED])
def test_refund_transition(demo, sell_at_counter, treasurer, start, target):
    order = sell_at_counter(PaymentMethod.CASH)
    item = refund(order.payments.get(), treasurer, 400)
    if start == RefundState.CREATED:
        Refund.objects.filter(pk=item.pk).update(state=RefundState.CREATED)
    elif start != RefundState.PENDING:
        (complete_refund if start == RefundState.DONE else fail_refund)(item, cause="setup")

    moved = (complete_refund if target == RefundState.DONE else fail_refund)(item, cause="step")

    allowed = target in REFUND_TRANSITIONS[RefundState(start)]
    assert moved.state == (target if allowed else start)


def test_transfer_refund_uses_payer_account(order, treasurer):
    payment = pay_by_transfer(order, 400)

    pending = refund(payment, treasurer, 400)

    assert pending.state == RefundState.PENDING
    assert pending.payee_iban == "DE02120300000000202051"
    assert pending.payee_name == "Erika Mustermann"


def test_transfer_refund_to_given_account(order, treasurer):
    payment = pay_by_transfer(order, 400)

    pending = refund(
        payment, treasurer, 400, payee=Payee("Max Muster", "de89 3704 0044 0532 0130 00")
    )

    assert pending.payee_iban == "DE89370400440532013000"


def test_invalid_iban_named(order, treasurer):
    payment = pay_by_transfer(order, 400)

    with pytest.raises(PaymentError) as raised:
        refund(payment, treasurer, 400, payee=Payee("Max Muster", "DE00 1234"))

    assert raised.value.message == (
        "„DE00 1234“ ist keine gültige IBAN. Bitte prüfen Sie sie, "
        "zum Beispiel DE02 1203 0000 0000 2020 51."
    )


def test_missing_iban_rejected(order, treasurer):
    from stadtkasse.payments.models import Payment

    payment = Payment.objects.create(order=order, method=PaymentMethod.TRANSFER, amount_cents=400)
    from stadtkasse.payments.providers.base import ProviderResult
    from stadtkasse.payments.services import apply_provider_result

    payment = apply_provider_result(
        ProviderResult(str(payment.reference), PaymentState.CONFIRMED, amount_cents=400),
        cause="bank statement line",
    )

    with pytest.raises(PaymentError) as raised:
        refund(payment, treasurer, 400)

    assert raised.value.message == (
        "Bitte geben Sie die IBAN des Kontos an, auf das die Erstattung geht. "
        "Eine Zahlung per Überweisung wird per Überweisung erstattet."
    )


def test_mark_refunds_sent_idempotent(order, treasurer):
    pending = refund(pay_by_transfer(order, 400), treasurer, 400)

    first = mark_refunds_sent([pending], file_reference="PAIN001-2026-001")
    second = mark_refunds_sent([pending], file_reference="PAIN001-2026-001")

    pending.refresh_from_db()
    assert [r.pk for r in first] == [pending.pk]
    assert second == []
    assert pending.state == RefundState.DONE
    assert pending.provider_reference == "PAIN001-2026-001"


def test_mark_refunds_sent_rejects_cash(demo, sell_at_counter, treasurer):
    order = sell_at_counter(PaymentMethod.CASH)
    pending = refund(order.payments.get(), treasurer, 400)

    with pytest.raises(ValueError):
        mark_refunds_sent([pending], file_reference="PAIN001-X")


def test_sum_of_refunds_capped(order, treasurer):
    payment = pay_online(order)
    refund(payment, treasurer, 300)

    with pytest.raises(PaymentError) as raised:
        refund(payment, treasurer, 200)

    assert raised.value.message == (
        "Der Betrag 2,00\u00a0€ ist zu hoch. Es können höchstens 1,00\u00a0€ erstattet werden."
    )
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("amount", [0, -100])
def test_amount_must_be_positive(order, treasurer, amount):
    payment = pay_online(order)

    with pytest.raises(PaymentError) as raised:
        refund(payment, treasurer, amount)

    assert raised.value.code == "invalid_refund_amount"


def test_reason_required(order, treasurer):
    with pytest.raises(PaymentError) as raised:
        refund_payment(pay_online(order), amount_cents=100, reason=" ", user=treasurer)

    assert raised.value.message == (
        "Bitte geben Sie einen Grund an, damit die Stadtkasse die Entscheidung nachvollziehen kann."
    )


def test_cashier_may_not_refund(order, cashier):
    with pytest.raises(PaymentError) as raised:
        refund(pay_online(order), cashier, 100)

    assert raised.value.code == "refund_not_allowed"


def test_supervisor_may_refund(order, supervisor):
    assert refund(pay_online(order), supervisor, 100).state == RefundState.DONE


def test_unconfirmed_payment_not_refundable(order, treasurer):
    from stadtkasse.payments.services import start_online_payment

    payment, _url = start_online_payment(
        order, provider_id="demo", return_url="http://t/__REF__", notify_url="http://t/n"
    )

    with pytest.raises(PaymentError) as raised:
        refund(payment, treasurer, 100)

    assert raised.value.code == "payment_not_refundable"


def test_request_token_makes_one_refund(order, treasurer):
    payment = pay_online(order)

    first = refund(payment, treasurer, 100, request_token="form-1")
    second = refund(payment, treasurer, 100, request_token="form-1")

    assert first.pk == second.pk
    assert Refund.objects.count() == 1


def test_services_module_hands_out_refunds():
    assert refund_payment_from_services is refund_payment


def test_split_payment_full_refund_mirrors_tenders(order, treasurer):
    from stadtkasse.payments.clarification import accept_payment

    transfer = pay_by_transfer(order, 150)
    accept_payment(transfer, user=treasurer, reason="Teilzahlung per Überweisung")
    online = pay_online(order, 250)
    order.refresh_from_db()
    assert order.state == OrderState.PAID

    refunds = refund_order(order, user=treasurer, reason="Veranstaltung abgesagt")

    assert [(r.payment_id, r.method, r.amount_cents) for r in refunds] == [
        (transfer.pk, PaymentMethod.TRANSFER, 150),
        (online.pk, PaymentMethod.EPAY, 250),
    ]
    assert [r.state for r in refunds] == [RefundState.PENDING, RefundState.DONE]
    assert open_amount_cents(order) == 400


def test_full_refund_twice_rejected(order, treasurer):
    pay_online(order)
    refund_order(order, user=treasurer, reason="Storno")

    with pytest.raises(PaymentError) as raised:
        refund_order(order, user=treasurer, reason="Storno")

    assert raised.value.message == (
        f"Für den Auftrag {order.code} ist nichts mehr zu erstatten: "
        "seine Zahlungen wurden schon erstattet."
    )


def test_refund_kind_is_refund(order, treasurer):
    assert refund(pay_online(order), treasurer).kind == RefundKind.REFUND


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_cannot_overdraw(demo, new_order, demo_mode):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are proven on PostgreSQL; SQLite serializes writers anyway")
    from stadtkasse.core.roles import TREASURY

    user = staff("kaemmerei.parallel", TREASURY)
    order = new_order(5)  # 20,00 €
    payment = pay_online(order)
    results, errors = [], []
    barrier = threading.Barrier(8)

    def take():
        try:
            barrier.wait()
            results.append(refund(payment, user, 1500))
        except PaymentError as error:
            errors.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 1
    assert errors == ["refund_too_high"] * 7
    assert refundable_cents(payment) == 500


def test_provider_without_refund_goes_by_transfer(order, treasurer, monkeypatch):
    payment = pay_online(order)
    monkeypatch.setattr(DemoEpayProvider, "can_refund", False)

    with pytest.raises(PaymentError) as missing:
        refund(payment, treasurer, 400)
    pending = refund(payment, treasurer, 400, payee=Payee("Max Muster", "DE89370400440532013000"))

    assert missing.value.code == "missing_iban"
    assert pending.method == PaymentMethod.TRANSFER
    assert pending.state == RefundState.PENDING
    assert pending.payee_iban == "DE89370400440532013000"
