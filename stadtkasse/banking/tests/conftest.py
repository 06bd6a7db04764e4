"""Fixtures of the banking tests: a town with the orders that the files in data/ pay."""

import uuid
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SAMPLES = Path("/work/shared/data/bank-samples")

# Running number -> total in cents of the orders the test files refer to.
ORDER_TOTALS = {
    101: 2500,
    102: 1250,
    103: 3000,
    104: 4500,
    105: 6000,
    106: 8000,
    107: 1000,
    108: 1500,
    109: 2000,
    110: 2000,
    111: 5000,
    112: 4000,
    113: 3300,
    114: 10000,
    115: 2850,
    116: 2500,
    117: 3000,
    118: 2000,
    119: 1900,
    120: 4200,
}
# Orders paid by direct debit: their pending payment's reference is the EndToEndId.
DIRECT_DEBIT_ORDERS = (116, 117, 118)
# Orders whose citizen chose a bank transfer in the portal: a pending transfer exists.
PORTAL_TRANSFER_ORDERS = (115,)


def payment_reference(number: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-8000-000000000{number}")


@pytest.fixture
def town(db):
    from stadtkasse.core.models import Municipality

    return Municipality.objects.create(
        slug="musterstadt",
        name="Stadt Musterstadt",
        kassenzeichen_prefix="51",
        kassenzeichen_width=8,
        kassenzeichen_method="mod10",
    )


@pytest.fixture
def orders(town):
    """The open orders 101 to 120 of the town, by running number."""
    from stadtkasse.core import kassenzeichen as kz
    from stadtkasse.orders.models import Order, OrderState
    from stadtkasse.payments.models import Payment, PaymentState

    result = {}
    for number, total in ORDER_TOTALS.items():
        order = Order.objects.create(
            municipality=town,
            code=f"B-{number}",
            kassenzeichen=kz.build("51", number, 8, "mod10"),
            channel="portal",
            total_cents=total,
            state=OrderState.PENDING_PAYMENT,
        )
        if number in DIRECT_DEBIT_ORDERS:
            Payment.objects.create(
                order=order,
                method="sepa_debit",
                provider="sepa",
                amount_cents=total,
                state=PaymentState.PENDING,
                reference=payment_reference(number),
            )
        if number in PORTAL_TRANSFER_ORDERS:
            Payment.objects.create(
                order=order,
                method="transfer",
                provider="bank",
                amount_cents=total,
                state=PaymentState.PENDING,
            )
        result[number] = order
    return result


@pytest.fixture
def import_file(town):
    """Import a file from data/ (or a path) and return the result."""
    from stadtkasse.banking.services import import_statement_file

    def run(name, user=None):
        path = name if isinstance(name, Path) else DATA / name
        with path.open("rb") as stream:
            return import_statement_file(stream, file_name=path.name, municipality=town, user=user)

    return run


@pytest.fixture
def treasurer(db):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from stadtkasse.core.roles import TREASURY, ensure_roles, group_name

    ensure_roles()
    user = get_user_model().objects.create_user(
        "kasse.stadt",
        password="geheim-123",
        is_staff=True,
        first_name="Petra",
        last_name="Kämmerer",
    )
    user.groups.add(Group.objects.get(name=group_name(TREASURY)))
    return user
