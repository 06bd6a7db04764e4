from stadtkasse.orders.models import CartItem
from stadtkasse.portal.tests.conftest import add


def test_start_page_shows_town_search_and_featured(shop):
    response = shop.get("/")

    assert response.status_code == 200
    assert "Stadt Musterstadt" in response.content.decode()
    assert 'name="q"' in response.content.decode()
    assert {p.slug for p in response.context["featured"]} == {
        "meldebescheinigung",
        "personalausweis",
        "tageskarte",
        "reisepass",
    }
    assert [c.slug for c in response.context["categories"]] == [
        "ausweise",
        "bescheinigungen",
        "schwimmen",
        "parken",
    ]


def test_category_lists_only_online_products(shop):
    response = shop.get("/kategorie/ausweise/")

    slugs = {product.slug for product in response.context["products"]}
    assert response.status_code == 200
    assert "personalausweis" in slugs
    assert "passfoto" not in slugs


def test_unknown_category_is_404(shop):
    response = shop.get("/kategorie/gibt-es-nicht/")

    assert response.status_code == 404
    assert "Diese Leistung haben wir nicht gefunden." in response.content.decode()


def test_search_ignores_case_and_umlauts(shop):
    upper = shop.get("/suche/", {"q": "FÜHRUNGSZEUGNIS"})
    lower = shop.get("/suche/", {"q": "führungs"})

    assert [p.slug for p in upper.context["results"]] == ["fuehrungszeugnis"]
    assert [p.slug for p in lower.context["results"]] == ["fuehrungszeugnis"]


def test_search_finds_short_description(shop):
    response = shop.get("/suche/", {"q": "anschrift"})

    assert [p.slug for p in response.context["results"]] == ["meldebescheinigung"]


def test_search_skips_products_not_sold_online(shop):
    response = shop.get("/suche/", {"q": "passfoto"})

    assert response.context["results"] == []
    assert "0 Treffer für „passfoto“" in response.content.decode()


def test_product_page_shows_both_age_prices(shop):
    response = shop.get("/leistung/personalausweis/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "46,00\u00a0€" in html
    assert "27,60\u00a0€" in html
    assert "Alter der antragstellenden Person am Tag des Antrags" in html
    assert 'name="variant"' not in html


def test_unknown_product_is_404(shop):
    response = shop.get("/leistung/gibt-es-nicht/")

    assert response.status_code == 404


def test_product_not_sold_online_is_404_with_reason(shop):
    response = shop.get("/leistung/passfoto/")

    assert response.status_code == 404
    assert (
        "„Passfoto (digital, im Bürgerbüro)“ kann nicht online bestellt werden. "
        "Bitte wenden Sie sich dafür an: Bürgerbüro."
    ) in response.content.decode()


def test_posting_to_offline_product_adds_nothing(shop, product):
    response = add(shop, product("passfoto"))

    assert response.status_code == 404
    assert CartItem.objects.count() == 0


def test_legal_pages_show_municipality_texts(shop):
    for path, text in [
        ("/impressum/", "vertreten durch die Bürgermeisterin"),
        ("/datenschutz/", "keine Anfragen an Dritte"),
        ("/barrierefreiheit/", "BITV 2.0"),
    ]:
        response = shop.get(path)
        assert response.status_code == 200, path
        assert text in response.content.decode(), path


def test_every_page_links_legal_pages(shop):
    html = shop.get("/warenkorb/").content.decode()

    assert 'href="/impressum/"' in html
    assert 'href="/datenschutz/"' in html
    assert 'href="/barrierefreiheit/"' in html


def test_pages_load_nothing_from_other_hosts(shop):
    response = shop.get("/leistung/tageskarte/")
    html = response.content.decode()

    assert "https://" not in html.replace("https://www.w3.org", "")
    assert "style=" not in html
    assert "<script>" not in html
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_page_language_follows_the_text(shop):
    german = shop.get("/").content.decode()
    english = shop.get("/", headers={"accept-language": "en"}).content.decode()

    assert '<html lang="de">' in german
    assert '<html lang="en">' in english
