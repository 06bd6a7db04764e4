from django.core.management.base import BaseCommand

from stadtkasse.portal.services.mail import send_late_confirmations


class Command(BaseCommand):
    help = (
        "Send the confirmation e-mail of portal orders that a bank statement or a collected "
        "direct debit paid. Run it every few minutes (cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=500, help="maximum e-mails per run (default 500)"
        )

    def handle(self, *args, limit: int, **options):
        count = send_late_confirmations(limit=limit)
        self.stdout.write(f"{count} confirmations sent.")
