"""The bank account and creditor ID of the demo town Musterstadt.

The IBAN is a published test account. The creditor ID has valid check digits and the
national identifier 09999999999, which the Deutsche Bundesbank does not assign.
"""

from stadtkasse.core.models import Municipality
from stadtkasse.sepa.models import SepaSettings


def load_demo_sepa_settings(town: Municipality) -> SepaSettings:
    settings, _created = SepaSettings.objects.update_or_create(
        municipality=town,
        defaults={
            "payee_name": "Stadtkasse Musterstadt",
            "iban": "DE02120300000000202051",
            "bic": "BYLADEM1001",
            "bank_name": "Deutsche Kreditbank Berlin",
            "creditor_id": "DE98ZZZ09999999999",
            "mandate_prefix": "MS",
        },
    )
    return settings
