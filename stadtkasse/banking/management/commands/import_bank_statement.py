"""Import camt.052, camt.053 and camt.054 files: ``python -m stadtkasse import_bank_statement``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from stadtkasse.banking.errors import BankingError
from stadtkasse.banking.models import MatchState
from stadtkasse.banking.services import import_statement_file
from stadtkasse.core.models import Municipality


class Command(BaseCommand):
    help = (
        "Import bank statement files (camt.052, camt.053, camt.054 of versions 02 to 08), "
        "match incoming payments by Kassenzeichen and confirm them. Each file is imported "
        "whole or not at all; a file imported before changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="camt XML files")
        parser.add_argument(
            "--municipality",
            help="short name of the municipality the account belongs to; "
            "needed only where several are set up",
        )

    def handle(self, *args, files, municipality=None, **options):
        translation.activate("de")
        try:
            town = _municipality(municipality)
        except BankingError as error:
            raise CommandError(error.message) from error

        failed = 0
        for name in files:
            path = Path(name)
            try:
                with path.open("rb") as stream:
                    result = import_statement_file(
                        stream, file_name=path.name, municipality=town, user=None
                    )
            except OSError as error:
                failed += 1
                self.stderr.write(f"{name}: Datei kann nicht gelesen werden ({error.strerror}).")
                continue
            except BankingError as error:
                failed += 1
                self.stderr.write(f"{name}: {error.message}")
                continue
            self.stdout.write(
                f"{name}: {result.message_type}, "
                f"Buchungen {result.entries}, "
                f"zugeordnet {result.count(MatchState.MATCHED)}, "
                f"teilweise zugeordnet {result.count(MatchState.PARTLY_MATCHED)}, "
                f"nicht zugeordnet {result.count(MatchState.UNMATCHED)}, "
                f"ignoriert {result.count(MatchState.IGNORED)}, "
                f"als Duplikat übersprungen {result.duplicates}, "
                f"nicht gebucht {result.not_booked}"
            )
        if failed:
            raise CommandError(f"{failed} von {len(files)} Dateien nicht importiert.")


def _municipality(slug: str | None) -> Municipality:
    if slug:
        town = Municipality.objects.filter(slug=slug).first()
        if town is None:
            raise BankingError("unknown_municipality", value=slug)
        return town
    towns = list(Municipality.objects.order_by("pk")[:2])
    if not towns:
        raise BankingError("no_municipality")
    if len(towns) > 1:
        raise BankingError("several_municipalities")
    return towns[0]
