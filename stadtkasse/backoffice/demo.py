"""The demo town Musterstadt: operators, points of sale, catalog and staff accounts.

Fees and tariffs are real published figures (December 2026): the Bürgerbüro fees from
PAuswGebV and §15 PassV, the pool tariff of the open-air pool of Gemeinde Höchst i. Odw.,
the parking tariff of Stadtwerke Leonberg (Parkhaus Altstadt). Booking targets
(Sachkonto, Produkt, Kostenstelle) are made-up examples in the style of municipal budgets.
"""

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from stadtkasse.catalog.models import (
    ApplicationField,
    Category,
    FieldKind,
    Product,
    ProductKind,
    Variant,
    VatTreatment,
)
from stadtkasse.core.channels import Channel
from stadtkasse.core.models import Municipality, Operator, PointOfSale
from stadtkasse.core.roles import (
    ADMINISTRATOR,
    CASHIER,
    CATALOG_MANAGER,
    SUPERVISOR,
    TREASURY,
    ensure_roles,
    group_name,
)
from stadtkasse.sepa.demo import load_demo_sepa_settings
from stadtkasse.terminals.demo import add_demo_terminal
from stadtkasse.xbezahldienste.demo import load_demo_platform

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "musterstadt"

# username, first name, last name, role, points of sale (operator slug, pos slug)
DEMO_STAFF = [
    ("admin", "Alex", "Admin", ADMINISTRATOR, []),
    ("kasse.buergerbuero", "Berit", "Schalter", CASHIER, [("buergerbuero", "schalter-1")]),
    ("kasse.hallenbad", "Hanna", "Kasse", CASHIER, [("hallenbad", "kasse")]),
    (
        "aufsicht",
        "Sami",
        "Aufsicht",
        SUPERVISOR,
        [("buergerbuero", "schalter-1"), ("hallenbad", "kasse")],
    ),
    ("stadtkasse", "Tomke", "Kasse", TREASURY, []),
    ("katalog", "Kim", "Katalog", CATALOG_MANAGER, []),
]
DEMO_CITIZEN = ("buerger@musterstadt.example", "Maria", "Muster")

IMPRINT = """Stadt Musterstadt
vertreten durch die Bürgermeisterin
Rathausplatz 1
12345 Musterstadt

Telefon: 01234 567-0
E-Mail: info@musterstadt.example

Die Stadt Musterstadt ist eine Körperschaft des öffentlichen Rechts.
Zuständige Aufsichtsbehörde: Landratsamt Musterkreis.

Dies ist eine Demo-Installation von Stadtkasse. Alle Angaben sind erfunden."""

PRIVACY = """Verantwortlich für die Verarbeitung Ihrer Daten ist die Stadt Musterstadt,
Rathausplatz 1, 12345 Musterstadt.

Wir verarbeiten Ihre Daten nur, um Ihre Bestellung oder Ihren Antrag zu bearbeiten und
die Zahlung zu buchen (Art. 6 Abs. 1 Buchst. c und e DSGVO). Dazu gehören Ihre
E-Mail-Adresse, die Angaben im Antrag und die Zahlungsdaten. Buchungsbelege bewahren wir
nach den Vorschriften des Haushaltsrechts und der Abgabenordnung auf (in der Regel zehn Jahre).

Dieses Portal setzt nur ein technisch notwendiges Cookie für Ihre Sitzung und den
Warenkorb. Es gibt keine Analyse- oder Werbe-Cookies und keine Anfragen an Dritte.

Sie haben das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung der Verarbeitung
und Widerspruch sowie das Recht, sich bei der Datenschutzaufsichtsbehörde zu beschweren.
Unsere Datenschutzbeauftragte erreichen Sie unter datenschutz@musterstadt.example."""

ACCESSIBILITY = """Die Stadt Musterstadt ist bemüht, dieses Portal barrierefrei zugänglich zu
machen. Rechtsgrundlage sind das Behindertengleichstellungsgesetz und die
Barrierefreie-Informationstechnik-Verordnung (BITV 2.0).

Stand der Vereinbarkeit: Das Portal ist mit den Anforderungen der BITV 2.0 weitgehend
vereinbar. Jede Seite wird automatisch mit axe-core geprüft; der Bestellvorgang ist
vollständig mit der Tastatur bedienbar.

Barriere melden: Wenn Ihnen Mängel auffallen, schreiben Sie an
barrierefreiheit@musterstadt.example oder rufen Sie 01234 567-0 an.

Schlichtungsverfahren: Wenn Sie keine zufriedenstellende Antwort erhalten, können Sie die
Schlichtungsstelle nach § 16 BGG anrufen."""


def _product(municipality, operator, category, slug, name, kind, vat, variants, **extra):
    fields = extra.pop("fields", [])
    product = Product.objects.create(
        municipality=municipality,
        operator=operator,
        category=category,
        slug=slug,
        name=name,
        kind=kind,
        vat_treatment=vat,
        **extra,
    )
    for position, variant in enumerate(variants):
        label, cents, *ages = variant
        min_age, max_age = (ages + [None, None])[:2]
        Variant.objects.create(
            product=product,
            name=label,
            price_cents=cents,
            min_age=min_age,
            max_age=max_age,
            position=position,
        )
    for position, (key, label, field_kind, help_text) in enumerate(fields):
        ApplicationField.objects.create(
            product=product,
            key=key,
            label=label,
            kind=field_kind,
            help_text=help_text,
            position=position,
        )
    return product


@transaction.atomic
def load_demo() -> Municipality:
    """Create Musterstadt with its catalog and demo accounts in an empty database."""
    ensure_roles()
    town = Municipality.objects.create(
        slug="musterstadt",
        name="Stadt Musterstadt",
        address="Rathausplatz 1\n12345 Musterstadt",
        email="info@musterstadt.example",
        phone="01234 567-0",
        kassenzeichen_prefix="51",
        imprint=IMPRINT,
        privacy_policy=PRIVACY,
        accessibility_statement=ACCESSIBILITY,
    )
    office = Operator.objects.create(
        municipality=town,
        slug="buergerbuero",
        name="Bürgerbüro",
        address="Rathausplatz 1\n12345 Musterstadt",
    )
    pool = Operator.objects.create(
        municipality=town,
        slug="hallenbad",
        name="Hallenbad Musterstadt",
        address="Badstraße 5\n12345 Musterstadt",
        vat_id="DE123456789",
    )
    garage = Operator.objects.create(
        municipality=town,
        slug="parkhaus",
        name="Parkhaus Altstadt",
        address="Marktgasse 2\n12345 Musterstadt",
        vat_id="DE123456789",
    )
    PointOfSale.objects.create(
        operator=office, slug="schalter-1", name="Schalter 1", channel=Channel.COUNTER
    )
    PointOfSale.objects.create(operator=pool, slug="kasse", name="Kasse", channel=Channel.COUNTER)
    PointOfSale.objects.create(
        operator=garage, slug="kassenautomat", name="Kassenautomat", channel=Channel.KIOSK
    )

    ids = Category.objects.create(
        municipality=town,
        slug="ausweise",
        name="Ausweise und Pässe",
        position=1,
        description="Personalausweis, Reisepass und vorläufige Dokumente beantragen und bezahlen.",
    )
    registry = Category.objects.create(
        municipality=town,
        slug="bescheinigungen",
        name="Bescheinigungen und Genehmigungen",
        position=2,
        description="Meldebescheinigung, Führungszeugnis, Bewohnerparkausweis.",
    )
    swim = Category.objects.create(
        municipality=town,
        slug="schwimmen",
        name="Schwimmen",
        position=3,
        description=(
            "Eintrittskarten für das Hallenbad. Kinder unter 6 Jahren haben freien Eintritt."
        ),
    )
    parking = Category.objects.create(
        municipality=town,
        slug="parken",
        name="Parken",
        position=4,
        description="Tickets für das Parkhaus Altstadt.",
    )

    fee = {"ledger_account": "431100", "budget_product": "122010", "cost_center": "1220"}
    birth_date = [
        (
            "geburtsdatum",
            "Geburtsdatum der antragstellenden Person",
            FieldKind.BIRTH_DATE,
            "Die Gebühr richtet sich nach dem Alter am Tag des Antrags.",
        )
    ]
    not_taxable = VatTreatment.NOT_TAXABLE

    _product(
        town,
        office,
        ids,
        "personalausweis",
        "Personalausweis",
        ProductKind.FEE,
        not_taxable,
        [("24 Jahre und älter", 4600, 24), ("unter 24 Jahre", 2760, None, 23)],
        fields=birth_date,
        featured=True,
        position=1,
        barcode="1001",
        short_description="Gebühr für einen neuen Personalausweis (10 Jahre gültig).",
        description="Die Gebühr beträgt 46,00 € ab 24 Jahren und 27,60 € unter 24 Jahren "
        "(Personalausweisgebührenverordnung). Bitte bringen Sie zum Termin ein "
        "biometrisches Passfoto und Ihren alten Ausweis mit.",
        **fee,
    )
    _product(
        town,
        office,
        ids,
        "vorlaeufiger-personalausweis",
        "Vorläufiger Personalausweis",
        ProductKind.FEE,
        not_taxable,
        [("Vorläufiger Personalausweis", 1000)],
        position=2,
        barcode="1002",
        short_description="Gebühr für einen vorläufigen Personalausweis.",
        **fee,
    )
    _product(
        town,
        office,
        ids,
        "reisepass",
        "Reisepass (32 Seiten)",
        ProductKind.FEE,
        not_taxable,
        [("24 Jahre und älter", 7000, 24), ("unter 24 Jahre", 3750, None, 23)],
        fields=birth_date,
        featured=True,
        position=3,
        barcode="1003",
        short_description="Gebühr für einen Reisepass mit 32 Seiten.",
        description="70,00 € ab 24 Jahren, 37,50 € unter 24 Jahren (§ 15 Passverordnung).",
        **fee,
    )
    _product(
        town,
        office,
        ids,
        "reisepass-48-seiten",
        "Zuschlag Reisepass mit 48 Seiten",
        ProductKind.FEE,
        not_taxable,
        [("Zuschlag 48 Seiten", 2200)],
        position=4,
        barcode="1004",
        **fee,
    )
    _product(
        town,
        office,
        ids,
        "reisepass-express",
        "Zuschlag Reisepass im Expressverfahren",
        ProductKind.FEE,
        not_taxable,
        [("Zuschlag Express", 3200)],
        position=5,
        barcode="1005",
        **fee,
    )
    _product(
        town,
        office,
        ids,
        "vorlaeufiger-reisepass",
        "Vorläufiger Reisepass",
        ProductKind.FEE,
        not_taxable,
        [("Vorläufiger Reisepass", 2600)],
        position=6,
        barcode="1006",
        **fee,
    )
    # A photo taken at the office competes with photo studios, so it is a taxable service.
    _product(
        town,
        office,
        ids,
        "passfoto",
        "Passfoto (digital, im Bürgerbüro)",
        ProductKind.GOODS,
        VatTreatment.STANDARD,
        [("Passfoto digital", 600)],
        position=7,
        barcode="1007",
        sold_portal=False,
        short_description="Biometrisches Passfoto, direkt im Bürgerbüro aufgenommen.",
        **fee,
    )
    _product(
        town,
        office,
        registry,
        "meldebescheinigung",
        "Meldebescheinigung",
        ProductKind.FEE,
        not_taxable,
        [("Meldebescheinigung", 500)],
        featured=True,
        position=1,
        barcode="1101",
        short_description="Bescheinigung über Ihre Anschrift.",
        **fee,
    )
    _product(
        town,
        office,
        registry,
        "fuehrungszeugnis",
        "Führungszeugnis",
        ProductKind.FEE,
        not_taxable,
        [("Führungszeugnis", 1300)],
        position=2,
        barcode="1102",
        short_description="Antrag auf ein Führungszeugnis beim Bundesamt für Justiz.",
        description="Die Gebühr von 13,00 € legt das Justizverwaltungskostengesetz fest.",
        **fee,
    )
    _product(
        town,
        office,
        registry,
        "bewohnerparkausweis",
        "Bewohnerparkausweis (1 Jahr)",
        ProductKind.FEE,
        not_taxable,
        [("Bewohnerparkausweis 1 Jahr", 12000)],
        position=3,
        barcode="1103",
        fields=[("kennzeichen", "Kfz-Kennzeichen", FieldKind.TEXT, "Zum Beispiel MU-AB 123")],
        short_description="Parkausweis für Bewohner:innen einer Parkzone, ein Jahr gültig.",
        **fee,
    )

    pool_targets = {"ledger_account": "441100", "budget_product": "424010", "cost_center": "4240"}
    reduced = VatTreatment.REDUCED
    _product(
        town,
        pool,
        swim,
        "tageskarte",
        "Tageskarte Hallenbad",
        ProductKind.TICKET,
        reduced,
        [("Erwachsene", 400), ("Ermäßigt (6–18 Jahre, Studierende)", 200), ("Familie", 900)],
        featured=True,
        position=1,
        barcode="2001",
        short_description="Eintritt für einen Tag. Kinder unter 6 Jahren frei.",
        **pool_targets,
    )
    _product(
        town,
        pool,
        swim,
        "abendkarte",
        "Abendkarte ab 18 Uhr",
        ProductKind.TICKET,
        reduced,
        [("Erwachsene", 250)],
        position=2,
        barcode="2002",
        **pool_targets,
    )
    _product(
        town,
        pool,
        swim,
        "zehnerkarte",
        "10er-Karte Hallenbad",
        ProductKind.TICKET,
        reduced,
        [("Erwachsene", 3500), ("Ermäßigt", 1750)],
        position=3,
        barcode="2003",
        short_description="Zehn Eintritte zum Preis von knapp neun.",
        **pool_targets,
    )
    _product(
        town,
        pool,
        swim,
        "saisonkarte",
        "Saisonkarte Hallenbad",
        ProductKind.PASS,
        reduced,
        [("Erwachsene", 7000), ("Ermäßigt", 3500)],
        position=4,
        barcode="2004",
        short_description="Freier Eintritt die ganze Saison.",
        **pool_targets,
    )

    garage_targets = {"ledger_account": "441200", "budget_product": "546010", "cost_center": "5460"}
    standard = VatTreatment.STANDARD
    _product(
        town,
        garage,
        parking,
        "parkticket-24h",
        "24-Stunden-Ticket",
        ProductKind.PARKING,
        standard,
        [("24 Stunden", 500)],
        position=1,
        barcode="3001",
        **garage_targets,
    )
    _product(
        town,
        garage,
        parking,
        "parkticket-7-tage",
        "7-Tage-Ticket",
        ProductKind.PARKING,
        standard,
        [("7 Tage", 2000)],
        position=2,
        barcode="3002",
        **garage_targets,
    )
    _product(
        town,
        garage,
        parking,
        "parkticket-monat",
        "Monatsticket",
        ProductKind.PARKING,
        standard,
        [("1 Monat", 8000)],
        position=3,
        barcode="3003",
        **garage_targets,
    )
    _product(
        town,
        garage,
        parking,
        "parkticket-verloren",
        "Verlorenes Parkticket",
        ProductKind.PARKING,
        standard,
        [("Ersatzticket", 1000)],
        position=4,
        barcode="3004",
        sold_portal=False,
        sold_kiosk=True,
        **garage_targets,
    )

    _create_staff(town)
    load_demo_platform(town)
    load_demo_sepa_settings(town)
    add_demo_terminal(town)
    logger.info("demo data loaded: municipality=%s", town.slug)
    return town


def _create_staff(town: Municipality) -> None:
    user_model = get_user_model()
    for username, first, last, role, places in DEMO_STAFF:
        user = user_model.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@musterstadt.example",
            is_staff=True,
            is_superuser=role == ADMINISTRATOR,
        )
        user.groups.add(Group.objects.get(name=group_name(role)))
        for operator_slug, pos_slug in places:
            PointOfSale.objects.get(
                operator__municipality=town, operator__slug=operator_slug, slug=pos_slug
            ).cashiers.add(user)
    email, first, last = DEMO_CITIZEN
    user_model.objects.create_user(
        username=email, email=email, password=DEMO_PASSWORD, first_name=first, last_name=last
    )
