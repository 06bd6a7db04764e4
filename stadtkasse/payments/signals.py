"""Signals of the payment services, for features that keep their own records of a payment."""

from django.dispatch import Signal

# Sent once when a returned direct debit is recorded, inside its transaction, with the
# arguments payment, refund, reason_code and fee_cents.
chargeback_recorded = Signal()
