"""Count the SQL queries of every request and append them to a log in the data folder."""

import json
import threading

from django.conf import settings
from django.db import connection

QUERY_LOG_NAME = "queries.jsonl"
_log_lock = threading.Lock()


class QueryCountMiddleware:
    """Count the queries a request sends, with the header X-Bench-Queries and a log line.

    The count starts when the request enters the middleware chain, so it misses only what
    runs before it: opening a connection (SQLite's init_command PRAGMAs) is not counted.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.log_path = settings.DATA_DIR / QUERY_LOG_NAME

    def __call__(self, request):
        statements: list[str] = []

        def count(execute, sql, params, many, context):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(len(statements))
        if not request.path.startswith(settings.STATIC_URL):
            entry = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "queries": len(statements),
                "statements": statements,
            }
            with _log_lock, open(self.log_path, "a") as log:
                log.write(json.dumps(entry) + "\n")
        return response
