import pytest

MESSAGE = (
    "Anmeldung fehlgeschlagen: Benutzername oder Passwort ist falsch. Bitte prüfen Sie beides; "
    "Groß- und Kleinschreibung werden unterschieden."
)


@pytest.mark.parametrize("path", ["/kasse/anmelden/", "/verwaltung/anmelden/", "/admin/login/"])
def test_wrong_password_says_sign_in_failed(client, demo, path):
    response = client.post(path, {"username": "kasse.hallenbad", "password": "falsch"})

    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
