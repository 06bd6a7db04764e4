"""The clarification queue and the refund form, over HTTP as staff use them."""

import pytest

from stadtkasse.core.models import AuditLogEntry
from stadtkasse.orders.models import OrderState
from stadtkasse.payments.models import (
    ClarificationOutcome,
    Payment,
    PaymentMethod,
    PaymentState,
    Refund,
    RefundState,
)
from stadtkasse.payments.providers.base import ProviderResult
from stadtkasse.payments.services import apply_provider_result

from .conftest import pay_online

QUEUE = "/verwaltung/klaerung/"
TICKET = [("tageskarte", "Erwachsene", 1, {})]  # 4,00 €


@pytest.fixture(autouse=True)
def demo_mode(settings):
    settings.DEMO = True


def pay_by_transfer(order, amount_cents, iban="DE02120300000000202051"):
    payment = Payment.objects.create(
        order=order, method=PaymentMethod.TRANSFER, amount_cents=amount_cents
    )
    return apply_provider_result(
        ProviderResult(
            payment_reference=str(payment.reference),
            state=PaymentState.CONFIRMED,
            amount_cents=amount_cents,
            data={"payer_iban": iban, "payer_name": "Erika Mustermann"},
        ),
        cause="bank statement line",
    )


def treasury_user():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from stadtkasse.core.roles import TREASURY, group_name

    user = get_user_model().objects.create_user("kaemmerei.web", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name(TREASURY)))
    return user


@pytest.fixture
def treasury(demo):
    from django.test import Client

    client = Client()
    client.force_login(treasury_user())
    return client


@pytest.fixture
def cashier(login):
    return login("kasse.buergerbuero")


def clarify(client, payment, action, **data):
    return client.post(f"{QUEUE}{payment.reference}/{action}/", data)


def test_queue_lists_flagged_payment(treasury, portal_order):
    order = portal_order(TICKET, pay=False)
    pay_by_transfer(order, 100)

    response = treasury.get(QUEUE)

    assert response.status_code == 200
    page = response.content.decode()
    assert order.code in page
    assert "Betrag ist kleiner als der offene Betrag (Teilzahlung)" in page
    assert "DE02120300000000202051" in page


def test_queue_forbidden_for_cashier(cashier):
    assert cashier.get(QUEUE).status_code == 403


def test_queue_needs_login(client, demo):
    response = client.get(QUEUE)

    assert response.status_code == 302
    assert response["Location"].startswith("/verwaltung/anmelden/")


def test_clarify_forbidden_for_cashier(cashier, portal_order):
    order = portal_order(TICKET, pay=False)
    payment = pay_by_transfer(order, 100)

    response = clarify(cashier, payment, "accept", reason="ok")

    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.needs_clarification is True


def test_accept_partial_payment(treasury, portal_order):
    order = portal_order(TICKET, pay=False)
    payment = pay_by_transfer(order, 100)

    response = clarify(treasury, payment, "accept", reason="Rest folgt")

    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.clarification_outcome == ClarificationOutcome.ACCEPTED
    follow = treasury.get(QUEUE).content.decode()
    assert f"Die Zahlung zählt jetzt so für den Auftrag {order.code}." in follow


def test_accept_without_reason_rejected(treasury, portal_order):
    order = portal_order(TICKET, pay=False)
    payment = pay_by_transfer(order, 100)

    response = clarify(treasury, payment, "accept", reason="")

    assert response.status_code == 400
    assert (
        "Bitte geben Sie einen Grund an, damit die Stadtkasse die Entscheidung "
        "nachvollziehen kann." in response.content.decode()
    )


def test_assign_unknown_order_named(treasury, portal_order):
    order = portal_order(TICKET, pay=False)
    payment = pay_by_transfer(order, 100)

    response = clarify(treasury, payment, "assign", target="ZZZZ2222", reason="Zweck")

    assert response.status_code == 400
    assert (
        "Es wurde kein Auftrag mit dem Code oder Kassenzeichen „ZZZZ2222“ gefunden."
        in response.content.decode()
    )


def test_assign_settles_other_order(treasury, portal_order):
    order = portal_order(TICKET, pay=False)
    other = portal_order([("tageskarte", "Erwachsene", 2, {})], pay=False)
    payment = pay_by_transfer(order, 800)

    clarify(treasury, payment, "assign", target=other.kassenzeichen, reason="Zweck vertauscht")

    other.refresh_from_db()
    assert other.state == OrderState.PAID
    entry = AuditLogEntry.objects.get(action="payment.clarification_reassigned")
    assert entry.data["to_order"] == other.code


def test_refund_too_high_message(treasury, portal_order):
    order = portal_order(TICKET, pay=False)
    payment = pay_by_transfer(order, 500)

    response = clarify(treasury, payment, "refund", amount="6,00", reason="zu viel")

    assert response.status_code == 400
    assert (
        "Der Betrag 6,00\u00a0€ ist zu hoch. Es können höchstens 5,00\u00a0€ erstattet werden."
        in response.content.decode()
    )


def test_refund_invalid_iban_named(treasury, portal_order):
    order = portal_order(TICKET, pay=False)
    payment = pay_by_transfer(order, 500)

    response = clarify(
        treasury,
        payment,
        "refund",
        amount="1,00",
        reason="zu viel",
        payee_name="Erika Mustermann",
        payee_iban="DE12 3456",
    )

    assert response.status_code == 400
    assert "„DE12 3456“ ist keine gültige IBAN." in response.content.decode()


def test_refund_missing_iban(treasury, portal_order):
    order = portal_order(TICKET, pay=False)
    payment = Payment.objects.create(order=order, method=PaymentMethod.TRANSFER, amount_cents=500)
    apply_provider_result(
        ProviderResult(str(payment.reference), PaymentState.CONFIRMED, amount_cents=500),
        cause="bank statement line",
    )

    response = clarify(treasury, payment, "refund", amount="1,00", reason="zu viel")

    assert response.status_code == 400
    assert (
        "Bitte geben Sie die IBAN des Kontos an, auf das die Erstattung geht."
        in response.content.decode()
    )


def test_refund_amount_not_a_number(treasury, portal_order):
    order = portal_order(TICKET, pay=False)
    payment = pay_by_transfer(order, 500)

    response = clarify(treasury, payment, "refund", amount="zehn", reason="zu viel")

    assert (
        "„zehn“ ist kein Betrag über null. Bitte geben Sie den zu erstattenden Betrag in "
        "Euro an, zum Beispiel 5,00." in response.content.decode()
    )


def test_refund_surplus_from_queue(treasury, portal_order):
    order = portal_order(TICKET, pay=False)
    payment = pay_by_transfer(order, 500)

    response = clarify(treasury, payment, "refund", amount="1,00", reason="zu viel überwiesen")

    assert response.status_code == 302
    order.refresh_from_db()
    refund = Refund.objects.get()
    assert refund.amount_cents == 100
    assert refund.payee_iban == "DE02120300000000202051"
    assert order.state == OrderState.PAID


def test_refund_form_twice_makes_one_refund(treasury, portal_order):
    order = portal_order(TICKET, pay=False)
    payment = pay_by_transfer(order, 500)
    data = {"amount": "1,00", "reason": "zu viel", "request_token": "abc123"}

    clarify(treasury, payment, "refund", **data)
    clarify(treasury, payment, "refund", **data)

    assert Refund.objects.count() == 1


def test_order_detail_shows_refund_form(treasury, portal_order):
    order = portal_order(TICKET)

    page = treasury.get(f"/verwaltung/journal/{order.code}/").content.decode()

    assert 'action="/verwaltung/erstattungen/auftrag/' in page
    assert "Erstatten" in page


def test_order_detail_hides_form_without_permission(login, portal_order):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    order = portal_order(TICKET)
    viewer = get_user_model().objects.create_user("nur.lesen", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_ledger"))
    client = login("nur.lesen")

    page = client.get(f"/verwaltung/journal/{order.code}/").content.decode()

    assert "erstattungen/auftrag" not in page


def test_refund_online_payment_from_order_page(treasury, portal_order):
    order = portal_order(TICKET)
    payment = order.payments.get()

    response = treasury.post(
        f"/verwaltung/erstattungen/auftrag/{order.code}/",
        {"payment": payment.pk, "amount": "1,50", "reason": "Kurs ausgefallen"},
    )

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert refund.state == RefundState.DONE
    page = treasury.get(response["Location"]).content.decode()
    assert "Erstattung über 1,50\u00a0€ erfasst: erledigt." in page
    assert "Kurs ausgefallen" in page


def test_refund_from_order_page_forbidden_for_cashier(cashier, portal_order):
    order = portal_order(TICKET)

    response = cashier.post(
        f"/verwaltung/erstattungen/auftrag/{order.code}/",
        {"payment": order.payments.get().pk, "reason": "x"},
    )

    assert response.status_code == 403
    assert Refund.objects.count() == 0


def test_refund_too_high_on_order_page(treasury, portal_order):
    order = portal_order(TICKET)

    response = treasury.post(
        f"/verwaltung/erstattungen/auftrag/{order.code}/",
        {"payment": order.payments.get().pk, "amount": "9,00", "reason": "x"},
        follow=True,
    )

    assert (
        "Der Betrag 9,00\u00a0€ ist zu hoch. Es können höchstens 4,00\u00a0€ erstattet werden."
        in response.content.decode()
    )


def test_full_refund_of_split_payment(treasury, portal_order):
    from stadtkasse.payments.clarification import accept_payment

    order = portal_order(TICKET, pay=False)
    transfer = pay_by_transfer(order, 150)
    accept_payment(transfer, user=treasury_user_of(treasury), reason="Teilzahlung")
    pay_online(order, 250)

    treasury.post(
        f"/verwaltung/erstattungen/auftrag/{order.code}/",
        {"payment": "all", "reason": "Veranstaltung abgesagt"},
    )

    assert sorted(Refund.objects.values_list("method", "amount_cents")) == [
        (PaymentMethod.EPAY, 250),
        (PaymentMethod.TRANSFER, 150),
    ]


def test_cash_payout_confirmed(treasury, sell_at_pool):
    order = sell_at_pool(1, PaymentMethod.CASH)
    treasury.post(
        f"/verwaltung/erstattungen/auftrag/{order.code}/",
        {"payment": order.payments.get().pk, "reason": "Bad geschlossen"},
    )
    refund = Refund.objects.get()
    assert refund.state == RefundState.PENDING

    treasury.post(f"/verwaltung/erstattungen/{refund.pk}/abschliessen/")

    refund.refresh_from_db()
    assert refund.state == RefundState.DONE


def treasury_user_of(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="kaemmerei.web")


def test_open_amount_only_for_payable_orders(treasury, portal_order):
    from stadtkasse.orders.services import transition

    waiting = portal_order([("meldebescheinigung", None, 1, {})], pay=False)
    page = treasury.get(f"/verwaltung/journal/{waiting.code}/").content.decode()
    assert "Offener Betrag" in page

    transition(waiting, OrderState.CANCELED, cause="test: canceled by the citizen")
    page = treasury.get(f"/verwaltung/journal/{waiting.code}/").content.decode()
    assert "Offener Betrag" not in page
