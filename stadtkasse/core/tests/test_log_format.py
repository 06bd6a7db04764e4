"""Log lines carry the time with its UTC offset."""

import logging
import re

from stadtkasse.core.log_format import IsoTimeFormatter


def test_log_time_has_offset():
    formatter = IsoTimeFormatter("%(asctime)s %(levelname)s %(message)s")
    record = logging.LogRecord("stadtkasse", logging.INFO, __file__, 1, "sale stored", None, None)
    record.created = 1796457600.25  # 2026-12-05 08:00:00.250 UTC

    line = formatter.format(record)

    assert re.fullmatch(r"2026-12-05T\d\d:00:00\.250[+-]\d\d:\d\d INFO sale stored", line)
