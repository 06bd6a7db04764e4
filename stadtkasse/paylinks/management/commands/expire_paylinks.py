from django.core.management.base import BaseCommand

from stadtkasse.paylinks.services import expire_stale_links


class Command(BaseCommand):
    help = "Expire the payment links whose time ran out, together with their orders."

    def handle(self, *args, **options):
        count = expire_stale_links()
        self.stdout.write(f"{count} payment link(s) expired.")
