from django.core.management.base import BaseCommand

from stadtkasse.backoffice.demo import load_demo
from stadtkasse.core.models import Municipality


class Command(BaseCommand):
    help = "Load the demo town Musterstadt into an empty database; do nothing otherwise."

    def handle(self, *args, **options):
        if Municipality.objects.exists():
            self.stdout.write("The database has data already; the demo data was not loaded.")
            return
        town = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {town.name}."))
