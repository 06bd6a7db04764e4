"""Who may open which back office page."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

LEDGER = reverse("backoffice:ledger")
EXPORT = reverse("backoffice:export")
START = reverse("backoffice:start")
LOGIN = reverse("backoffice:login")

CITIZEN = "buerger@musterstadt.example"


def detail_url(order) -> str:
    return reverse("backoffice:order", args=[order.code])


@pytest.fixture
def sold(sell_at_pool):
    return sell_at_pool(1)


@pytest.mark.parametrize("name", ["start", "ledger", "export"])
def test_anonymous_sent_to_login(demo, name):
    response = Client().get(reverse(f"backoffice:{name}"))

    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")


def test_anonymous_detail_sent_to_login(sold):
    response = Client().get(detail_url(sold))

    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")


@pytest.mark.parametrize("url", [START, LEDGER, EXPORT])
def test_citizen_denied(login, url):
    response = login(CITIZEN).get(url)

    assert response.status_code == 403
    assert "Kein Zugriff" in response.content.decode()


def test_citizen_denied_detail(login, sold):
    assert login(CITIZEN).get(detail_url(sold)).status_code == 403


@pytest.mark.parametrize("url", [LEDGER, EXPORT])
def test_cashier_denied_ledger(login, url):
    assert login("kasse.hallenbad").get(url).status_code == 403


def test_cashier_denied_detail(login, sold):
    assert login("kasse.hallenbad").get(detail_url(sold)).status_code == 403


def test_catalog_manager_denied_ledger(login):
    assert login("katalog").get(LEDGER).status_code == 403


@pytest.mark.parametrize("username", ["stadtkasse", "aufsicht", "admin"])
def test_ledger_roles_allowed(login, sold, username):
    client = login(username)

    assert client.get(LEDGER).status_code == 200
    assert client.get(detail_url(sold)).status_code == 200
    assert client.get(EXPORT).status_code == 200


@pytest.mark.parametrize("username", ["kasse.hallenbad", "stadtkasse", "katalog", "admin"])
def test_start_page_for_staff(login, username):
    assert login(username).get(START).status_code == 200


def test_start_page_lists_areas_of_treasury(login):
    page = login("stadtkasse").get(START).content.decode()

    assert f'href="{LEDGER}"' in page
    assert "Stadtkasse" in page  # the role name
    assert 'href="/kasse/"' not in page


def test_start_page_of_cashier_has_no_ledger(login):
    page = login("kasse.hallenbad").get(START).content.decode()

    assert f'href="{LEDGER}"' not in page
    assert 'href="/kasse/"' in page


def test_unknown_order_not_found(login):
    assert (
        login("stadtkasse").get(reverse("backoffice:order", args=["NOPE2345"])).status_code == 404
    )


def test_staff_login_goes_to_start(demo):
    response = Client().post(LOGIN, {"username": "stadtkasse", "password": "musterstadt"})

    assert response.status_code == 302
    assert response["Location"] == START


def test_citizen_login_rejected(demo):
    response = Client().post(LOGIN, {"username": CITIZEN, "password": "musterstadt"})

    assert response.status_code == 200
    assert (
        "Dieses Konto hat keinen Zugang zur Verwaltung. Bürger:innen melden sich im Portal an."
        in response.content.decode()
    )


def test_logout_needs_post(login):
    client = login("stadtkasse")

    assert client.get(reverse("backoffice:logout")).status_code == 405
    response = client.post(reverse("backoffice:logout"))
    assert response.status_code == 302
    assert client.get(START).status_code == 302


def test_ledger_post_rejected(login):
    assert login("stadtkasse").post(LEDGER).status_code == 405


def test_serve_banner_aligns_demo_logins(settings, demo):
    settings.DEMO = True
    output = io.StringIO()

    call_command("serve_banner", stdout=output)

    logins = output.getvalue().split("Demo logins", 1)[1].splitlines()[1:]
    rows = [line for line in logins if line.strip()]
    assert rows[-1].split()[0] == "buerger@musterstadt.example"
    # Every role starts in the same column.
    starts = {len(row) - len(row.split("  ")[-1].lstrip()) for row in rows}
    assert len(starts) == 1
