from django.core.management.base import BaseCommand, CommandError

from stadtkasse.sepa.commands import municipality_option, write_output
from stadtkasse.sepa.errors import SepaError
from stadtkasse.sepa.exports import TRANSFER_SCHEMAS, export_refund_transfers


class Command(BaseCommand):
    help = "Write a pain.001 file of all pending refunds by bank transfer and mark them sent."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="Path of the pain.001 file to write.")
        parser.add_argument(
            "--schema",
            default=TRANSFER_SCHEMAS[0],
            help=f"XML schema: {' or '.join(TRANSFER_SCHEMAS)} (default {TRANSFER_SCHEMAS[0]}).",
        )
        parser.add_argument(
            "--municipality",
            default="",
            help="Short name of the municipality; needed only when there are several.",
        )

    def handle(self, *args, **options):
        municipality = municipality_option(options["municipality"])
        try:
            result = export_refund_transfers(municipality, schema=options["schema"])
        except SepaError as error:
            raise CommandError(error.english_message) from None
        if result is None:
            self.stdout.write("No refunds by transfer are pending; no file written.")
            return
        write_output(options["out"], result.xml)
        sepa_file = result.sepa_file
        self.stdout.write(
            f"{sepa_file.transaction_count} refund transfers, {sepa_file.total_cents} cents, "
            f"message id {sepa_file.message_id}, written to {options['out']}."
        )
