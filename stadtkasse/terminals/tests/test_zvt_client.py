"""The ZVT client against the simulator, byte for byte over TCP on 127.0.0.1."""

import socket
import time

import pytest

from stadtkasse.terminals.zvt.client import (
    ConnectionLost,
    TerminalTimeout,
    TerminalUnreachable,
    ZvtClient,
)


def client_for(simulator, **options) -> ZvtClient:
    options.setdefault("idle_timeout", 1.0)
    return ZvtClient("127.0.0.1", simulator.port, connect_timeout=1.0, ack_timeout=1.0, **options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_approve(simulator):
    seen = []
    outcome = client_for(simulator).authorize(1250, on_intermediate=seen.append)
    assert outcome.success
    assert outcome.status.amount_cents == 1250
    assert outcome.status.receipt_number == 1
    assert outcome.status.card_number == "6805********1234"
    assert "BETRAG EUR 12,50" in outcome.receipt_lines
    assert [status.code for status in seen] == [0x0A, 0x17]


def test_client_registers_before_the_command(simulator):
    client_for(simulator).authorize(100)
    commands = [message.command for message in simulator.received if message.cls != 0x80]
    assert commands[0] == (0x06, 0x00)
    assert commands[1] == (0x06, 0x01)


def test_decline_reports_result_code(simulator):
    simulator.scenario = "decline"
    outcome = client_for(simulator).authorize(1250)
    assert not outcome.success
    assert outcome.result_code == 0x05
    assert outcome.completion.aborted


def test_timeout_when_terminal_falls_silent(simulator):
    simulator.scenario = "timeout"
    with pytest.raises(TerminalTimeout) as caught:
        client_for(simulator, idle_timeout=0.3).authorize(1250)
    assert caught.value.outcome.intermediate[0].code == 0x0A


def test_drop_after_approval(simulator):
    simulator.scenario = "drop_after_approve"
    with pytest.raises(ConnectionLost):
        client_for(simulator).authorize(1250)


def test_repeat_receipt_returns_result_after_drop(simulator):
    simulator.scenario = "drop_after_approve"
    client = client_for(simulator)
    with pytest.raises(ConnectionLost):
        client.authorize(1250)
    outcome = client.repeat_receipt()
    assert outcome.status.approved
    assert outcome.status.amount_cents == 1250


def test_intermediate_status_restarts_the_timer(simulator):
    # 0.6 s of intermediate status every 0.1 s with an idle timeout of 0.3 s: only a
    # timer that restarts on each message lets the payment through.
    simulator.scenario = "slow_intermediate"
    simulator.interval = 0.1
    simulator.duration = 0.6
    started = time.monotonic()
    outcome = client_for(simulator, idle_timeout=0.3).authorize(1250)
    assert outcome.success
    assert time.monotonic() - started > 0.6
    assert len(outcome.intermediate) >= 5


def test_slow_terminal_times_out_without_intermediate_status(simulator):
    simulator.scenario = "slow_intermediate"
    simulator.interval = 0.5
    simulator.duration = 1.0
    with pytest.raises(TerminalTimeout):
        client_for(simulator, idle_timeout=0.3).authorize(1250)


def test_abort_during_card_phase(simulator):
    simulator.scenario = "slow_intermediate"
    simulator.interval = 0.1
    simulator.duration = 5
    outcome = client_for(simulator).authorize(1250, should_abort=lambda: True)
    assert outcome.abort_sent
    assert outcome.result_code == 0x6C
    assert not outcome.success


def test_reversal_of_approved_payment(simulator):
    client = client_for(simulator)
    receipt = client.authorize(800).status.receipt_number
    outcome = client.reverse(receipt)
    assert outcome.success
    assert outcome.status.amount_cents == 800


def test_second_reversal_is_refused(simulator):
    client = client_for(simulator)
    receipt = client.authorize(800).status.receipt_number
    client.reverse(receipt)
    outcome = client.reverse(receipt)
    assert outcome.result_code == 0xB4


def test_refund(simulator):
    outcome = client_for(simulator).refund(300)
    assert outcome.success
    assert outcome.status.amount_cents == 300


def test_end_of_day_totals(simulator):
    client = client_for(simulator)
    client.authorize(800)
    client.authorize(450)
    outcome = client.end_of_day()
    assert outcome.success
    assert outcome.status.amount_cents == 1250
    assert "Summe EUR 12.50" in outcome.receipt_lines


def test_status_enquiry(simulator):
    outcome = client_for(simulator).status_enquiry()
    assert outcome.success
    assert outcome.status.terminal_id == "52500123"


def test_unreachable_terminal():
    client = ZvtClient("127.0.0.1", free_port(), connect_timeout=0.5)
    with pytest.raises(TerminalUnreachable):
        client.authorize(100)
