"""Messages for the cashier: result codes (BMP 27, 06 1E) and intermediate status (04 FF).

Result codes 01..63 come from the card issuer's authorisation system, and the terminal
passes them through. The others are the terminal's own error codes as Portalum.Zvt lists
them (src/Portalum.Zvt/Repositories/EnglishErrorMessageRepository.cs), and the intermediate
status codes follow its GermanIntermediateStatusRepository.cs. Texts are English msgids
with German texts in translations/de/terminals.json.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ABORTED = 0x6C

RESULT_MESSAGES = {
    0x00: _("The payment was approved."),
    0x64: _("The card could not be read. Please ask the customer to insert the card again."),
    0x65: _("The card has no readable data. Please try another card."),
    0x66: _("The card reader reported an error. Please try again."),
    0x67: _("This function is not allowed for girocards."),
    0x68: _("This function is not allowed for credit cards."),
    0x6A: _("The terminal's turnover memory is full. Please run the end-of-day closing."),
    0x6B: _("The terminal is not registered. Please ask the IT support."),
    ABORTED: _("The payment was canceled on the terminal or timed out."),
    0x6E: _("The card is blocked. Please ask for another means of payment."),
    0x6F: _("The currency is wrong. Please ask the IT support."),
    0x71: _("The credit on the card is not sufficient."),
    0x72: _("The card's chip reported an error. Please try again or use another card."),
    0x73: _("The card data are invalid. Please try another card."),
    0x77: _("The end-of-day closing is not possible now."),
    0x78: _("The card has expired. Please ask for another card."),
    0x79: _("The card is not yet valid. Please ask for another card."),
    0x7A: _("The terminal does not know this card. Please ask for another card."),
    0x7D: _("The terminal cannot reach the payment network. Please try again in a moment."),
    0x83: _("The terminal cannot carry out this function."),
    0x9A: _("The terminal did not understand the request. Please ask the IT support."),
    0x9B: _("The terminal could not connect to the payment network. Please try again."),
    0x9C: _("The terminal is busy. Please wait a moment and try again."),
    0xA0: _("The terminal is not ready. Please wait a moment and try again."),
    0xA1: _("The payment network does not answer. Please try again in a moment."),
    0xA3: _("The terminal has no connection to the payment network."),
    0xB4: _("This payment has already been reversed."),
    0xB5: _("This payment can no longer be reversed. Please make a refund instead."),
    0xC3: _("The amount is above the terminal's maximum."),
    0xC5: _("The terminal does not accept this kind of card."),
    0xC8: _("The amount is too small for a card payment."),
    0xCC: _("The terminal's printer is not ready."),
    0xE2: _("The card reader does not answer. Please check the terminal."),
    0xF0: _("The terminal has an open end-of-day batch. Please run the end-of-day closing."),
    0xFF: _("The terminal reported a system error. Please try again or ask the IT support."),
}
DECLINED_BY_ISSUER = _(
    "The card issuer declined the payment (code %(code)s). Please ask for another means of payment."
)
UNKNOWN_RESULT = _("The terminal reported error code %(code)s. Please try again.")

INTERMEDIATE_MESSAGES = {
    0x00: pgettext_lazy("terminal display", "Waiting for the amount to be confirmed"),
    0x01: pgettext_lazy("terminal display", "Please watch the PIN pad"),
    0x02: pgettext_lazy("terminal display", "Please watch the PIN pad"),
    0x03: pgettext_lazy("terminal display", "Not possible"),
    0x04: pgettext_lazy("terminal display", "Waiting for the payment network"),
    0x05: pgettext_lazy("terminal display", "Terminal is reversing automatically"),
    0x07: pgettext_lazy("terminal display", "Card not accepted"),
    0x08: pgettext_lazy("terminal display", "Card unknown"),
    0x09: pgettext_lazy("terminal display", "Card expired"),
    0x0A: pgettext_lazy("terminal display", "Insert card"),
    0x0B: pgettext_lazy("terminal display", "Please remove the card"),
    0x0C: pgettext_lazy("terminal display", "Card not readable"),
    0x0D: pgettext_lazy("terminal display", "Canceled"),
    0x0E: pgettext_lazy("terminal display", "Processing, please wait"),
    0x10: pgettext_lazy("terminal display", "Card invalid"),
    0x12: pgettext_lazy("terminal display", "System error"),
    0x13: pgettext_lazy("terminal display", "Payment not possible"),
    0x14: pgettext_lazy("terminal display", "Credit not sufficient"),
    0x15: pgettext_lazy("terminal display", "Wrong PIN"),
    0x16: pgettext_lazy("terminal display", "Limit not sufficient"),
    0x17: pgettext_lazy("terminal display", "Please wait"),
    0x18: pgettext_lazy("terminal display", "PIN wrong too often"),
    0x19: pgettext_lazy("terminal display", "Card data wrong"),
    0x1D: pgettext_lazy("terminal display", "Authorization not possible"),
    0xD2: pgettext_lazy("terminal display", "Connecting to the payment network"),
    0xD3: pgettext_lazy("terminal display", "Connected to the payment network"),
    0xE0: pgettext_lazy("terminal display", "Waiting for the choice of the card application"),
    0xE1: pgettext_lazy("terminal display", "Waiting for the choice of language"),
}
WORKING = _("The terminal is working")


def result_message(code: int | None) -> str:
    """Return the sentence for the cashier for a result code."""
    if code is None:
        return str(UNKNOWN_RESULT % {"code": "–"})
    if code in RESULT_MESSAGES:
        return str(RESULT_MESSAGES[code])
    if 0x01 <= code <= 0x63:
        return str(DECLINED_BY_ISSUER % {"code": f"{code:02X}"})
    return str(UNKNOWN_RESULT % {"code": f"{code:02X}"})


def intermediate_message(code: int, texts: list[str] | None = None) -> str:
    """Return the text shown to the cashier for an intermediate status.

    The terminal's own display texts win when it sends some (status code FF means "see
    the texts"); an unknown code shows a neutral sentence.
    """
    if texts:
        return " · ".join(text.strip() for text in texts if text.strip())
    return str(INTERMEDIATE_MESSAGES.get(code, WORKING))
