import pytest
from django.utils import translation

from stadtkasse.backoffice.event_causes import cause_label


@pytest.mark.parametrize(
    ("cause", "label"),
    [
        ("redirect to provider", "an den Zahlungsdienst übergeben"),
        ("cash at the counter", "Bargeld an der Kasse"),
        (
            "citizen returned from provider (repeated, no change)",
            "vom Zahlungsdienst zurückgekehrt (wiederholt, keine Änderung)",
        ),
        (
            "late cancel (out of order, ignored)",
            "late cancel (in falscher Reihenfolge, nicht angewendet)",
        ),
        (
            "needs clarification: already_paid",
            "zu klären: Bestellung war schon durch eine andere Zahlung bezahlt",
        ),
        ("something new", "something new"),
    ],
)
def test_cause_label_in_german(cause, label):
    with translation.override("de"):
        assert cause_label(cause) == label
