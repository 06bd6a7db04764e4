import os

from django.conf import settings
from django.core.management.base import BaseCommand

from stadtkasse.backoffice.demo import DEMO_CITIZEN, DEMO_PASSWORD, DEMO_STAFF


class Command(BaseCommand):
    help = "Print the addresses of the portal, the counter and the back office, and demo logins."

    def handle(self, *args, **options):
        host = os.environ.get("HOST", "127.0.0.1")
        port = os.environ.get("PORT", "8000")
        base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        lines = [
            "",
            "Stadtkasse is starting.",
            f"  Portal (citizens):        {base}/",
            f"  Counter (cashiers):       {base}/kasse/",
            f"  Back office (staff):      {base}/verwaltung/",
            f"  Django admin:             {base}/admin/",
            f"  Health check:             {base}/healthz",
            f"  Database:                 {engine}",
        ]
        if settings.DEMO:
            logins = [(username, role) for username, _first, _last, role, _places in DEMO_STAFF]
            logins.append((DEMO_CITIZEN[0], "citizen account in the portal"))
            width = max(len(username) for username, _role in logins)
            lines.append(f"Demo logins (password for all: {DEMO_PASSWORD}):")
            lines += [f"  {username:<{width}}  {role}" for username, role in logins]
        lines.append("")
        self.stdout.write("\n".join(lines))
