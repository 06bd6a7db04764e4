from datetime import date

from django.core.management.base import BaseCommand, CommandError

from stadtkasse.sepa.commands import municipality_option, write_output
from stadtkasse.sepa.errors import SepaError
from stadtkasse.sepa.exports import DEBIT_SCHEMAS, export_direct_debits


class Command(BaseCommand):
    help = (
        "Write a pain.008 file of all SEPA direct debits due on or before --due that were "
        "not exported before, and mark them exported. The payments stay pending until the "
        "bank statement confirms them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--due", required=True, help="Last due date to include, YYYY-MM-DD.")
        parser.add_argument("--out", required=True, help="Path of the pain.008 file to write.")
        parser.add_argument(
            "--schema",
            default=DEBIT_SCHEMAS[0],
            help=f"XML schema: {' or '.join(DEBIT_SCHEMAS)} (default {DEBIT_SCHEMAS[0]}).",
        )
        parser.add_argument(
            "--municipality",
            default="",
            help="Short name of the municipality; needed only when there are several.",
        )

    def handle(self, *args, **options):
        try:
            due = date.fromisoformat(options["due"])
        except ValueError:
            error = SepaError("invalid_due_date", value=options["due"])
            raise CommandError(error.english_message) from None
        municipality = municipality_option(options["municipality"])
        try:
            result = export_direct_debits(municipality, due=due, schema=options["schema"])
        except SepaError as error:
            raise CommandError(error.english_message) from None
        if result is None:
            self.stdout.write(f"No direct debits due by {due.isoformat()}; no file written.")
            return
        write_output(options["out"], result.xml)
        sepa_file = result.sepa_file
        self.stdout.write(
            f"{sepa_file.transaction_count} direct debits, {sepa_file.total_cents} cents, "
            f"message id {sepa_file.message_id}, written to {options['out']}."
        )
