"""Django's database sessions, read with one fixed SQL query.

A till sends every sale with the cashier's session, and Django's store builds the ORM
lookup of the session anew on each request. This store sends the same SELECT as fixed
SQL text, which PostgreSQL keeps as a prepared statement. Writing, expiry and deletion
are Django's.
"""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:
            # As Django's store does: a missing or expired session starts a new key.
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])
