"""Refunds of terminal payments on the till's terminal, with the simulator as the terminal."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from stadtkasse.core.models import Municipality
from stadtkasse.orders.pricing import LineRequest
from stadtkasse.payments.errors import PaymentError
from stadtkasse.payments.models import PaymentMethod, RefundState
from stadtkasse.payments.refunds import refund_payment, refundable_cents
from stadtkasse.terminals import refunds as terminal_refunds
from stadtkasse.terminals import services
from stadtkasse.terminals.errors import TerminalUseError
from stadtkasse.terminals.models import TerminalTransaction, TransactionKind, TransactionState

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(demo):
    return get_user_model().objects.get(username="aufsicht")


@pytest.fixture
def paid(terminal, pool_till, pool_cashier, product):
    """A card terminal payment of two adult day tickets (8,00 €), approved today."""
    ticket = product("tageskarte")
    lines = [LineRequest(ticket.pk, ticket.variants.get(name="Erwachsene").pk, 2)]
    dialogue = services.sell_by_terminal(pool_till, pool_cashier, lines, submit_token="paid")
    dialogue.refresh_from_db()
    assert dialogue.state == TransactionState.APPROVED
    return dialogue


def pending_refund(paid, supervisor, amount_cents=800):
    return refund_payment(
        paid.payment, amount_cents=amount_cents, reason="Bad geschlossen", user=supervisor
    )


def start(terminal, refund, user) -> TerminalTransaction:
    dialogue = terminal_refunds.start_terminal_refund(terminal, refund, user)
    dialogue.refresh_from_db()
    refund.refresh_from_db()
    return dialogue


def test_full_refund_today_is_a_reversal(terminal, simulator, paid, supervisor):
    refund = pending_refund(paid, supervisor)
    dialogue = start(terminal, refund, supervisor)

    assert dialogue.kind == TransactionKind.REVERSAL
    assert dialogue.state == TransactionState.APPROVED
    assert dialogue.refund_id == refund.pk
    assert refund.state == RefundState.DONE
    assert refund.provider_reference == str(dialogue.receipt_number)
    assert refund.events.last().cause == "reversed on the card terminal"
    assert refund.events.last().user == supervisor
    assert simulator.journal.entries[0].reversed


def test_partial_refund_is_a_card_refund(terminal, simulator, paid, supervisor):
    refund = pending_refund(paid, supervisor, 300)
    dialogue = start(terminal, refund, supervisor)

    assert dialogue.kind == TransactionKind.REFUND
    assert dialogue.state == TransactionState.APPROVED
    assert dialogue.amount_cents == 300
    assert refund.state == RefundState.DONE
    assert refund.events.last().cause == "refunded on the card terminal"
    assert simulator.journal.entries[-1].status.amount_cents == 300
    assert not simulator.journal.entries[0].reversed


def test_full_refund_of_yesterday_is_a_card_refund(terminal, paid, supervisor):
    TerminalTransaction.objects.filter(pk=paid.pk).update(
        finished_at=timezone.now() - timedelta(days=1)
    )
    refund = pending_refund(paid, supervisor)
    dialogue = start(terminal, refund, supervisor)

    assert dialogue.kind == TransactionKind.REFUND
    assert refund.state == RefundState.DONE


def test_full_refund_after_end_of_day_is_a_card_refund(terminal, pool_till, paid, supervisor):
    closing = services.start_end_of_day(pool_till, supervisor)
    closing.refresh_from_db()
    assert closing.state == TransactionState.APPROVED
    refund = pending_refund(paid, supervisor)
    dialogue = start(terminal, refund, supervisor)

    assert dialogue.kind == TransactionKind.REFUND
    assert refund.state == RefundState.DONE


def test_decline_keeps_refund_pending_then_retry(terminal, simulator, paid, supervisor):
    refund = pending_refund(paid, supervisor, 300)
    simulator.scenario = "decline"
    declined = start(terminal, refund, supervisor)

    assert declined.state == TransactionState.DECLINED
    assert declined.result_code == 0x05
    assert refund.state == RefundState.PENDING
    event = refund.events.last()
    assert event.cause == "declined by the card terminal"
    assert event.to_state == RefundState.PENDING
    assert event.data["terminal_transaction"] == declined.pk
    assert event.data["result_code"] == 0x05

    simulator.scenario = "approve"
    again = start(terminal, refund, supervisor)
    assert again.pk != declined.pk
    assert again.state == TransactionState.APPROVED
    assert refund.state == RefundState.DONE


def test_declined_reversal_is_retried_as_card_refund(terminal, simulator, paid, supervisor):
    # Reversed on the terminal's keypad already: the terminal declines a second reversal.
    simulator.journal.entries[0].reversed = True
    refund = pending_refund(paid, supervisor)
    declined = start(terminal, refund, supervisor)

    assert declined.kind == TransactionKind.REVERSAL
    assert declined.state == TransactionState.DECLINED
    assert refund.state == RefundState.PENDING

    again = start(terminal, refund, supervisor)
    assert again.kind == TransactionKind.REFUND
    assert again.state == TransactionState.APPROVED
    assert refund.state == RefundState.DONE


def test_timeout_keeps_refund_pending(terminal, simulator, paid, supervisor):
    refund = pending_refund(paid, supervisor, 300)
    simulator.scenario = "timeout"
    dialogue = start(terminal, refund, supervisor)

    # The terminal's last result, asked at once, shows the refund was aborted.
    assert dialogue.state == TransactionState.DECLINED
    assert dialogue.recovery_attempts == 1
    assert refund.state == RefundState.PENDING
    causes = [event.cause for event in refund.events.all()]
    assert causes[-2:] == ["card terminal result unknown", "declined by the card terminal"]


def test_unclear_refund_is_settled_by_recovery(terminal, simulator, paid, supervisor, monkeypatch):
    refund = pending_refund(paid, supervisor, 300)
    simulator.scenario = "timeout"
    original_recover = terminal_refunds.recover_refund
    monkeypatch.setattr(terminal_refunds, "recover_refund", lambda dialogue_id: None)
    dialogue = start(terminal, refund, supervisor)
    assert dialogue.state == TransactionState.UNCLEAR
    assert dialogue.message.startswith("Die Verbindung zum Terminal ist abgebrochen")

    # While the result is unclear, starting again shows the same transaction.
    assert start(terminal, refund, supervisor).pk == dialogue.pk

    recovered = original_recover(dialogue.pk)
    refund.refresh_from_db()
    assert recovered.state == TransactionState.DECLINED
    assert refund.state == RefundState.PENDING


def test_abort_keeps_refund_pending(terminal, simulator, paid, supervisor, monkeypatch):
    refund = pending_refund(paid, supervisor, 300)
    simulator.step_delay = 2
    monkeypatch.setattr(services, "run_in_background", lambda function, *args: None)
    dialogue = start(terminal, refund, supervisor)
    services.request_abort(dialogue)
    services.run_transaction(dialogue.pk)
    dialogue.refresh_from_db()
    refund.refresh_from_db()

    assert dialogue.state == TransactionState.DECLINED
    assert dialogue.result_code == 0x6C
    assert refund.state == RefundState.PENDING


def test_two_clicks_start_one_dialogue(terminal, paid, supervisor, monkeypatch):
    refund = pending_refund(paid, supervisor)
    monkeypatch.setattr(services, "run_in_background", lambda function, *args: None)
    first = start(terminal, refund, supervisor)
    second = start(terminal, refund, supervisor)

    assert second.pk == first.pk
    assert TerminalTransaction.objects.filter(refund=refund).count() == 1


def test_no_refund_beyond_what_was_paid(terminal, paid, supervisor):
    refund = pending_refund(paid, supervisor)
    start(terminal, refund, supervisor)
    assert refund.state == RefundState.DONE
    assert refundable_cents(paid.payment) == 0

    with pytest.raises(PaymentError) as caught:
        pending_refund(paid, supervisor, 100)
    assert caught.value.code == "refund_too_high"


def test_cashier_may_not_start_refund(terminal, paid, supervisor, pool_cashier):
    refund = pending_refund(paid, supervisor)
    with pytest.raises(TerminalUseError) as caught:
        terminal_refunds.start_terminal_refund(terminal, refund, pool_cashier)
    assert caught.value.code == "not_allowed"
    assert not TerminalTransaction.objects.filter(refund=refund).exists()


def test_done_refund_cannot_start_again(terminal, paid, supervisor):
    refund = pending_refund(paid, supervisor)
    start(terminal, refund, supervisor)
    with pytest.raises(TerminalUseError) as caught:
        terminal_refunds.start_terminal_refund(terminal, refund, supervisor)
    assert caught.value.code == "refund_not_pending"


def test_cash_refund_cannot_start(terminal, demo, pool_till, pool_cashier, product, supervisor):
    from stadtkasse.counter.services import sell

    ticket = product("tageskarte")
    order = sell(
        pool_till,
        pool_cashier,
        [LineRequest(ticket.pk, ticket.variants.get(name="Erwachsene").pk, 1)],
        method=PaymentMethod.CASH,
        tendered_cents=400,
    )
    refund = refund_payment(order.payments.get(), amount_cents=400, reason="x", user=supervisor)
    with pytest.raises(TerminalUseError) as caught:
        terminal_refunds.start_terminal_refund(terminal, refund, supervisor)
    assert caught.value.code == "refund_not_terminal"


def test_list_has_only_pending_terminal_refunds(
    terminal, demo, pool_till, pool_cashier, product, paid, supervisor
):
    from stadtkasse.counter.services import sell

    ticket = product("tageskarte")
    cash_order = sell(
        pool_till,
        pool_cashier,
        [LineRequest(ticket.pk, ticket.variants.get(name="Erwachsene").pk, 1)],
        method=PaymentMethod.CASH,
        tendered_cents=400,
    )
    refund_payment(cash_order.payments.get(), amount_cents=400, reason="bar", user=supervisor)
    done = pending_refund(paid, supervisor, 300)
    start(terminal, done, supervisor)
    waiting = pending_refund(paid, supervisor, 200)

    listed = list(terminal_refunds.pending_terminal_refunds(demo))
    assert [item.pk for item in listed] == [waiting.pk]
    other_town = Municipality.objects.create(slug="beispiel", name="Beispiel")
    assert not terminal_refunds.pending_terminal_refunds(other_town).exists()
