"""Template tags of the card terminal feature for the till's sale screen."""

from django import template

from stadtkasse.terminals.refunds import may_refund
from stadtkasse.terminals.services import may_run_end_of_day, terminal_for

register = template.Library()


@register.simple_tag
def till_terminal(point_of_sale, user) -> dict | None:
    """Return the till's active terminal and the user's rights on it, or None."""
    config = terminal_for(point_of_sale)
    if config is None:
        return None
    return {
        "config": config,
        "may_end_of_day": may_run_end_of_day(user),
        "may_refund": may_refund(user),
    }
