"""Terminal services against the simulator: payments, faults and their recovery."""

import socket

import pytest
from django.contrib.auth import get_user_model

from stadtkasse.orders.models import OrderState
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.payments.models import PaymentState
from stadtkasse.terminals import services
from stadtkasse.terminals.errors import TerminalUseError
from stadtkasse.terminals.models import Charged, TerminalTransaction, TransactionState

pytestmark = pytest.mark.django_db


@pytest.fixture
def adult_tickets(product):
    ticket = product("tageskarte")
    return [LineRequest(ticket.pk, ticket.variants.get(name="Erwachsene").pk, 2)]


def sell(pool_till, pool_cashier, lines, token="t1") -> TerminalTransaction:
    dialogue = services.sell_by_terminal(pool_till, pool_cashier, lines, submit_token=token)
    dialogue.refresh_from_db()
    return dialogue


def test_approved_payment_pays_the_order(terminal, pool_till, pool_cashier, adult_tickets):
    dialogue = sell(pool_till, pool_cashier, adult_tickets)
    payment = dialogue.payment
    payment.refresh_from_db()
    assert dialogue.state == TransactionState.APPROVED
    assert dialogue.charged == Charged.YES
    assert payment.state == PaymentState.CONFIRMED
    assert payment.method == "card_terminal"
    assert payment.order.state == OrderState.PAID
    assert dialogue.card == "6805********1234"


def test_receipt_lines_are_stored_with_the_payment(
    terminal, pool_till, pool_cashier, adult_tickets
):
    dialogue = sell(pool_till, pool_cashier, adult_tickets)
    event = dialogue.payment.events.get(to_state=PaymentState.CONFIRMED)
    assert "Zahlung erfolgt" in event.data["receipt_lines"]
    assert event.data["card"] == "6805********1234"
    assert event.data["receipt_number"] == dialogue.receipt_number


def test_decline_leaves_an_open_order(terminal, simulator, pool_till, pool_cashier, adult_tickets):
    simulator.scenario = "decline"
    dialogue = sell(pool_till, pool_cashier, adult_tickets)
    dialogue.payment.refresh_from_db()
    assert dialogue.state == TransactionState.DECLINED
    assert dialogue.charged == Charged.NO
    assert dialogue.payment.state == PaymentState.FAILED
    assert dialogue.payment.order.state == OrderState.OPEN
    assert dialogue.message == (
        "Die kartenausgebende Bank hat die Zahlung abgelehnt (Code 05). Bitte fragen Sie "
        "nach einem anderen Zahlungsmittel."
    )


def test_declined_order_can_be_paid_again(
    terminal, simulator, pool_till, pool_cashier, adult_tickets
):
    simulator.scenario = "decline"
    declined = sell(pool_till, pool_cashier, adult_tickets)
    simulator.scenario = "approve"
    second = services.start_payment(declined.payment.order, pool_till, pool_cashier)
    second.refresh_from_db()
    assert second.state == TransactionState.APPROVED
    assert second.payment.order.state == OrderState.PAID


def test_declined_order_can_be_canceled(
    terminal, simulator, pool_till, pool_cashier, adult_tickets
):
    simulator.scenario = "decline"
    dialogue = sell(pool_till, pool_cashier, adult_tickets)
    order = services.cancel_unpaid_order(dialogue, pool_cashier)
    assert order.state == OrderState.CANCELED


def test_repeated_token_returns_the_first_transaction(
    terminal, pool_till, pool_cashier, adult_tickets
):
    first = sell(pool_till, pool_cashier, adult_tickets, token="same")
    again = sell(pool_till, pool_cashier, adult_tickets, token="same")
    assert again.pk == first.pk
    assert TerminalTransaction.objects.count() == 1


def test_unreachable_terminal_fails_without_charge(
    terminal, pool_till, pool_cashier, adult_tickets
):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        terminal.port = sock.getsockname()[1]
    terminal.save()
    dialogue = sell(pool_till, pool_cashier, adult_tickets)
    assert dialogue.state == TransactionState.FAILED
    assert dialogue.charged == Charged.NO
    assert dialogue.payment.order.state == OrderState.OPEN
    assert dialogue.message.startswith("Das Kartenterminal ist nicht erreichbar.")


def test_drop_after_approval_is_recovered_as_charged(
    terminal, simulator, pool_till, pool_cashier, adult_tickets
):
    simulator.scenario = "drop_after_approve"
    dialogue = sell(pool_till, pool_cashier, adult_tickets)
    dialogue.payment.refresh_from_db()
    assert dialogue.state == TransactionState.APPROVED
    assert dialogue.recovery_attempts == 1
    assert dialogue.payment.state == PaymentState.CONFIRMED
    assert dialogue.payment.order.state == OrderState.PAID


def test_timeout_is_recovered_as_not_charged(
    terminal, simulator, pool_till, pool_cashier, adult_tickets
):
    simulator.scenario = "timeout"
    dialogue = sell(pool_till, pool_cashier, adult_tickets)
    dialogue.payment.refresh_from_db()
    assert dialogue.state == TransactionState.DECLINED
    assert dialogue.charged == Charged.NO
    assert dialogue.payment.state == PaymentState.FAILED
    assert dialogue.payment.order.state == OrderState.OPEN


def test_unclear_when_terminal_gone_after_drop(
    terminal, simulator, pool_till, pool_cashier, adult_tickets, monkeypatch
):
    simulator.scenario = "drop_after_approve"
    monkeypatch.setattr(services, "recover_payment", lambda dialogue_id: None)
    dialogue = sell(pool_till, pool_cashier, adult_tickets)
    dialogue.payment.refresh_from_db()
    assert dialogue.state == TransactionState.UNCLEAR
    assert dialogue.charged == Charged.UNKNOWN
    assert dialogue.payment.state == PaymentState.PENDING
    assert dialogue.payment.order.state == OrderState.OPEN


def test_recovery_reverses_when_order_was_canceled(
    terminal, simulator, pool_till, pool_cashier, adult_tickets, monkeypatch
):
    simulator.scenario = "drop_after_approve"
    original_recover = services.recover_payment
    monkeypatch.setattr(services, "recover_payment", lambda dialogue_id: None)
    dialogue = sell(pool_till, pool_cashier, adult_tickets)
    order = dialogue.payment.order
    order.state = OrderState.CANCELED
    order.save()

    recovered = original_recover(dialogue.pk)
    recovered.payment.refresh_from_db()
    assert recovered.state == TransactionState.REVERSED
    assert recovered.charged == Charged.NO
    assert recovered.payment.state == PaymentState.FAILED
    assert simulator.journal.entries[0].reversed


def test_abort_requested_before_card(terminal, simulator, pool_till, pool_cashier, adult_tickets):
    simulator.scenario = "slow_intermediate"
    simulator.duration = 5
    monkeypatch_run = services.run_in_background
    services.run_in_background = lambda function, *args: None
    try:
        dialogue = sell(pool_till, pool_cashier, adult_tickets)
    finally:
        services.run_in_background = monkeypatch_run
    services.request_abort(dialogue)
    services.run_transaction(dialogue.pk)
    dialogue.refresh_from_db()
    assert dialogue.state == TransactionState.DECLINED
    assert dialogue.result_code == 0x6C
    assert (
        dialogue.message == "Die Zahlung wurde am Terminal abgebrochen oder hat zu lange gedauert."
    )
    # The payment's history names the cashier's cancel, not a declined card.
    assert dialogue.payment.events.last().cause == "canceled at the till"


def test_second_payment_while_one_runs_is_refused(
    terminal, pool_till, pool_cashier, adult_tickets, monkeypatch
):
    monkeypatch.setattr(services, "run_in_background", lambda function, *args: None)
    sell(pool_till, pool_cashier, adult_tickets, token="a")
    with pytest.raises(TerminalUseError) as caught:
        sell(pool_till, pool_cashier, adult_tickets, token="b")
    assert caught.value.code == "terminal_busy"


def test_no_terminal_configured(pool_till, pool_cashier, adult_tickets):
    with pytest.raises(TerminalUseError) as caught:
        sell(pool_till, pool_cashier, adult_tickets)
    assert caught.value.code == "no_terminal"


def test_end_of_day_needs_supervisor(terminal, pool_till, pool_cashier):
    with pytest.raises(TerminalUseError) as caught:
        services.start_end_of_day(pool_till, pool_cashier)
    assert caught.value.code == "not_allowed"


def test_end_of_day_by_supervisor(terminal, pool_till, pool_cashier, adult_tickets):
    sell(pool_till, pool_cashier, adult_tickets)
    supervisor = get_user_model().objects.create_superuser("chef", password="x")
    dialogue = services.start_end_of_day(pool_till, supervisor)
    dialogue.refresh_from_db()
    assert dialogue.state == TransactionState.APPROVED
    assert "Summe EUR 8.00" in dialogue.receipt_lines


def test_stale_running_transaction_becomes_unclear(
    terminal, pool_till, pool_cashier, adult_tickets, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    monkeypatch.setattr(services, "run_in_background", lambda function, *args: None)
    dialogue = sell(pool_till, pool_cashier, adult_tickets)
    TerminalTransaction.objects.filter(pk=dialogue.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    assert services.mark_stale_transactions(terminal) == 1
    dialogue.refresh_from_db()
    assert dialogue.state == TransactionState.UNCLEAR
