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
        ("to be paid out in cash at the counter", "Barauszahlung an der Kasse steht aus"),
        (
            "paid out in cash, confirmed in the back office",
            "bar ausgezahlt, in der Verwaltung bestätigt",
        ),
        ("clarification: refunded", "Klärung: erstattet"),
        ("refunded by demo", "erstattet über Demo-Bezahldienst (Testgeld)"),
        ("refunded by gone", "erstattet über gone"),
        ("bank statement auszug.xml", "Kontoauszug auszug.xml"),
        ("bank line 4 assigned by hand", "Kontoauszugszeile von Hand zugeordnet"),
        (
            "mandate MS-51000000037 accepted, debit due 2026-12-11",
            "Mandat MS-51000000037 erteilt, Lastschrift fällig am 11.12.2026",
        ),
    ],
)
def test_cause_label_in_german(cause, label):
    with translation.override("de"):
        assert cause_label(cause) == label
