"""How application answers read for people: dates are stored as YYYY-MM-DD."""

from datetime import date


def answer_text(value: object) -> str:
    """Return an answer for display; an ISO date becomes DD.MM.YYYY."""
    text = str(value)
    try:
        return date.fromisoformat(text).strftime("%d.%m.%Y")
    except ValueError:
        return text
