"""Helpers of the SEPA management commands."""

from pathlib import Path

from django.core.management.base import CommandError

from stadtkasse.core.models import Municipality


def municipality_option(slug: str) -> Municipality:
    """Return the municipality named by --municipality, or the only one there is."""
    if slug:
        found = Municipality.objects.filter(slug=slug).first()
        if found is None:
            raise CommandError(f"Municipality {slug!r} not found. Please check the short name.")
        return found
    towns = list(Municipality.objects.all()[:2])
    if len(towns) != 1:
        raise CommandError(
            f"{'No' if not towns else 'Several'} municipalities found; "
            "please name one with --municipality."
        )
    return towns[0]


def write_output(path: str, xml: bytes) -> None:
    """Write a copy of the file where the caller asked; the data folder keeps the original."""
    Path(path).write_bytes(xml)
