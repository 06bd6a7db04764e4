"""Operational endpoints."""

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Report whether the application runs and its database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database_ok = True
    except DatabaseError:
        logger.exception("health check: database not reachable")
        database_ok = False
    body = {
        "status": "ok" if database_ok else "error",
        "database": {"reachable": database_ok, "vendor": connection.vendor},
    }
    return JsonResponse(body, status=200 if database_ok else 503)
