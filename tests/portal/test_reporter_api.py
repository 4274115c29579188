"""The browser path's public parameters (docs/PROTOCOL.md, "Receipt" and "Browser path")."""

import base64
import hashlib

from flask import Flask
from flask.testing import FlaskClient

from crypto.keys import SecretIdentity
from crypto.wordlist import WORDS
from portal import secrets_of


def test_parameters_carry_the_public_salt_and_the_office_key_but_not_the_pepper(
    app: Flask, client: FlaskClient, office_identity: SecretIdentity
) -> None:
    response = client.get("/api/v1/parameters")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    secrets = secrets_of(app)
    assert base64.b64decode(data["receipt_salt"]) == secrets.receipt_salt
    assert base64.b64decode(data["office"]) == office_identity.public.encryption_key
    assert data["committee"] == []
    body = response.get_data()
    for secret in (secrets.login_pepper, secrets.secret_key):
        assert base64.b64encode(secret) not in body and secret.hex().encode() not in body


def test_parameters_say_when_no_office_key_is_configured(make_app: object) -> None:
    app = make_app(office_key=False)  # type: ignore[operator]
    assert app.test_client().get("/api/v1/parameters").get_json()["office"] is None


def test_the_word_list_is_served_byte_for_byte_with_the_documented_hash(
    client: FlaskClient,
) -> None:
    response = client.get("/api/v1/wordlist.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    digest = hashlib.sha256(response.get_data()).hexdigest()
    assert digest == client.get("/api/v1/parameters").get_json()["wordlist_sha256"]
    assert response.get_data().decode().split("\n")[:-1] == list(WORDS)
