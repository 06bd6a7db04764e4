from django.http import HttpRequest


def municipality(request: HttpRequest) -> dict:
    """Expose the current municipality to every template."""
    return {"municipality": getattr(request, "municipality", None)}
