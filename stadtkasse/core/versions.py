"""The configuration version of a municipality, which per-process copies compare.

Processes keep copies of data that sales read on every request and that staff change
rarely: products, operators, points of sale, the municipality's settings. Every change to
such data raises ``Municipality.config_version`` in the transaction of the change. A
request reads that number with the data it needs anyway and reloads a copy whose
number differs.
"""

from django.db.models import F

from stadtkasse.core.models import Municipality


def bump_config_version(municipality_id: int | None) -> None:
    """Raise the configuration version, so that every process reloads its copies."""
    if municipality_id is not None:
        Municipality.objects.filter(pk=municipality_id).update(
            config_version=F("config_version") + 1
        )
