"""Fixtures shared by all tests: the demo town and its staff."""

import pytest


@pytest.fixture(autouse=True)
def fresh_process_copies():
    """Start each test without copies of products and tills or reserved Kassenzeichen.

    A rolled-back test leaves ids and configuration versions free for the next one.
    """
    from stadtkasse.catalog import cache
    from stadtkasse.core.services import forget_kassenzeichen_blocks
    from stadtkasse.counter.services import forget_tills

    cache.clear()
    forget_tills()
    forget_kassenzeichen_blocks()
    yield
    cache.clear()
    forget_tills()
    forget_kassenzeichen_blocks()


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hash test passwords with a fast hasher; the demo data creates several accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    """The Musterstadt demo data, loaded into the test database."""
    from stadtkasse.backoffice.demo import load_demo

    return load_demo()


@pytest.fixture
def pool_till(demo):
    from stadtkasse.core.models import PointOfSale

    return PointOfSale.objects.get(operator__slug="hallenbad", slug="kasse")


@pytest.fixture
def office_counter(demo):
    from stadtkasse.core.models import PointOfSale

    return PointOfSale.objects.get(operator__slug="buergerbuero", slug="schalter-1")


@pytest.fixture
def pool_cashier(demo):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="kasse.hallenbad")


@pytest.fixture
def product(demo):
    """Look up a demo product by its slug."""
    from stadtkasse.catalog.models import Product

    def lookup(slug: str) -> Product:
        return Product.objects.get(slug=slug)

    return lookup


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium():
    """A headless Debian Chromium driven by Playwright; skips where it is not installed."""
    import os
    import shutil

    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        pytest.skip("browser tests skipped: Debian's chromium (/usr/bin/chromium) is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself stay synchronous, so Django's guard against async use is lifted here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser page (own cookies) with ``page.base_url`` set to the live server."""
    context = chromium.new_context(locale="de-DE", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10000)
    page.base_url = live_server.url
    yield page
    context.close()
