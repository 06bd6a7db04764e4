"""The pages for an unknown address and for a server error: German text and links back."""

import pytest
from django.template.loader import render_to_string

pytestmark = pytest.mark.django_db


def test_unknown_address_page_in_german(client, demo):
    response = client.get("/verwaltung/gibt-es-nicht/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Seite nicht gefunden" in html
    assert 'href="/verwaltung/"' in html


def test_server_error_page_in_german():
    html = render_to_string("500.html")

    assert "Fehler auf dem Server" in html
    assert "Bitte versuchen Sie es in einigen Minuten erneut." in html
