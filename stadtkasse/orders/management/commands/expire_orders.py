from django.core.management.base import BaseCommand

from stadtkasse.orders.services import expire_overdue_orders


class Command(BaseCommand):
    help = "Expire portal orders whose payment time ran out. Run it every few minutes (cron)."

    def handle(self, *args, **options):
        count = expire_overdue_orders()
        self.stdout.write(f"{count} orders expired.")
