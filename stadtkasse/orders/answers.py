"""Display of application answers: dates are stored as YYYY-MM-DD and shown as DD.MM.YYYY."""

from datetime import date


def answer_text(value: object) -> str:
    """Return an answer for display, with an ISO date written as DD.MM.YYYY."""
    text = str(value)
    try:
        return date.fromisoformat(text).strftime("%d.%m.%Y")
    except ValueError:
        return text
