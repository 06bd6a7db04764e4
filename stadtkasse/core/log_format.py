"""Log formatting: times in ISO 8601 with their UTC offset.

Django sets the process time zone to ``TIME_ZONE``, while gunicorn's master process keeps
the system's. A time with its offset reads the same whichever process wrote it.
"""

import logging
from datetime import datetime


class IsoTimeFormatter(logging.Formatter):
    """Formatter whose ``asctime`` is ISO 8601 local time with milliseconds and offset."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        moment = datetime.fromtimestamp(record.created).astimezone()
        return moment.isoformat(timespec="milliseconds")
