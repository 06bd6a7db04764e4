from django.core.management.base import BaseCommand

from stadtkasse.xbezahldienste.services import poll_pending_payments


class Command(BaseCommand):
    help = (
        "Fetch the status of pending payments at e-payment platforms (XBezahldienste) "
        "whose citizens did not come back. Run it every few minutes (cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-age",
            type=int,
            default=5,
            metavar="MINUTES",
            help="Check payments started at least this many minutes ago (default 5).",
        )
        parser.add_argument(
            "--max-age",
            type=int,
            default=48,
            metavar="HOURS",
            help="Skip payments started more than this many hours ago (default 48).",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=200,
            help="Check at most this many payments per run, least recently checked first "
            "(default 200).",
        )

    def handle(self, *args, **options):
        counts = poll_pending_payments(
            min_age_minutes=options["min_age"],
            max_age_hours=options["max_age"],
            limit=options["limit"],
        )
        self.stdout.write(
            f"{counts.checked} payments checked: {counts.changed} changed, "
            f"{counts.still_pending} still pending, {counts.failed} failed."
        )
